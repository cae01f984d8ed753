#!/usr/bin/env bash
# `vllm serve` for a tiny checkpoint (scripts/make_tiny_vlm.py or make_tiny_nemotron.py DIR) on
# 127.0.0.1:PORT, in the foreground, with what a CPU run needs; the model is served under the name DIR.
#   scripts/serve_tiny_vlm.sh DIR PORT
# --trust-remote-code: Nemotron Nano VL (and its tiny copy) ships its config code; --enforce-eager:
# no graph compilation on CPU; --kv-cache-memory-bytes: otherwise vLLM on CPU wants 90% of the
# machine's memory free; VLLM_CPU_OMP_THREADS_BIND=nobind: its default pins
# OpenMP threads to cores, which fights the Ray workers of a docpipe run on the same machine;
# 8 images per prompt: what docpipe sends for --schema (--schema-pages, default 8); --dtype: the
# checkpoint's own (vLLM's "auto" would turn the trained float32 LLaVA into bfloat16 and change its
# answers; the CPU kernels of Nemotron's Mamba layers exist for bfloat16 only).
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
python="${VLLM_VENV:-$here/.venv-vllm}/bin/python"
if [ ! -x "$python" ]; then
    echo "$python not found: run 'make vlm-cpu' first" >&2
    exit 2
fi
dtype=$("$python" -c 'import json, sys; c = json.load(open(sys.argv[1] + "/config.json")); print(c.get("dtype") or c.get("torch_dtype") or "float32")' "$1")
export VLLM_CPU_OMP_THREADS_BIND=${VLLM_CPU_OMP_THREADS_BIND:-nobind}
# One OpenMP thread unless told otherwise: a tiny model's kernels are too small to share, and
# two threads spinning on two cores took every CPU cycle from the client beside the server (the
# plain client of benchmarks/vlm_overhead.py: 7.4 pages/s with two, 13.4 with one).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# An inherited OMP_THREAD_LIMIT below torch's thread count (1, from a shell or CI) hung the
# CPU engine in its first forward pass: the engine chooses its own threads.
unset OMP_THREAD_LIMIT
# The server's module, not the `vllm serve` command: vllm-cpu 0.29.0's command asks
# importlib.metadata for the version of a distribution named "vllm", which is not installed.
exec "$python" -W ignore::DeprecationWarning -m vllm.entrypoints.openai.api_server --model "$1" --host 127.0.0.1 --port "$2" --enforce-eager --trust-remote-code --max-model-len 8192 \
    --kv-cache-memory-bytes 1G --limit-mm-per-prompt '{"image": 8}' --dtype "$dtype"
