#!/usr/bin/env bash
# Submit a VLM run to a Ray cluster with GPU workers:
#   RAY_ADDRESS=http://HEAD:8265 jobs/vlm_extract.sh s3://bucket/scans s3://bucket/out [more docpipe options]
# Each vLLM engine takes --gpus-per-worker GPUs; --vlm-workers engines run side by side.
set -euo pipefail
input=$1; out=$2; shift 2
exec ray job submit --runtime-env jobs/vlm_runtime_env.yaml -- \
  python -m docpipe.cli run "$input" --out "$out" --address auto \
    --engine vlm --model nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-FP8 \
    --vlm-workers "${VLM_WORKERS:-1}" --gpus-per-worker "${GPUS_PER_WORKER:-1}" \
    --max-model-len 32768 --max-tiles 12 "$@"
