#!/usr/bin/env bash
# GPU check for the transformers worker: tiny random Janus and Emu3 built in code, the worker on
# DEVICE in DTYPE; per family: ready time, images ok and 32x32, same seed -> same bytes, ms/image.
#   PYTHON=python3 tools/gpu_check_transformers.sh [DEVICE] [DTYPES...]   (default: cuda bfloat16 float32)
# Needs python with torch, transformers 5.24 and pillow; no hub. About 1 min a dtype.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
device="${1:-cuda}"; shift || true
dtypes="${*:-bfloat16 float32}"
tmp="$(mktemp -d /tmp/wise-tfw-check.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$PYTHON" -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available(), "transformers", transformers.__version__)'
for kind in janus emu3; do "$PYTHON" "$repo/workers/tests/tiny_models.py" $kind "$tmp/tiny-$kind" >/dev/null 2>"$tmp/build-$kind.log" || { tail -5 "$tmp/build-$kind.log"; exit 1; }; done
"$PYTHON" - "$repo" "$tmp" "$device" $dtypes <<'PY'
import os, statistics, sys, time
repo, tmp, device, *dtypes = sys.argv[1:]
sys.path.insert(0, os.path.join(repo, "workers", "tests"))
from worker_client import WorkerProcess, digest
from PIL import Image
for dtype in dtypes:
    for kind in ("janus", "emu3"):
        extra = ["--image-area", "1024"] if kind == "emu3" else []
        t0 = time.monotonic()
        w = WorkerProcess([sys.executable, os.path.join(repo, "workers", "transformers_worker.py"), "--model", f"{tmp}/tiny-{kind}",
                           "--local-files-only", "--device", device, "--dtype", dtype, *extra], stderr_path=f"{tmp}/{kind}-{dtype}.log")
        ready = w.next_message(300)
        if not (ready or {}).get("ready"):
            print(kind, dtype, "NOT READY:", ready, open(f"{tmp}/{kind}-{dtype}.log").read()[-1500:]); continue
        print(f"{kind} {dtype}: ready in {time.monotonic() - t0:.1f} s, device {ready['metadata'].get('device')}, {ready['metadata'].get('model_class')}")
        reqs = [{"id": f"{kind}-{i}", "prompt": f"a red cat number {i}", "seed": 100 + i, "width": None, "height": None, "steps": None,
                 "guidance": None, "output": f"{tmp}/out-{kind}-{dtype}/{i}.png", "options": {}} for i in range(8)]
        w.send(reqs[0]); w.replies(1, 300)
        t = time.monotonic(); w.send(*reqs); replies = w.replies(len(reqs), 600); wall = time.monotonic() - t
        bad = [r for r in replies.values() if r.get("status") != "ok"]
        sizes = {Image.open(r["output"]).size for r in reqs if os.path.exists(r["output"])}
        again = dict(reqs[3], id="again", output=f"{tmp}/out-{kind}-{dtype}/again.png")
        w.send(again); w.replies(1, 300)
        if bad:
            print(f"  {kind} {dtype}: {len(bad)} errors, first: {bad[0]}"); print("  log:", open(f"{tmp}/{kind}-{dtype}.log").read()[-1200:])
            w.close_stdin_and_wait(60); continue
        distinct = len({digest(r["output"]) for r in reqs})
        print(f"  {len(reqs)} images: errors {len(bad)} {bad[:1]}, sizes {sizes}, {1000 * wall / len(reqs):.1f} ms/image, "
              f"distinct {distinct}/8, same seed same bytes: {digest(again['output']) == digest(reqs[3]['output'])}")
        print("  exit", w.close_stdin_and_wait(60))
PY
