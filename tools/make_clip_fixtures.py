#!/usr/bin/env python3
"""Builds the WiseCLIP parity fixtures: tiny random CLIP models and the reference outputs
transformers computes for them.

Needs torch (CPU) and transformers 5 with Pillow, numpy and safetensors, and no torchvision
(transformers then uses its PIL image processor, which WiseCLIP reproduces):

    python3 -m venv /tmp/clipvenv
    /tmp/clipvenv/bin/pip install torch==2.13.0+cpu transformers pillow safetensors numpy
    /tmp/clipvenv/bin/python tools/make_clip_fixtures.py Tests/WiseCLIPTests/Fixtures

Writes, under the output folder:
  images/              test images made here (odd sizes, gradients, noise; PNG and JPEG)
  tiny-quick/          a quick_gelu model, first-end-token pooling
  tiny-gelu/           a gelu model, legacy config (eos_token_id 2: pooling at the largest id)
  tiny-quick-f16/      tiny-quick's weights rounded to float16 ...
  tiny-quick-bf16/     ... and to bfloat16
each with config.json, model.safetensors, vocab.json, merges.txt, preprocessor_config.json and
reference.json (token ids, pixel values, image and text features, logits per image).
"""
import collections
import json
import os
import re
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer

torch.set_num_threads(1)

CAPTIONS = [
    "a photo of a cat",
    "A Photo Of THE Cat's toy!! It's what we'll see, they're sure & I'd say so...",
    "Café naïve — 東京タワー at night 🚀 straße ÉCOLE",
    "",
    "   \t spaced\n\nout   words  ",
    "numbers 2024, 3.14 and ½ + ³",
    "a " + " ".join(["very long caption about a mountain lake at dawn"] * 12),
    "quotes 'single' \"double\" ''s don't",
    "special <|endoftext|> inside",
    "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ. σοφός",
]

CORPUS = """
a photo of a cat a photo of a dog the cat sat on the mat a painting of a mountain lake
at dawn the sun rises over the water a long caption about people walking in the city
there is a red car and a blue house with green trees the quick brown fox jumps over the
lazy dog photograph rendering realistic image of the famous tower in tokyo at night
cafe ecole strasse toy toys what see sure say so numbers and quotes single double
""" * 3


def bytes_to_unicode():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train_bpe(corpus, merges_wanted):
    """A small byte-level BPE trained on `corpus`: symbols end words with </w>, as CLIP's do."""
    table = bytes_to_unicode()
    counts = collections.Counter(re.findall(r"[a-z]+", corpus.lower()))
    words = {w: [table[b] for b in w.encode()] for w in counts}
    for symbols in words.values():
        symbols[-1] += "</w>"
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for w, symbols in words.items():
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += counts[w]
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda item: (item[1], item[0]))
        merges.append((a, b))
        for w, symbols in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            words[w] = out
    base = [table[b] for b in range(256)]
    tokens = base + [t + "</w>" for t in base] + [a + b for a, b in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {}
    for t in tokens:
        vocab.setdefault(t, len(vocab))
    return vocab, merges


def make_images(folder):
    """Images of odd sizes and modes; returns their file names."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(7)
    files = []

    y, x = np.mgrid[0:23, 0:37]
    gradient = np.stack([x * 255 // 36, y * 255 // 22, (x + y) * 255 // 58], -1).astype(np.uint8)
    Image.fromarray(gradient, "RGB").save(os.path.join(folder, "gradient-37x23.png"))
    files.append("gradient-37x23.png")

    noise = rng.integers(0, 256, (48, 64, 4), dtype=np.uint8)
    Image.fromarray(noise, "RGBA").save(os.path.join(folder, "noise-rgba-64x48.png"))
    files.append("noise-rgba-64x48.png")

    grey = (rng.random((41, 19)) * 255).astype(np.uint8)
    Image.fromarray(grey, "L").save(os.path.join(folder, "grey-19x41.png"))
    files.append("grey-19x41.png")

    palette = Image.fromarray(gradient, "RGB").quantize(16)
    palette.save(os.path.join(folder, "palette-37x23.png"), transparency=3)
    files.append("palette-37x23.png")

    y, x = np.mgrid[0:33, 0:50]
    mixed = np.stack([x * 5, 255 - y * 7, (x * y) % 256], -1) + rng.integers(-20, 21, (33, 50, 3))
    Image.fromarray(np.clip(mixed, 0, 255).astype(np.uint8), "RGB").save(
        os.path.join(folder, "mixed-50x33.jpg"), quality=90)
    files.append("mixed-50x33.jpg")

    tiny = rng.integers(0, 256, (5, 8, 3), dtype=np.uint8)
    Image.fromarray(tiny, "RGB").save(os.path.join(folder, "tiny-8x5.png"))
    files.append("tiny-8x5.png")

    y, x = np.mgrid[0:27, 0:45]
    webp = np.stack([x * 5, y * 9, 255 - x * 3, 128 + (x - y) * 2], -1).astype(np.uint8)
    Image.fromarray(webp, "RGBA").save(os.path.join(folder, "lossy-alpha-45x27.webp"), quality=80)
    files.append("lossy-alpha-45x27.webp")
    Image.fromarray(webp[..., :3], "RGB").save(os.path.join(folder, "lossy-45x27.webp"), quality=70)
    files.append("lossy-45x27.webp")

    Image.fromarray(rng.integers(0, 256, (300, 211, 3), dtype=np.uint8), "RGB").save(
        os.path.join(folder, "large-211x300.jpg"), quality=75)
    files.append("large-211x300.jpg")
    return files


def randomise(model, generator):
    """Draws every parameter from a wide distribution so tiny models tell inputs apart."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                continue
            if "layer_norm" in name or "layrnorm" in name or "layernorm" in name:
                if name.endswith("weight"):
                    p.copy_(torch.rand(p.shape, generator=generator) + 0.5)
                else:
                    p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
            elif p.dim() >= 2 and "embedding" not in name:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) * (1.5 / fan_in ** 0.5))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)


