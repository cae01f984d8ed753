"""Write a tiny vision-language checkpoint that `vllm serve` and docpipe's in-process engine load.

    .venv-vllm/bin/python scripts/make_tiny_vlm.py DIR [--random | --python-answer] [--steps N]

No weights can be downloaded here, so everything is made locally, in seconds:
a byte-level BPE tokenizer trained with `tokenizers` on a little text, and a
LLaVA model (a 2-layer CLIP vision tower, a 2-layer Llama) from its config.
By default the model is then trained for a few seconds to answer every page
with one short page that is valid under docpipe's page schema, so that the
success path runs through the real engine; `--random` leaves the weights
random: under constrained decoding such a model writes whitespace or endless
strings until `max_tokens`, the failure real models show on dense pages.
`--python-answer` trains it to write that page as a Python dict (single
quotes), the malformed JSON models give when nothing constrains them.

Its answers mean nothing about quality: the point is that vLLM's real request
handling (chat template, image preprocessing and placeholder tokens,
structured outputs, logprobs, errors) runs.

Why LLaVA for the trained model: Nemotron Nano VL's own architecture
(NemotronH_Nano_VL_V2) has no PyTorch implementation outside vLLM to train
(its RADIO encoder is not in transformers), so make_tiny_nemotron.py builds
that one with random weights only; LLaVA is built into transformers, trains
in seconds, and vLLM runs it on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docpipe.engines.vlm.request import PAGE_PROMPT, SYSTEM_MESSAGE  # noqa: E402

IMAGE_TOKEN = "<image>"
SPECIAL = ["<pad>", "<s>", "</s>", IMAGE_TOKEN, "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
IMAGE_SIZE, PATCH = 64, 16  # 16 image tokens per picture: prompts stay short on a CPU
# The one page the trained model answers with (boxes in docpipe's 0..1000 scale): a title and a
# paragraph of two lines, over 64 tokens long so that a run with --max-tokens 64 is cut off.
ANSWER = {"blocks": [
    {"kind": "title", "bbox": [100, 60, 900, 110],
     "lines": [{"text": "tiny model page", "bbox": [100, 60, 900, 110]}]},
    {"kind": "paragraph", "bbox": [100, 150, 900, 260],
     "lines": [{"text": "an answer learned by rote", "bbox": [100, 150, 900, 200]},
               {"text": "not a reading of the page", "bbox": [100, 210, 900, 260]}]}], "tables": []}
# Content parts (OpenAI style, as vLLM hands them to the template) or a plain string.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url', 'image_pil') %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def answer_text(python: bool = False) -> str:
    return repr(ANSWER) if python else json.dumps(ANSWER, separators=(",", ":"))


HINT_WORDS = "page line report total revenue quarter table row column short dense of a the with many words".split()
# Hint text is any page's text: words of random letters, digits and punctuation as well as common ones,
# so that the model learns to answer the same whatever the hints say (with only the common words, a real
# page's hints garbled the answer's last line).
HINT_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:()-'%$/"


def hint_line(rng: random.Random) -> str:
    words = [rng.choice(HINT_WORDS) if rng.random() < 0.4 else
             "".join(rng.choices(HINT_CHARACTERS, k=rng.randint(1, 12))) for _ in range(rng.randint(1, 12))]
    return " ".join(words)


def training_prompts(rng: random.Random):
    """The page prompt as docpipe sends it, endlessly: alone, with random text hints (--vlm-hints),
    and with the schema asked for in words (--vlm-json-mode none); the answer must not depend on which."""
    from docpipe.engines.vlm.answer import page_json_schema
    from docpipe.engines.vlm.request import page_prompt, schema_in_prompt

    asked = schema_in_prompt([{"role": "user", "content": [{"type": "text", "text": PAGE_PROMPT}]}],
                             page_json_schema())[0]["content"][0]["text"]
    while True:
        yield PAGE_PROMPT
        yield page_prompt([hint_line(rng) for _ in range(rng.randint(1, 16))])
        yield asked


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    prompts = training_prompts(random.Random(3))
    corpus = [answer_text(), answer_text(python=True), *(next(prompts) for _ in range(3)), SYSTEM_MESSAGE, json.dumps(ANSWER, indent=1),
              "Invoice number total date vendor amount currency line items page text table cell row column"]
    tokenizer.train_from_iterator(corpus * 20, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", extra_special_tokens={"image_token": IMAGE_TOKEN},
                                   chat_template=CHAT_TEMPLATE)


def build_processor(tokenizer):
    from transformers import CLIPImageProcessor, LlavaProcessor

    images = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=PATCH,
                          vision_feature_select_strategy="default", image_token=IMAGE_TOKEN,
                          num_additional_image_tokens=1, chat_template=CHAT_TEMPLATE)


def build_model(tokenizer):
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    vision = CLIPVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                              image_size=IMAGE_SIZE, patch_size=PATCH, projection_dim=64)
    # Head size 64: a size every vLLM CPU attention backend takes.
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
                       bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                       pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    config = LlavaConfig(vision_config=vision, text_config=text,
                         image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
                         vision_feature_select_strategy="default", vision_feature_layer=-1)
    return LlavaForConditionalGeneration(config)


def pages(n: int):
    """Page-like pictures: white with dark bars of text at random places."""
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    for _ in range(n):
        image = Image.new("RGB", (rng.choice([300, 420, 512]), rng.choice([400, 512, 600])), "white")
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(2, 12)):
            x, y = rng.randint(0, image.width - 60), rng.randint(0, image.height - 10)
            draw.rectangle([x, y, x + rng.randint(20, 200), y + 6], fill=(rng.randint(0, 80),) * 3)
        yield image


CONVERGED, SETTLED_STEPS = 0.002, 20  # stop once this many steps in a row are below this loss (0.01 was
# not enough: a page asked with hints came back with its last line garbled)


def train(model, processor, steps: int, python_answer: bool) -> float:
    """Teach the model the one answer, whatever the page and prompt, in at most `steps` steps;
    returns the highest loss of the last SETTLED_STEPS steps."""
    import torch

    tokenizer = processor.tokenizer
    def chat(text: str) -> str:
        messages = [{"role": "system", "content": SYSTEM_MESSAGE},
                    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    prompts = training_prompts(random.Random(5))
    target = tokenizer(answer_text(python_answer) + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    # lr 3e-3 without clipping diverged to NaN once in a fresh clone (a NaN model makes vLLM sample
    # token 0, which the grammar rejects): a lower rate and clipped gradients.
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.5e-3)
    model.train()
    recent: list[float] = []
    for image in pages(steps):
        inputs = processor(text=chat(next(prompts)), images=image, return_tensors="pt")
        ids = torch.cat([inputs["input_ids"], torch.tensor([target])], dim=1)
        labels = ids.clone()
        labels[:, : inputs["input_ids"].shape[1]] = -100
        out = model(input_ids=ids, pixel_values=inputs["pixel_values"], labels=labels,
                    attention_mask=torch.ones_like(ids))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        recent = [*recent[-(SETTLED_STEPS - 1):], out.loss.item()]
        if len(recent) == SETTLED_STEPS and max(recent) < CONVERGED:
            break
    model.eval()
    return max(recent) if recent else float("nan")


def save_for_vllm(model, folder: Path) -> None:
    """Save the weights under the names vLLM 0.29's LLaVA loader reads: transformers 5 names the CLIP
    tower `model.vision_tower.*`, vLLM looks for `vision_tower.vision_model.*` (published LLaVA
    checkpoints such as llava-hf/llava-1.5-7b-hf use that name)."""
    from safetensors.torch import save_file

    model.save_pretrained(folder)
    state = {}
    for name, tensor in model.state_dict().items():
        if name.startswith("model.vision_tower."):
            name = "vision_tower.vision_model." + name[len("model.vision_tower."):]
        state[name] = tensor.contiguous()
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--random", action="store_true", help="leave the weights random (no training)")
    kind.add_argument("--python-answer", action="store_true", help="answer as a Python dict, not JSON")
    ap.add_argument("--steps", type=int, default=800, help="most training steps (it stops once it has learnt)")
    args = ap.parse_args()
    import torch

    # Under OMP_THREAD_LIMIT below torch's own thread count (a shell or CI may set it to 1),
    # torch's CPU kernels gave NaN: use no more threads than the limit.
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    if limit.isdigit() and int(limit) > 0:
        torch.set_num_threads(min(torch.get_num_threads(), int(limit)))
    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    model = build_model(tokenizer)
    loss = None if args.random else train(model, processor, args.steps, args.python_answer)
    if loss is not None and not loss < 0.05:  # NaN compares false too
        sys.exit(f"training did not converge (loss {loss} over the last steps); nothing written: try more --steps")
    args.dir.mkdir(parents=True, exist_ok=True)
    save_for_vllm(model, args.dir)
    processor.save_pretrained(args.dir)
    (args.dir / "docpipe_tiny_vlm.json").write_text(json.dumps(
        {"architecture": "LlavaForConditionalGeneration", "trained": not args.random, "final_loss": loss,
         "answer": None if args.random else answer_text(args.python_answer)}, indent=1))
    print(f"wrote {args.dir} ({'random' if args.random else f'trained, loss {loss:.4f}'})")


if __name__ == "__main__":
    main()
