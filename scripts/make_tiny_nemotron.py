"""Write a tiny, randomly initialised NemotronH_Nano_VL_V2 checkpoint (Nemotron Nano 12B V2 VL's architecture).

    .venv-vllm/bin/python scripts/make_tiny_nemotron.py DIR [--tile 512]

Everything is made locally in a few seconds (no model hub):
- config.json (architectures NemotronH_Nano_VL_V2, `auto_map` to the `configuration.py` written beside it:
  the real checkpoint ships its config code the same way, so loading needs trust_remote_code=True);
- a byte-level BPE tokenizer trained on a little text, with the special tokens vLLM's
  NanoNemotronVL processor uses (<image>, <img>, </img>, <video>) and a ChatML chat template that
  takes a system message ("/no_think") and OpenAI-style content parts (image + text);
- model.safetensors with every weight vLLM's loaders read, under the real checkpoint's names:
  `language_model.backbone.*` (NemotronH: 4 layers "M-*-" = Mamba2, MLP, attention, MLP),
  `vision_model.radio_model.model.*` (a 2-layer, 64-wide RADIO ViT), `mlp1.*` (the projector).

Shapes: LM hidden 64; ViT hidden 64, patch 16, tiles of --tile pixels (512 like the real model:
256 image tokens per tile after the 0.5 pixel shuffle). Random weights: answers are noise, which
is what the tests need of it (tests/vlm_real/test_nemotron_cpu.py); a trained tiny model is
make_tiny_vlm.py's LLaVA. bfloat16, because the CPU build's Mamba conv1d kernel has no float32
version ("causal_conv1d_fwd_kernel_impl not implemented for 'Float'"). vLLM checks none of the
names on load (its Nemotron VL and RADIO loaders skip unknown ones), so these follow the real
checkpoint's, checked once by reading every parameter back from the loaded engine.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

SPECIAL = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<image>", "<img>", "</img>", "<video>",
           "<think>", "</think>", "<so_embedding>"]
# ChatML as Nemotron Nano V2 uses it; "/no_think" in the system message gives an empty think block.
# Content may be a string or a list of OpenAI-style parts; an image part becomes vLLM's placeholder "<image>".
CHAT_TEMPLATE = (
    "{% set ns = namespace(no_think=false) %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' and message['content'] is string and '/no_think' in message['content'] %}"
    "{% set ns.no_think = true %}{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url', 'image_pil') %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if ns.no_think %}<think></think>{% endif %}{% endif %}"
)

CONFIGURATION_PY = '''\
"""Config classes of a tiny NemotronH_Nano_VL_V2 checkpoint (written by make_tiny_nemotron.py).

