#!/usr/bin/env python3
"""The PyTorch side of the CLIP benchmark, and the maker of its random full-size models.

    clip_bench_torch.py make DIR --shape b32|l14    # random weights, config, tokenizer files
    clip_bench_torch.py bench DIR --threads 2       # one JSON line: images/s, texts/s, peak RSS

`Benchmarks/clip-bench` runs both against WiseCLIP in one go; the models are written to a
temporary folder and never committed. Needs torch (CPU) and transformers, as
`make_clip_fixtures.py` does.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SHAPES = {
    # OpenAI's published shapes (text tower: 12 layers; width 512 for B, 768 for L).
    "b32": dict(text=dict(hidden_size=512, intermediate_size=2048, num_attention_heads=8),
                vision=dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12,
                            num_hidden_layers=12, patch_size=32, image_size=224),
                projection_dim=512),
    "l14": dict(text=dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12),
                vision=dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
                            num_hidden_layers=24, patch_size=14, image_size=224),
                projection_dim=768),
}

CAPTIONS = [
    "a photo of a cat sitting on a red sofa",
    "the eiffel tower at night with fireworks",
    "a bowl of ramen with a soft boiled egg",
    "an oil painting of a ship in a storm",
] * 4


def make(folder, shape):
    from make_clip_fixtures import train_bpe, write_tokenizer, CORPUS
    from transformers import CLIPConfig, CLIPModel

    spec = SHAPES[shape]
    vocab, merges = train_bpe(CORPUS, 200)
    # The published vocabulary has 49408 entries with the two special tokens last.
    vocab = {t: i for t, i in vocab.items() if not t.startswith("<|")}
    vocab["<|startoftext|>"] = 49406
    vocab["<|endoftext|>"] = 49407
    config = CLIPConfig(
        text_config=dict(vocab_size=49408, num_hidden_layers=12, max_position_embeddings=77,
                         hidden_act="quick_gelu", bos_token_id=49406, eos_token_id=49407, **spec["text"]),
        vision_config=dict(hidden_act="quick_gelu", **spec["vision"]),
        projection_dim=spec["projection_dim"])
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    write_tokenizer(folder, vocab, merges)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rate(result, key, fn, items, seconds, min_runs):
    """Items per second and CPU seconds per item, after one warm-up run."""
    fn()
    runs, start, cpu_start = 0, time.perf_counter(), cpu_seconds()
    while runs < min_runs or time.perf_counter() - start < seconds:
        fn()
        runs += 1
    result[key] = items * runs / (time.perf_counter() - start)
    result[key + "_cpu_s"] = (cpu_seconds() - cpu_start) / (items * runs)


def bench(folder, threads, seconds):
    from transformers import CLIPModel, CLIPTokenizer

    torch.set_num_threads(threads)
    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()
    size = model.config.vision_config.image_size
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().splitlines()[1:] if line]
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
    generator = torch.Generator().manual_seed(0)
    result = {"side": "pytorch", "torch": torch.__version__, "threads": threads,
              "kernels": "CPU capability " + torch.backends.cpu.get_cpu_capability()
              + ", BLAS " + ("MKL" if torch.backends.mkl.is_available() else "other")}
    with torch.inference_mode():
        for batch in (1, 16):
            pixels = torch.randn(batch, 3, size, size, generator=generator)
            rate(result, f"images_per_s_batch{batch}",
                 lambda: model.get_image_features(pixel_values=pixels), batch, seconds, 2)

        def texts():
            tokens = tokenizer(CAPTIONS, padding=True, return_tensors="pt")
            model.get_text_features(**tokens)

        rate(result, "texts_per_s_batch16", texts, len(CAPTIONS), seconds, 2)
        # The parity check: features for inputs the Swift side builds the same way.
        plane = 3 * size * size
        index = torch.arange(plane, dtype=torch.int64)
        check = ((index * 7919) % 4001 - 2000).to(torch.float32) / 1000
        result["check_image"] = model.get_image_features(
            pixel_values=check.reshape(1, 3, size, size)).pooler_output[0].tolist()
        tokens = tokenizer(CAPTIONS[:4], padding=True, return_tensors="pt")
        result["check_texts"] = model.get_text_features(**tokens).pooler_output.tolist()
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["weights_bytes"] = os.path.getsize(os.path.join(folder, "model.safetensors"))
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("folder")
    m.add_argument("--shape", choices=sorted(SHAPES), required=True)
    b = sub.add_parser("bench")
    b.add_argument("folder")
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if args.command == "make":
        make(args.folder, args.shape)
    else:
        bench(args.folder, args.threads, args.seconds)


if __name__ == "__main__":
    main()