def write_tokenizer(folder, vocab, merges):
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


def compact(values):
    """Floats rounded to 9 significant digits, enough to give back every float32 exactly."""
    return [float(f"{v:.9g}") for v in values]


def reference(folder, image_folder, image_files, tokenizer, processor, with_pixels=True):
    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()
    images = [Image.open(os.path.join(image_folder, name)) for name in image_files]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    token_ids = [tokenizer(c, truncation=True, max_length=77)["input_ids"] for c in CAPTIONS]
    batch = tokenizer(CAPTIONS, truncation=True, max_length=77, padding="max_length", return_tensors="pt")
    with torch.no_grad():
        image_features = model.get_image_features(pixel_values=pixels).pooler_output
        text_features = model.get_text_features(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).pooler_output
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       pixel_values=pixels).logits_per_image
    result = {
        "captions": CAPTIONS,
        "images": image_files,
        "token_ids": token_ids,
        "pixel_values": [compact(p.flatten().tolist()) for p in pixels] if with_pixels else [],
        "image_features": [compact(row) for row in image_features.tolist()],
        "text_features": [compact(row) for row in text_features.tolist()],
        "logits_per_image": [compact(row) for row in logits.tolist()],
    }
    with open(os.path.join(folder, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


def build(out, name, vocab, merges, image_files, *, act, image_size, patch, crop, shortest, legacy_eos, seed):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    eos = vocab["<|endoftext|>"]
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, max_position_embeddings=77, hidden_act=act,
            bos_token_id=0 if legacy_eos else vocab["<|startoftext|>"],
            eos_token_id=2 if legacy_eos else eos, pad_token_id=1),
        vision_config=dict(
            hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            image_size=image_size, patch_size=patch, hidden_act=act),
        projection_dim=24)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    randomise(model, generator)
    model.save_pretrained(folder)
    write_tokenizer(folder, vocab, merges)
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": shortest}, crop_size={"height": crop, "width": crop})
    processor.save_pretrained(folder)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
    reference(folder, os.path.join(out, "images"), image_files, tokenizer, processor)
    return folder, model, tokenizer, processor


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/WiseCLIPTests/Fixtures"
    vocab, merges = train_bpe(CORPUS, 200)
    image_files = make_images(os.path.join(out, "images"))
    quick, model, tokenizer, processor = build(
        out, "tiny-quick", vocab, merges, image_files, act="quick_gelu", image_size=32, patch=8,
        crop=32, shortest=32, legacy_eos=False, seed=1)
    build(out, "tiny-gelu", vocab, merges, image_files, act="gelu", image_size=28, patch=7,
          crop=28, shortest=30, legacy_eos=True, seed=2)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    for suffix, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        folder = os.path.join(out, f"tiny-quick-{suffix}")
        os.makedirs(folder, exist_ok=True)
        for name in ("config.json", "vocab.json", "merges.txt", "preprocessor_config.json"):
            shutil.copy(os.path.join(quick, name), folder)
        save_file({k: v.to(dtype) for k, v in state.items()}, os.path.join(folder, "model.safetensors"),
                  metadata={"format": "pt"})
        # The pixels are tiny-quick's; only the weights differ.
        reference(folder, os.path.join(out, "images"), image_files, tokenizer, processor, with_pixels=False)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print(f"fixtures written to {out}: {total} bytes")


if __name__ == "__main__":
    main()
