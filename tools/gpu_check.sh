#!/usr/bin/env bash
# GPU check for the diffusers worker (prepared for the lead; not run in CI). On a machine with an
# NVIDIA GPU and a CUDA build of torch plus transformers and diffusers installed (no hub needed):
# builds the tiny random Stable Diffusion pipeline of the tests in code, starts
# workers/diffusers_worker.py with --device cuda, and prints the ready time and per-image timings
# (64x64 / 2 steps and 512x512 / 20 steps, batch 1 and batch 4), and whether a request alone and
# the same request in a full batch give identical bytes on this GPU.
#
#   PYTHON=/path/to/venv/bin/python tools/gpu_check.sh [--dtype float16] [--device cuda:0]
#
# Needs: python with torch (CUDA), diffusers, transformers, pillow; nvidia-smi optional. ~1-2 min.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
dtype=float16; device=cuda
while [ $# -gt 0 ]; do
  case "$1" in --dtype) dtype="$2"; shift 2;; --device) device="$2"; shift 2;; *) echo "unknown $1" >&2; exit 64;; esac
done
tmp="$(mktemp -d /tmp/wise-gpu-check.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
DEVICE="$device" "$PYTHON" -c 'import os, torch, diffusers, transformers; assert not os.environ["DEVICE"].startswith("cuda") or torch.cuda.is_available(), "no CUDA in torch"; print("torch", torch.__version__, "cuda", torch.version.cuda, "diffusers", diffusers.__version__, "transformers", transformers.__version__)'
"$PYTHON" "$repo/workers/tests/tiny_models.py" stable-diffusion "$tmp/tiny-sd" >/dev/null 2>"$tmp/build.log"
timeout 600 "$PYTHON" - "$repo" "$tmp" "$dtype" "$device" <<'PY'
import os, statistics, sys, time
repo, tmp, dtype, device = sys.argv[1:5]
sys.path.insert(0, os.path.join(repo, "workers", "tests"))
from worker_client import WorkerProcess, digest
for batch in (1, 4):
    started = time.monotonic()
    w = WorkerProcess([sys.executable, os.path.join(repo, "workers", "diffusers_worker.py"), "--model", f"{tmp}/tiny-sd",
                       "--device", device, "--dtype", dtype, "--batch", str(batch), "--batch-wait", "0.2"],
                      stderr_path=f"{tmp}/worker-{batch}.log")
    ready = w.next_message(300)
    print(f"batch {batch}: ready in {time.monotonic() - started:.1f} s on {ready['metadata']['device_name']}")
    for size, steps, count in ((64, 2, 16), (512, 20, 16)):
        reqs = [{"id": f"{size}-{i}", "prompt": f"a red cat number {i}", "seed": 1000 + i, "width": size, "height": size,
                 "steps": steps, "guidance": 7.0, "output": f"{tmp}/out-{batch}/{size}-{i}.png", "options": {}} for i in range(count)]
        w.send(reqs[0]); w.replies(1, 300)                      # warm-up
        t = time.monotonic(); w.send(*reqs); replies = w.replies(count, 600); wall = time.monotonic() - t
        bad = [r for r in replies.values() if r["status"] != "ok"]
        assert not bad, bad[:1]
        per = [r["seconds"] for r in replies.values()]
        print(f"  {size}x{size}, {steps} steps: {count} images in {wall:.2f} s, {1000 * wall / count:.1f} ms/image wall, "
              f"median {1000 * statistics.median(per):.1f} ms/image in the pipeline")
    one = {"id": "alone", "prompt": "a red cat number 3", "seed": 1003, "width": 512, "height": 512, "steps": 20,
           "guidance": 7.0, "output": f"{tmp}/out-{batch}/alone.png", "options": {}}
    w.send(one); w.replies(1, 300)
    print(f"  request alone == same request in a batch of {batch}: {digest(one['output']) == digest(f'{tmp}/out-{batch}/512-3.png')}")
    assert w.close_stdin_and_wait(60) == 0
PY
