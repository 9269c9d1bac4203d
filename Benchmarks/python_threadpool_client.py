#!/usr/bin/env python3
"""The baseline judge client of the kind evaluation scripts use today.

A ThreadPoolExecutor of --concurrency threads, each with its own requests.Session (so each
thread keeps one keep-alive connection), sends one OpenAI chat completion per image
{i}.png in --images, with the image inline as a base64 data URL, and collects the replies.

It prints one JSON line:
  {"client": "python-threadpool", "requests": N, "ok": K, "wall_s": ..., "cpu_s": ..., "max_rss_mb": ...}
where cpu_s is user + system time of this process and max_rss_mb its peak resident set.

Usage:
  python3 python_threadpool_client.py --url BASE/v1/chat/completions --images DIR \
      --count 1000 --concurrency 64 --model M --key K
"""

import argparse
import base64
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

# The same rubric-sized text the Swift minimal client sends, so request bodies are alike.
RUBRIC = "Rate how well the image matches the prompt and its explanation. " * 20

_local = threading.local()


def session():
    """This thread's own Session, made on first use."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def judge_one(url, headers, model, path):
    """Sends one chat completion; returns the reply text, or None when there is none."""
    with open(path, "rb") as handle:
        encoded = base64.b64encode(handle.read()).decode("ascii")
    body = {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": RUBRIC},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}},
                ],
            }
        ],
        "temperature": 0,
        "max_tokens": 512,
    }
    try:
        response = session().post(url, headers=headers, json=body, timeout=60)
        if response.status_code != 200:
            return None
        return response.json()["choices"][0]["message"]["content"] or None
    except (requests.RequestException, ValueError, KeyError, IndexError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the full chat-completions URL")
    parser.add_argument("--images", required=True, help="folder holding 1.png … N.png")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--model", default="bench-judge")
    parser.add_argument("--key", default=os.environ.get("OPENAI_API_KEY", "sk-bench"))
    args = parser.parse_args()

    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}
    paths = [os.path.join(args.images, f"{i}.png") for i in range(1, args.count + 1)]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        replies = list(pool.map(lambda path: judge_one(args.url, headers, args.model, path), paths))
    wall = time.monotonic() - started

    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "client": "python-threadpool",
        "requests": len(paths),
        "ok": sum(1 for reply in replies if reply),
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
