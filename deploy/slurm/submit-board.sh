#!/usr/bin/env bash
# Submits a whole board to Slurm from one board spec: for each run that `wise board plan SPEC`
# lists, submit.sh's job array of SHARDS generate+judge tasks and its merge job (into
# STORE_DIR/RUN/merged.sqlite); then one board job (wise-board.sbatch) that starts only when every
# run's merge succeeded (--dependency=afterok:…, --kill-on-invalid-dep=yes), merges the runs into
# STORE_DIR/board.sqlite and writes the board report. Prints the board job's id on stdout.
#
#   SHARDS=8 STORE_DIR=/shared/wise/board WISE_BIN=/opt/wise/bin/wise \
#   SBATCH_ARGS="--partition=gpu --gres=gpu:1 --time=04:00:00" \
#   deploy/slurm/submit-board.sh board.json
#
# More environment: as for submit.sh (SBATCH_ARGS, MERGE_SBATCH_ARGS, ARRAY_LIMIT, SHARD_BASE,
# JUDGE); BOARD_SBATCH_ARGS (sbatch options for the board job; default: MERGE_SBATCH_ARGS, else
# SBATCH_ARGS less GPU options), REPORT_ARGS (more `wise board report` arguments). The spec is
# copied to STORE_DIR/board.json, which the board job reads. The judge's key is read by every job
# from the variable judge.api_key_env names (exported with --export=ALL), never written anywhere.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
spec="${1:?usage: submit-board.sh SPEC (a board spec; see wise board --help)}"
: "${SHARDS:?SHARDS is not set}" "${STORE_DIR:?STORE_DIR is not set}"
export WISE_BIN="${WISE_BIN:-$(command -v wise || echo wise)}"
mkdir -p "$STORE_DIR"
STORE_DIR="$(cd "$STORE_DIR" && pwd)"
LOG_DIR="${LOG_DIR:-$STORE_DIR/logs}"
mkdir -p "$LOG_DIR"

# The plan checks the spec (and every generator and the judge) before anything is submitted.
plan="$("$WISE_BIN" board plan "$spec" --format shell)"
cp "$spec" "$STORE_DIR/board.json"

merge_jobs=()
runs=()
while IFS= read -r line; do
  [ -n "$line" ] || continue
  # One run: RUN_NAME SET MODEL GEN_ARGS JUDGE_ARGS IDS LIMIT, shell-quoted by `wise board plan`.
  submitted="$(eval "export $line"; STORE_DIR="$STORE_DIR/$RUN_NAME" LOG_DIR="$LOG_DIR" "$here/submit.sh")"
  read -r shards_job merge_job <<< "$submitted"
  run="$(eval "$line"; echo "$RUN_NAME")"
  runs+=("$run"); merge_jobs+=("$merge_job")
  echo "submit-board.sh: run $run: shards job $shards_job, merge job $merge_job" >&2
done <<< "$plan"

if [ -n "${BOARD_SBATCH_ARGS+set}" ]; then
  eval "board_args=(${BOARD_SBATCH_ARGS})"
elif [ -n "${MERGE_SBATCH_ARGS+set}" ]; then
  eval "board_args=(${MERGE_SBATCH_ARGS})"
else
  eval "all_args=(${SBATCH_ARGS:-})"
  board_args=()
  for a in "${all_args[@]}"; do case "$a" in --gres=*|--gpus=*|--gpus-per-*) ;; *) board_args+=("$a");; esac; done
fi
dependency="afterok$(printf ':%s' "${merge_jobs[@]}")"
board_job="$(STORE_DIR="$STORE_DIR" RUNS="${runs[*]}" sbatch --parsable --export=ALL --dependency="$dependency" --kill-on-invalid-dep=yes \
  --output="$LOG_DIR/board-%j.out" "${board_args[@]}" "$here/wise-board.sbatch")"
board_job="${board_job%%;*}"
echo "submit-board.sh: ${#runs[@]} runs; board job $board_job after $dependency; logs in $LOG_DIR" >&2
echo "$board_job"