The real checkpoint (nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-BF16) ships its own configuration code;
this holds just the fields vLLM reads (vllm/model_executor/models/nano_nemotron_vl.py, nemotron_h.py,
radio.py and vllm/transformers_utils/processors/nano_nemotron_vl.py).
"""
from transformers import PretrainedConfig


class NemotronHConfig(PretrainedConfig):
    model_type = "nemotron_h"

    def __init__(self, vocab_size=512, tie_word_embeddings=False, hidden_size=64, intermediate_size=128,
                 num_hidden_layers=4, hybrid_override_pattern="M-*-", num_attention_heads=2, head_dim=64,
                 num_key_value_heads=1, mlp_hidden_act="relu2", attention_bias=False, mlp_bias=False,
                 use_bias=False, initializer_range=0.02, layer_norm_epsilon=1e-5, residual_in_fp32=False,
                 use_cache=True, pad_token_id=0, bos_token_id=1, eos_token_id=2, sliding_window=None,
                 max_position_embeddings=8192, attention_dropout=0.0, hidden_dropout=0.0,
                 ssm_state_size=16, mamba_num_heads=4, mamba_n_groups=1, mamba_head_dim=16, mamba_d_conv=4,
                 mamba_expand=2, mamba_hidden_act="silu", mamba_dt_min=0.001, mamba_dt_max=0.1,
                 mamba_dt_limit=(0.0, float("inf")), mamba_dt_init_floor=1e-4, mamba_conv_bias=True,
                 mamba_proj_bias=False, mamba_chunk_size=256, rescale_prenorm_residual=True, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.hybrid_override_pattern = hybrid_override_pattern
        assert len(hybrid_override_pattern) == num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.head_dim = head_dim
        self.num_key_value_heads = num_key_value_heads
        self.mlp_hidden_act = mlp_hidden_act
        self.attention_bias = attention_bias
        self.mlp_bias = mlp_bias
        self.use_bias = use_bias
        self.initializer_range = initializer_range
        self.layer_norm_epsilon = layer_norm_epsilon
        self.residual_in_fp32 = residual_in_fp32
        self.use_cache = use_cache
        self.sliding_window = sliding_window
        self.max_position_embeddings = max_position_embeddings
        self.attention_dropout = attention_dropout
        self.hidden_dropout = hidden_dropout
        self.ssm_state_size = ssm_state_size
        self.mamba_num_heads = mamba_num_heads
        self.n_groups = mamba_n_groups
        self.mamba_head_dim = mamba_head_dim
        self.conv_kernel = mamba_d_conv
        self.expand = mamba_expand
        self.mamba_hidden_act = mamba_hidden_act
        self.time_step_min = mamba_dt_min
        self.time_step_max = mamba_dt_max
        self.time_step_limit = tuple(mamba_dt_limit)
        self.time_step_floor = mamba_dt_init_floor
        self.use_conv_bias = mamba_conv_bias
        self.mamba_proj_bias = mamba_proj_bias
        self.chunk_size = mamba_chunk_size
        self.rescale_prenorm_residual = rescale_prenorm_residual
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id,
                         tie_word_embeddings=tie_word_embeddings, **kwargs)


class RadioVisionConfig(PretrainedConfig):
    """What vLLM reads of the vision config: `args` (the RADIO model name and its overrides),
    preferred_resolution, patch_size."""
    model_type = "radio"

    def __init__(self, args=None, preferred_resolution=(512, 512), patch_size=16, max_resolution=2048,
                 **kwargs):
        self.args = dict(args or {})
        self.preferred_resolution = list(preferred_resolution)
        self.patch_size = patch_size
        self.max_resolution = max_resolution
        super().__init__(**kwargs)


class NemotronH_Nano_VL_V2_Config(PretrainedConfig):
    model_type = "NemotronH_Nano_VL_V2"
    is_composition = True

    def __init__(self, vision_config=None, llm_config=None, force_image_size=512, patch_size=16,
                 downsample_ratio=0.5, template=None, ps_version="v2", image_tag_type="internvl",
                 projector_hidden_size=128, vit_hidden_size=64, video_pruning_rate=0.0,
                 norm_mean=(0.48145466, 0.4578275, 0.40821073), norm_std=(0.26862954, 0.26130258, 0.27577711),
                 use_thumbnail=True, img_context_token_id=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(vision_config, PretrainedConfig):
            vision_config = vision_config.to_dict()
        self.vision_config = RadioVisionConfig(**(vision_config or {}))
        if isinstance(llm_config, PretrainedConfig):
            llm_config = llm_config.to_dict()
        self.llm_config = NemotronHConfig(**(llm_config or {}))
        # vLLM maps llm_config to text_config itself (_CONFIG_ATTRS_MAPPING); set it so any reader finds it.
        self.text_config = self.llm_config
        self.force_image_size = force_image_size
        self.patch_size = patch_size
        self.downsample_ratio = downsample_ratio
        self.template = template
        self.ps_version = ps_version
        self.image_tag_type = image_tag_type
        self.projector_hidden_size = projector_hidden_size
        self.vit_hidden_size = vit_hidden_size
        self.video_pruning_rate = video_pruning_rate
        self.norm_mean = list(norm_mean)
        self.norm_std = list(norm_std)
        self.use_thumbnail = use_thumbnail
        self.img_context_token_id = img_context_token_id

    def to_dict(self):
        out = super().to_dict()
        out.pop("text_config", None)  # the same as llm_config
        return out
'''

CORPUS = """Read the page. Return the text of the page as JSON with blocks, lines and boxes.
Invoice number total date vendor amount currency line items page text table cell row column.
{"blocks": [{"kind": "title", "bbox": [100, 60, 900, 110], "lines": [{"text": "a page", "bbox": [1, 2, 3, 4]}]}], "tables": []}
The quick brown fox jumps over the lazy dog. 0123456789 .,;:()-'%$/ abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ
You are a helpful assistant. /no_think /think system user assistant
"""


def build_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([CORPUS] * 20, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="<|im_end|>",
                                   unk_token="<unk>", pad_token="<unk>", chat_template=CHAT_TEMPLATE,
                                   model_max_length=131072)


def text_config(tokenizer) -> dict:
    return dict(model_type="nemotron_h", architectures=["NemotronHForCausalLM"], vocab_size=len(tokenizer),
                hidden_size=64, intermediate_size=128, num_hidden_layers=4, hybrid_override_pattern="M-*-",
                num_attention_heads=2, head_dim=64, num_key_value_heads=1, ssm_state_size=16,
                mamba_num_heads=4, mamba_n_groups=1, mamba_head_dim=16, mamba_d_conv=4, mamba_chunk_size=256,
                max_position_embeddings=131072, layer_norm_epsilon=1e-5,
                pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False, torch_dtype="bfloat16")


VIT = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)


def vision_config(tile: int) -> dict:
    # `args` goes into vLLM's RadioConfig(**args): "model" picks a timm ViT's sizes, the other keys
    # override them (PretrainedConfig sets unknown kwargs after RadioConfig's own assignments).
    return dict(model_type="radio", preferred_resolution=[tile, tile], patch_size=16, max_resolution=tile,
                args=dict(model="vit_small_patch16_224", cpe_max_size=tile, register_multiple=4,
                          cls_token_per_teacher=False, teachers=[], **VIT))


def config_json(tokenizer, tile: int) -> dict:
    return {
        "architectures": ["NemotronH_Nano_VL_V2"],
        "model_type": "NemotronH_Nano_VL_V2",
        "auto_map": {"AutoConfig": "configuration.NemotronH_Nano_VL_V2_Config"},
        "llm_config": text_config(tokenizer),
        "vision_config": vision_config(tile),
        "force_image_size": tile, "patch_size": 16, "downsample_ratio": 0.5,
        "template": "nemotron-h-5p5", "ps_version": "v2", "image_tag_type": "internvl",
        "projector_hidden_size": 128, "vit_hidden_size": VIT["hidden_size"],
        "norm_mean": [0.48145466, 0.4578275, 0.40821073], "norm_std": [0.26862954, 0.26130258, 0.27577711],
        "use_thumbnail": True, "video_pruning_rate": 0.0,
        "img_context_token_id": tokenizer.convert_tokens_to_ids("<image>"),
        "eos_token_id": tokenizer.eos_token_id, "bos_token_id": tokenizer.bos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "torch_dtype": "bfloat16", "tie_word_embeddings": False,
    }


def weights(cfg: dict):
    """Every tensor vLLM loads, named as in the real checkpoint."""
    import torch

    g = torch.Generator().manual_seed(0)

    def rnd(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std

    t = cfg["llm_config"]
    H, V = t["hidden_size"], t["vocab_size"]
    out = {"language_model.backbone.embeddings.weight": rnd(V, H, std=1.0),
           "language_model.backbone.norm_f.weight": torch.ones(H),
           "language_model.lm_head.weight": rnd(V, H, std=0.5)}
    nh, hd, ng, N, K = t["mamba_num_heads"], t["mamba_head_dim"], t["mamba_n_groups"], t["ssm_state_size"], t["mamba_d_conv"]
    inter = nh * hd
    conv_dim = inter + 2 * ng * N
    for i, kind in enumerate(t["hybrid_override_pattern"]):
        p = f"language_model.backbone.layers.{i}."
        out[p + "norm.weight"] = torch.ones(H)
        if kind == "M":
            out[p + "mixer.in_proj.weight"] = rnd(2 * inter + 2 * ng * N + nh, H)
            out[p + "mixer.conv1d.weight"] = rnd(conv_dim, 1, K, std=0.2)
            out[p + "mixer.conv1d.bias"] = torch.zeros(conv_dim)
            dt = torch.exp(torch.rand(nh, generator=g) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
            out[p + "mixer.dt_bias"] = dt + torch.log(-torch.expm1(-dt))  # inverse softplus, as Mamba2 inits it
            out[p + "mixer.A_log"] = torch.log(torch.arange(1, nh + 1, dtype=torch.float32))
            out[p + "mixer.D"] = torch.ones(nh)
            out[p + "mixer.norm.weight"] = torch.ones(inter)
            out[p + "mixer.out_proj.weight"] = rnd(H, inter)
        elif kind == "*":
            qd, kvd = t["num_attention_heads"] * t["head_dim"], t["num_key_value_heads"] * t["head_dim"]
            out[p + "mixer.q_proj.weight"] = rnd(qd, H)
            out[p + "mixer.k_proj.weight"] = rnd(kvd, H)
            out[p + "mixer.v_proj.weight"] = rnd(kvd, H)
            out[p + "mixer.o_proj.weight"] = rnd(H, qd)
        elif kind == "-":
            out[p + "mixer.up_proj.weight"] = rnd(t["intermediate_size"], H)
            out[p + "mixer.down_proj.weight"] = rnd(H, t["intermediate_size"])
        else:
            raise ValueError(kind)

    a = cfg["vision_config"]["args"]
    D, P, tile = a["hidden_size"], cfg["patch_size"], a["cpe_max_size"]
    n_cls = 1
    n_reg = a["register_multiple"] - (n_cls % a["register_multiple"]) if a.get("register_multiple") else 0
    v = "vision_model.radio_model.model."
    out[v + "patch_generator.embedder.weight"] = rnd(D, 3 * P * P)
    out[v + "patch_generator.pos_embed"] = rnd(1, (tile // P) ** 2, D)
    out[v + "patch_generator.cls_token.token"] = rnd(n_cls + n_reg, D)
    for i in range(a["num_hidden_layers"]):
        b = f"{v}blocks.{i}."
        for norm in ("norm1", "norm2"):
            out[b + norm + ".weight"] = torch.ones(D)
            out[b + norm + ".bias"] = torch.zeros(D)
        out[b + "attn.qkv.weight"] = rnd(3 * D, D)
        out[b + "attn.qkv.bias"] = torch.zeros(3 * D)
        out[b + "attn.proj.weight"] = rnd(D, D)
        out[b + "attn.proj.bias"] = torch.zeros(D)
        out[b + "mlp.fc1.weight"] = rnd(a["intermediate_size"], D)
        out[b + "mlp.fc1.bias"] = torch.zeros(a["intermediate_size"])
        out[b + "mlp.fc2.weight"] = rnd(D, a["intermediate_size"])
        out[b + "mlp.fc2.bias"] = torch.zeros(D)
        out[b + "ls1"] = torch.ones(D)  # the real checkpoint has layer scales; vLLM skips them
        out[b + "ls2"] = torch.ones(D)

    shuffled = D * int(round(1 / cfg["downsample_ratio"])) ** 2
    out["mlp1.0.weight"] = torch.ones(shuffled)
    out["mlp1.1.weight"] = rnd(cfg["projector_hidden_size"], shuffled)
    out["mlp1.3.weight"] = rnd(H, cfg["projector_hidden_size"])
    return {name: tensor.to(torch.bfloat16).contiguous() for name, tensor in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--tile", type=int, default=512, help="tile size in pixels (force_image_size), a multiple of 32")
    ap.add_argument("--vocab", type=int, default=512, help="BPE vocabulary size")
    args = ap.parse_args()
    from safetensors.torch import save_file

    out: Path = args.dir
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(args.vocab)
    for token in ("<image>", "<img>", "</img>", "<video>"):
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token
    tokenizer.save_pretrained(out)
    # The chat template in tokenizer_config.json (transformers 5 writes it to chat_template.jinja).
    (out / "chat_template.jinja").unlink(missing_ok=True)
    tok_config = json.loads((out / "tokenizer_config.json").read_text())
    tok_config["chat_template"] = CHAT_TEMPLATE
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2))
    cfg = config_json(tokenizer, args.tile)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "configuration.py").write_text(CONFIGURATION_PY)
    (out / "generation_config.json").write_text(json.dumps(
        {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": [tokenizer.eos_token_id],
         "pad_token_id": tokenizer.pad_token_id}, indent=2))
    tensors = weights(cfg)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    n = sum(t.numel() for t in tensors.values())
    print(f"wrote {out}: {len(tensors)} tensors, {n / 1e6:.2f}M parameters, vocab {len(tokenizer)}")


if __name__ == "__main__":
    main()
