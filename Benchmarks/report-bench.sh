#!/bin/sh
# report-bench: times `wise report` over a 20-run board of 1000 items with 10,000 resamples, through
# the real path (store reads, WiScore, the stratified bootstrap, rendering). Not a test; run it on a
# release build, with a catalogue folder in WISE_DATA (default ../shared/wise):
#
#     swift build -c release --product wise && sh Benchmarks/report-bench.sh [RUNS] [RESAMPLES] [REPEAT]
#
# It imports RUNS legacy runs of random official-format scores (a few ids left out of some, so the
# coverage path is taken too) into a temporary store and prints the best wall time of REPEAT reports.
set -eu
RUNS=${1:-20}; RESAMPLES=${2:-10000}; REPEAT=${3:-3}
WISE=${WISE:-.build/release/wise}
export WISE_DATA=${WISE_DATA:-../shared/wise}
DIR=$(mktemp -d /tmp/wise-report-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
python3 "$(dirname "$0")/score_files.py" "$DIR" "$RUNS" r --gaps
NAMES=""
r=0
while [ "$r" -lt "$RUNS" ]; do
  "$WISE" import "r$r" --set legacy --protocol legacy "$DIR"/r${r}_*.jsonl --store "$DIR/wise.sqlite" >/dev/null 2>&1
  NAMES="$NAMES r$r"; r=$((r + 1))
done
best=""
i=0
while [ "$i" -lt "$REPEAT" ]; do
  start=$(date +%s.%N)
  "$WISE" report $NAMES --format json --resamples "$RESAMPLES" --store "$DIR/wise.sqlite" > "$DIR/report.json"
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  i=$((i + 1))
done
echo "wise report: $RUNS runs × 1000 items, $RESAMPLES resamples: best of $REPEAT $best s (load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
