#!/bin/sh
# html-bench: the size of `wise report --format html` on the two boards issue 16 names, and the time to
# write it (first time, and again with the thumbnails already there). Not a test; run it with a build:
#
#     swift build --product wise && swift build --product wise-bench && sh Benchmarks/html-bench.sh [IMAGED] [IMPORTED] [PX]
#
# 1. IMAGED runs (default 8) of 1000 distinct PX×PX photo-like PNGs each (default 512 px), registered from
#    folders and judged by wise-bench's fake judge (replies and all), on one board.
# 2. IMPORTED runs (default 100) of 1000 items imported from random official-format score files, no images.
# For each it prints the largest page, all HTML, the image files beside it and their count, and the wall
# time. BASE=PATH measures another wise binary on the same store too (an older one, for the figures before
# a change); WISE_DATA is the catalogue folder (default ../shared/wise).
set -eu
IMAGED=${1:-8}; IMPORTED=${2:-100}; PX=${3:-512}
WISE=${WISE:-.build/debug/wise}; BENCH=${BENCH:-.build/debug/wise-bench}
export WISE_DATA=${WISE_DATA:-../shared/wise}
DIR=$(mktemp -d /tmp/wise-html-bench.XXXXXX)
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DIR"' EXIT

# size FOLDER LABEL SECONDS: one line of figures for a written report folder.
size() {
  largest=$(find "$1" -name '*.html' -printf '%s\n' | sort -n | tail -1)
  html=$(find "$1" -name '*.html' -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
  pages=$(find "$1" -name '*.html' | wc -l)
  files=$(find "$1" -type f ! -name '*.html' | wc -l)
  images=$(find "$1" -type f ! -name '*.html' -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
  printf '%-34s largest page %7.2f MB · HTML %7.2f MB in %4d pages · %5d image files %8.2f MB · %6.1f s\n' \
    "$2" "$(echo "$largest / 1000000" | bc -l)" "$(echo "$html / 1000000" | bc -l)" "$pages" "$files" \
    "$(echo "$images / 1000000" | bc -l)" "$3"
}

# timed OUT BIN RUN…: runs `BIN report RUN… --format html --out OUT` and prints its wall seconds.
timed() {
  out=$1; bin=$2; shift 2
  start=$(date +%s.%N)
  "$bin" report "$@" --format html --out "$out" --resamples 200 --store "$DIR/wise.sqlite" >/dev/null 2>"$DIR/report.err" \
    || { cat "$DIR/report.err" >&2; exit 1; }
  echo "$(date +%s.%N) - $start" | bc
}

python3 "$(dirname "$0")/score_files.py" "$DIR" "$IMPORTED" s
python3 - "$DIR" "$IMAGED" "$PX" <<'PY'
import os, struct, sys, zlib
try:
    import numpy as np
except ImportError:
    sys.exit("html-bench: needs python3 with numpy to draw the images (apt-get install python3-numpy)")
folder, imaged, px = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
# Photo-like content, so PNG sizes and thumbnails are those of generated images, not of noise: a few
# random colour waves plus grain. Drawn once; run r > 0 gets the same pixels with a tEXt chunk naming
# it, so its files (and their hashes) are its own while drawing stays cheap.
y, x = np.mgrid[0:px, 0:px] / px
rng = np.random.default_rng(1000)
for r in range(imaged):
    os.makedirs(f"{folder}/img{r}")
for i in range(1, 1001):
    f = rng.uniform(1, 6, (3, 3, 2)); phase = rng.uniform(0, 6.3, (3, 3))
    rgb = np.stack([sum(np.sin(f[c, k, 0] * x * 6.3 + f[c, k, 1] * y * 6.3 + phase[c, k]) for k in range(3)) for c in range(3)], axis=-1)
    rgb = (128 + 40 * rgb + rng.normal(0, 6, rgb.shape)).clip(0, 255).astype(np.uint8)
    raw = np.concatenate([np.zeros((px, 1), np.uint8), rgb.reshape(px, px * 3)], axis=1).tobytes()
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", px, px, 8, 2, 0, 0, 0))
    tail = chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    for r in range(imaged):
        text = chunk(b"tEXt", b"Comment\0run %d" % r) if r else b""
        open(f"{folder}/img{r}/{i}.png", "wb").write(head + text + tail)
PY

"$BENCH" serve --protocol legacy --latency 0 --port-file "$DIR/port" >/dev/null 2>&1 &
SERVER=$!
while [ ! -s "$DIR/port" ]; do sleep 0.1; done
NAMES=""
r=0
while [ "$r" -lt "$IMAGED" ]; do
  "$WISE" run "g$r" --set legacy --images "$DIR/img$r" --store "$DIR/wise.sqlite" >/dev/null 2>&1
  WISE_BENCH_KEY=sk-bench "$WISE" judge "g$r" --base-url "$(cat "$DIR/port")" --model bench-judge --api-key-env WISE_BENCH_KEY \
    --concurrency 32 --store "$DIR/wise.sqlite" >/dev/null 2>&1
  NAMES="$NAMES g$r"; r=$((r + 1))
done
kill "$SERVER"; SERVER=""
echo "the registered images: $(find "$DIR"/img* -type f -printf '%s\n' | awk '{s += $1} END {printf "%.2f MB in %d files", s / 1000000, NR}')"
IMAGED_NAMES=$NAMES

NAMES=""
r=0
while [ "$r" -lt "$IMPORTED" ]; do
  "$WISE" import "s$r" --set legacy --protocol legacy "$DIR"/s${r}_*.jsonl --store "$DIR/wise.sqlite" >/dev/null 2>&1
  NAMES="$NAMES s$r"; r=$((r + 1))
done
# Each binary measured writes the imaged board twice into one folder (the second time finds its
# thumbnails), then the imported board.
for pair in "$WISE:this" ${BASE:+"$BASE:base"}; do
  bin=${pair%:*}; label=${pair##*:}
  # shellcheck disable=SC2086
  first=$(timed "$DIR/imaged-$label" "$bin" $IMAGED_NAMES)
  # shellcheck disable=SC2086
  again=$(timed "$DIR/imaged-$label" "$bin" $IMAGED_NAMES)
  size "$DIR/imaged-$label" "$label: $IMAGED runs × 1000 imaged (${PX} px)" "$first"
  echo "  written again into the same folder: $again s"
  # shellcheck disable=SC2086
  t=$(timed "$DIR/imported-$label" "$bin" $NAMES)
  size "$DIR/imported-$label" "$label: $IMPORTED imported runs × 1000, no images" "$t"
  echo "  ($label is $("$bin" --version))"
done
echo "(load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
