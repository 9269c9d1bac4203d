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
python3 - "$DIR" "$RUNS" <<'PY'
import json, random, sys
folder, runs = sys.argv[1], int(sys.argv[2])
domains = {"cultural_common_sense": range(1, 401), "spatio-temporal_reasoning": range(401, 701), "natural_science": range(701, 1001)}
for r in range(runs):
    rng = random.Random(r)
    for domain, ids in domains.items():
        with open(f"{folder}/r{r}_{domain}_scores_results.jsonl", "w") as f:
            for i in ids:
                if r % 4 == 3 and i % 97 == 0:
                    continue
                f.write(json.dumps({"prompt_id": i, "consistency": rng.randint(0, 2), "realism": rng.randint(0, 2), "aesthetic_quality": rng.randint(0, 2)}) + "\n")
PY
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
