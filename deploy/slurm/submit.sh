#!/usr/bin/env bash
# Submits a sharded wise run to Slurm: a job array of SHARDS generate+judge tasks, then a merge and
# report job that starts only if all of them succeed. Prints "SHARD_JOB_ID MERGE_JOB_ID" on stdout.
#
#   RUN_NAME=sd35 SET=verified MODEL=sd-3.5-large SHARDS=8 STORE_DIR=/shared/wise/sd35 IDS=1-400 \
#   WISE_BIN=/opt/wise/bin/wise SBATCH_ARGS="--partition=gpu --gres=gpu:1 --time=04:00:00" \
#   JUDGE_ARGS="--base-url http://judge-host:8000/v1 --model Qwen3.5-35B-A3B" \
#   deploy/slurm/submit.sh
#
# More environment: IDS and LIMIT (the selection, passed to generate and judge alike), GEN_ARGS,
# JUDGE, SHARD_BASE (see wise-shards.sbatch), MERGED, REPORT_ARGS (see wise-merge.sbatch),
# MERGE_SBATCH_ARGS (sbatch options for the merge job only; default: the
# SBATCH_ARGS less --gres), ARRAY_LIMIT (most shards running at once), LOG_DIR (default
# STORE_DIR/logs).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
: "${RUN_NAME:?RUN_NAME is not set}" "${SHARDS:?SHARDS is not set}" "${STORE_DIR:?STORE_DIR is not set}"
case "$SHARDS" in ''|*[!0-9]*|0) echo "submit.sh: SHARDS must be a positive integer, got $SHARDS" >&2; exit 64;; esac
mkdir -p "$STORE_DIR"
STORE_DIR="$(cd "$STORE_DIR" && pwd)"
LOG_DIR="${LOG_DIR:-$STORE_DIR/logs}"
mkdir -p "$LOG_DIR"
export RUN_NAME SHARDS STORE_DIR
export WISE_BIN="${WISE_BIN:-$(command -v wise || echo wise)}"

eval "sbatch_args=(${SBATCH_ARGS:-})"
if [ -n "${MERGE_SBATCH_ARGS+set}" ]; then
  eval "merge_args=(${MERGE_SBATCH_ARGS})"
else
  merge_args=()
  for a in "${sbatch_args[@]}"; do case "$a" in --gres=*|--gpus=*|--gpus-per-*) ;; *) merge_args+=("$a");; esac; done
fi

array="0-$(( SHARDS - 1 ))${ARRAY_LIMIT:+%$ARRAY_LIMIT}"
shards_job="$(sbatch --parsable --export=ALL --array="$array" \
  --output="$LOG_DIR/shard-%A_%a.out" "${sbatch_args[@]}" "$here/wise-shards.sbatch")"
shards_job="${shards_job%%;*}"
merge_job="$(sbatch --parsable --export=ALL --dependency="afterok:$shards_job" --kill-on-invalid-dep=yes \
  --output="$LOG_DIR/merge-%j.out" "${merge_args[@]}" "$here/wise-merge.sbatch")"
merge_job="${merge_job%%;*}"
echo "submit.sh: shards job $shards_job (array $array), merge job $merge_job; logs in $LOG_DIR" >&2
echo "$shards_job $merge_job"
