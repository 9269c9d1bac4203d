#!/usr/bin/env bash
# The real-Slurm test: starts a single-node Slurm cluster (Debian's slurmctld and slurmd, auth/none,
# under a temporary folder, on free ports), submits deploy/slurm/submit.sh with 4 shards of
# generate + judge and the dependent merge + report job, and checks that the merged store equals
# one unsharded run item for item (image hashes and judgments) and that the reports agree.
#
#   bash Tests/slurm/run_slurm_test.sh          # needs root and slurmctld/slurmd/slurm-client
#   SLURM_TEST_INSTALL=1 bash Tests/slurm/run_slurm_test.sh   # apt-get installs them first
#
# Which `wise`: WISE_BIN if set; else .build/debug/wise when it has `merge`; else the stand-in
# Tests/slurm/standin_wise.py (same commands, same tables), which checks the Slurm plumbing only.
# With the real binary the judge is `wise-bench serve` (the fake OpenAI-compatible judge) on
# loopback (WISE_BENCH_BIN, default .build/debug/wise-bench), the generator arguments come from
# TEST_GEN_ARGS (default: the command adapter copying one PNG per image), and the selection is
# IDS (default 3-22,401-420: ids whose round-robin split differs from that of all 1000 ids), given
# to deploy/slurm as IDS, which passes it to generate and judge alike (SLURM_TEST_IDS_IN=gen: to
# generate only). A judge that split other ids than the generator would leave images unjudged, and
# the item-by-item comparison would fail.
#
# SLURM_TEST_WHAT=board tests deploy/slurm/submit-board.sh instead: a board spec of three command
# models, each run as 2 shards and a merge, then the board job (afterok on the three merges); the
# board store must equal `wise board run` of the same spec on this machine, item for item.
#
# Exit status: 0 passed, 1 failed, 77 skipped (not root, or Slurm missing). Every wait is bounded;
# the daemons and the judge server are stopped by PID; everything lives under one temporary folder
# (kept when SLURM_TEST_KEEP=1 or on failure, and named on stderr).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
say() { echo "slurm-test: $*" >&2; }
started_at=$SECONDS

if [ "$(id -u)" != 0 ]; then say "SKIP: needs root (the daemons run as SlurmUser=root)"; exit 77; fi
if [ "${SLURM_TEST_INSTALL:-0}" = 1 ] && ! command -v slurmctld >/dev/null; then
  say "installing slurmctld slurmd slurm-client"
  apt-get update -qq
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
for tool in slurmctld slurmd sbatch scontrol sinfo scancel python3; do
  command -v "$tool" >/dev/null || { say "SKIP: $tool is not installed (SLURM_TEST_INSTALL=1 installs Slurm)"; exit 77; }
done

tmp="$(mktemp -d /tmp/wise-slurm-test.XXXXXX)"
export SLURM_CONF="$tmp/slurm.conf"
pids=()
passed=0
cleanup() {
  set +e
  if [ -n "${shards_job:-}" ]; then scancel "$shards_job" "${merge_job:-}" >/dev/null 2>&1; fi
  if [ -n "${board_job:-}" ]; then squeue -h -o %A 2>/dev/null | xargs -r scancel >/dev/null 2>&1; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "pid $pid did not stop in 10 s; killing it"; kill -KILL "$pid"; }
  done
  if [ "$passed" = 1 ] && [ "${SLURM_TEST_KEEP:-0}" != 1 ]; then rm -rf "$tmp"; else say "kept $tmp"; fi
}
trap cleanup EXIT

# Bounded wait: wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
  local limit="$1" what="$2"; shift 2
  local deadline=$(( SECONDS + limit ))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then say "FAIL: $what not within $limit s"; return 1; fi
    sleep 0.2
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- which wise -------------------------------------------------------------------------------
mode="${SLURM_TEST_MODE:-real}"   # standin: the stand-in's judge and arguments, whatever WISE_BIN is
if [ -z "${WISE_BIN:-}" ]; then
  if [ -x "$repo/.build/debug/wise" ] && "$repo/.build/debug/wise" merge --help >/dev/null 2>&1; then
    WISE_BIN="$repo/.build/debug/wise"
  else
    WISE_BIN="$repo/Tests/slurm/standin_wise.py"; mode=standin
    say "NOTE: no wise binary with \`merge\` found; using the stand-in (checks the Slurm plumbing only)"
  fi
fi
case "$WISE_BIN" in */standin_wise.py) mode=standin;; esac
export WISE_BIN
say "wise: $WISE_BIN ($mode); temporary folder $tmp"

# The prompt catalogue: WISE_DATA, else ../shared/wise beside the repository when it exists.
if [ -z "${WISE_DATA:-}" ] && [ -d "$repo/../shared/wise" ]; then export WISE_DATA="$(cd "$repo/../shared/wise" && pwd)"; fi

# --- the cluster ------------------------------------------------------------------------------
host="$(hostname -s)"
ctld_port="$(free_port)"; slurmd_port="$(free_port)"
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port="$(free_port)"; done
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/runs"
cat > "$SLURM_CONF" <<CONF
ClusterName=wisetest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,kill_invalid_depend
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
setsid slurmctld -D -f "$SLURM_CONF" > "$tmp/log/ctld.out" 2>&1 & pids+=($!)
setsid slurmd -D -f "$SLURM_CONF" > "$tmp/log/slurmd.out" 2>&1 & pids+=($!)
node_idle() { [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; }
wait_for 30 "the node to come up idle" node_idle || { tail -5 "$tmp/log/slurmctld.log" "$tmp/log/slurmd.log" >&2; exit 1; }
say "cluster up in $(( SECONDS - started_at )) s (ports $ctld_port, $slurmd_port)"

# --- the judge and the generator ----------------------------------------------------------------
judge_args=""; gen_args="--limit 40"
if [ "$mode" = real ]; then
  bench="${WISE_BENCH_BIN:-$repo/.build/debug/wise-bench}"
  [ -x "$bench" ] || { say "FAIL: $bench not found (swift build --product wise-bench)"; exit 1; }
  "$bench" serve --protocol "${SET:-verified}" --latency 0 --port-file "$tmp/judge.url" > "$tmp/log/judge.out" 2>&1 & pids+=($!)
  wait_for 20 "the judge server to start" test -s "$tmp/judge.url" || exit 1
  export WISE_TEST_JUDGE_KEY=sk-bench
  judge_args="--base-url $(cat "$tmp/judge.url") --model bench-judge --api-key-env WISE_TEST_JUDGE_KEY"
  # 2×2 PNGs (written here, so the generator needs nothing but cp), copied once per image:
  # fixture.png for the sharded run, board-K.png (another colour each) for the board's models.
  python3 - "$tmp" <<'PY'
import struct, sys, zlib
def chunk(kind, data): return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
for name, rgb in [("fixture", (40, 160, 90)), ("board-0", (200, 10, 10)), ("board-1", (10, 200, 10)), ("board-2", (10, 10, 200))]:
    rows = b"".join(b"\x00" + bytes(rgb) * 2 for _ in range(2))
    with open(f"{sys.argv[1]}/{name}.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
  gen_args="${TEST_GEN_ARGS:---generator command --argv 'cp $tmp/fixture.png {out}'}"
  export IDS="${IDS-3-22,401-420}"
  # SLURM_TEST_IDS_IN=gen puts the ids in GEN_ARGS instead, as a recipe that forgets the judge would:
  # `wise judge --shard I/N` must then judge what the shard's generation pass asked for.
  if [ "${SLURM_TEST_IDS_IN:-recipe}" = gen ] && [ -n "$IDS" ]; then gen_args="$gen_args --ids $IDS"; IDS=""; fi
fi


job_state() { scontrol show job -o "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
job_done() {
  case "$(job_state "$1")" in
    COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) return 0;;
    *) return 1;;
  esac
}

# --- a whole board (SLURM_TEST_WHAT=board): 3 models, 2 shards each, then the board job -----------
# The spec of deploy/slurm/submit-board.sh: three command models copying a PNG of their own, ids
# 3-12, the loopback judge. The same spec run by `wise board run` on this machine is the reference:
# the board store must equal it item for item, and the board reports' scores must agree.
if [ "${SLURM_TEST_WHAT:-run}" = board ]; then
  [ "$mode" = real ] || { say "SKIP: the board test needs the real wise (\`wise board\`)"; passed=1; exit 77; }
  unset IDS GEN_ARGS JUDGE_ARGS RUN_NAME MODEL
  spec="$tmp/board-spec.json"
  models=""
  for k in 0 1 2; do models="$models${models:+, }{\"run\": \"m$k\", \"generator\": \"command\", \"options\": {\"argv\": \"cp $tmp/board-$k.png {out}\"}}"; done
  cat > "$spec" <<SPEC
{"sets": ["${SET:-verified}"], "ids": "3-12", "models": [$models],
 "judge": {"model": "bench-judge", "base_urls": ["$(cat "$tmp/judge.url")"], "api_key_env": "WISE_TEST_JUDGE_KEY"}}
SPEC
  mkdir -p "$tmp/local" "$tmp/cluster"
  local_started=$SECONDS
  (cd "$tmp/local" && "$WISE_BIN" board run "$spec" --store "$tmp/runs/board-local.sqlite" --resamples 100 \
     --format json --out "$tmp/runs/board-local.json") > "$tmp/log/board-local.out" 2>&1 \
    || { say "FAIL: wise board run"; cat "$tmp/log/board-local.out" >&2; exit 1; }
  say "board on this machine: $(( SECONDS - local_started )) s"
  slurm_started=$SECONDS
  board_job="$(cd "$tmp/cluster" && SHARDS=2 STORE_DIR="$tmp/runs/board" REPORT_ARGS="--resamples 100" "$repo/deploy/slurm/submit-board.sh" "$spec")"
  say "submitted; board job $board_job"
  if ! wait_for "${SLURM_TEST_TIMEOUT:-300}" "the board job to finish" job_done "$board_job"; then
    scontrol show job -o >&2 || true; exit 1
  fi
  say "slurm: 3 × 2 shards, 3 merges and the board job in $(( SECONDS - slurm_started )) s"
  states="$(scontrol show job -o | sed -n 's/.*JobName=\([a-z-]*\).*JobState=\([A-Z_]*\).*/\1 \2/p' | sort | uniq -c | tr -s ' ' | sed 's/^ //' | paste -sd ';')"
  if [ "$states" != "1 wise-board COMPLETED;3 wise-merge COMPLETED;6 wise-shard COMPLETED" ]; then
    say "FAIL: job states: $states"
    for f in "$tmp"/runs/board/logs/*.out; do echo "== $f" >&2; tail -20 "$f" >&2; done
    exit 1
  fi
  grep -q "(published)" "$tmp/runs/board/board.md" || { say "FAIL: board.md has no published rows"; cat "$tmp/runs/board/board.md" >&2; exit 1; }
  python3 - "$tmp/runs" <<'PY'
import json, sqlite3, sys
runs = sys.argv[1]
QUERY = """
SELECT run.name, image.prompt_id, image.sample_index, image.status, image.sha256,
       judgment.repeat_index, judgment.status, judgment.scores, judgment.wiscore
FROM run JOIN image ON image.run_id = run.id LEFT JOIN judgment ON judgment.image_id = image.id
ORDER BY 1, 2, 3, 6"""
def items(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute(QUERY).fetchall()
local, board = items(f"{runs}/board-local.sqlite"), items(f"{runs}/board/board.sqlite")
problems = []
names = sorted({r[0] for r in board})
if names != ["m0", "m1", "m2"]: problems.append(f"the board store holds runs {names}")
if len(board) != 30 or any(r[4] is None or r[6] is None for r in board): problems.append(f"{len(board)} items, some without image or judgment")
if board != local: problems.append(f"the board store differs from the local board: {len(set(board) - set(local))} items")
def scores(path):
    with open(path) as f: report = json.load(f)
    return [{k: run.get(k) for k in ("name", "overall", "scored", "total", "categories")} for run in report["runs"]]
a, b = scores(f"{runs}/board-local.json"), scores(f"{runs}/board/board-report.json")
if a != b: problems.append(f"the reports differ: {a} vs {b}")
if problems:
    print("slurm-test: FAIL: " + "; ".join(problems), file=sys.stderr); sys.exit(1)
print(f"slurm-test: board of 3 runs × 10 prompts, every image judged; {len(board)} items equal to the local board; reports' scores equal", file=sys.stderr)
PY
  passed=1
  say "PASS in $(( SECONDS - started_at )) s ($mode wise, board)"
  echo "1 passed, 0 failed"
  exit 0
fi

export RUN_NAME=slurm-test SET="${SET:-verified}" GEN_ARGS="$gen_args" JUDGE_ARGS="$judge_args"

# --- one unsharded run, outside Slurm -----------------------------------------------------------
eval "ga=($gen_args)"; eval "ja=($judge_args)"
if [ -n "${IDS:-}" ]; then ga+=(--ids "$IDS"); fi
unsharded_started=$SECONDS
"$WISE_BIN" generate "$RUN_NAME" --set "$SET" "${ga[@]}" --store "$tmp/runs/unsharded.sqlite" > "$tmp/log/unsharded.out" 2>&1 \
  || { say "FAIL: unsharded generate"; cat "$tmp/log/unsharded.out" >&2; exit 1; }
"$WISE_BIN" judge "$RUN_NAME" "${ja[@]}" --store "$tmp/runs/unsharded.sqlite" >> "$tmp/log/unsharded.out" 2>&1 \
  || { say "FAIL: unsharded judge"; cat "$tmp/log/unsharded.out" >&2; exit 1; }
"$WISE_BIN" report "$RUN_NAME" --store "$tmp/runs/unsharded.sqlite" --format json > "$tmp/runs/unsharded-report.json"
say "unsharded run: $(( SECONDS - unsharded_started )) s"

# --- 4 shards and the merge through Slurm -------------------------------------------------------
slurm_started=$SECONDS
read -r shards_job merge_job < <(SHARDS=4 STORE_DIR="$tmp/runs/sharded" "$repo/deploy/slurm/submit.sh")
say "submitted shards $shards_job, merge $merge_job"
if ! wait_for "${SLURM_TEST_TIMEOUT:-300}" "the merge job to finish" job_done "$merge_job"; then
  scontrol show job -o "$shards_job" >&2 || true; scontrol show job -o "$merge_job" >&2 || true
  exit 1
fi
say "slurm: 4 shards + merge in $(( SECONDS - slurm_started )) s"
tasks="$(scontrol show job -o "$shards_job" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort | uniq -c | tr -s ' ')"
merge_state="$(job_state "$merge_job")"
if [ "$merge_state" != COMPLETED ] || [ "$(echo "$tasks" | tr -d ' ')" != 4COMPLETED ]; then
  say "FAIL: shard tasks: $tasks; merge: $merge_state"
  for f in "$tmp"/runs/sharded/logs/*.out; do echo "== $f" >&2; tail -20 "$f" >&2; done
  exit 1
fi

# --- compare item by item -----------------------------------------------------------------------
python3 - "$tmp/runs" "$RUN_NAME" <<'PY'
import json, sqlite3, sys
runs, name = sys.argv[1], sys.argv[2]
QUERY = """
SELECT image.prompt_id, image.sample_index, image.status, image.sha256,
       judgment.repeat_index, judgment.status, judgment.scores, judgment.wiscore
FROM run JOIN image ON image.run_id = run.id LEFT JOIN judgment ON judgment.image_id = image.id
WHERE run.name = ? ORDER BY 1, 2, 5"""
def items(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return db.execute(QUERY, (name,)).fetchall()
reference = items(f"{runs}/unsharded.sqlite")
merged = items(f"{runs}/sharded/merged.sqlite")
shards = [items(f"{runs}/sharded/shard-{i}.sqlite") for i in range(4)]
problems = []
if not reference: problems.append("the unsharded run holds no items")
if any(not s for s in shards): problems.append(f"an empty shard: sizes {[len(s) for s in shards]}")
if sum(len(s) for s in shards) != len(merged): problems.append("shard sizes do not add up to the merged store")
if sorted(r for s in shards for r in s) != merged: problems.append("merged store is not the union of the shards")
if merged != reference:
    extra = set(merged) - set(reference); missing = set(reference) - set(merged)
    problems.append(f"merged != unsharded: {len(missing)} missing, {len(extra)} extra; e.g. {sorted(missing)[:2]} / {sorted(extra)[:2]}")
if any(r[3] is None or r[5] is None for r in reference): problems.append("unsharded run has items without image or judgment")
unjudged = [(i, r[0]) for i, s in enumerate(shards) for r in s if r[5] is None]
if unjudged: problems.append(f"{len(unjudged)} images left unjudged in the shard stores (shard, id): {unjudged[:5]}")
with open(f"{runs}/unsharded-report.json") as f: a = json.load(f)
with open(f"{runs}/sharded/report.json") as f: b = json.load(f)
def scores(report):
    return [{k: run.get(k) for k in ("name", "overall", "scored", "total", "categories")} for run in report["runs"]]
if scores(a) != scores(b): problems.append(f"the reports differ: {scores(a)} vs {scores(b)}")
if problems:
    print("slurm-test: FAIL: " + "; ".join(problems), file=sys.stderr); sys.exit(1)
ids = sorted({r[0] for r in merged})
print(f"slurm-test: ids {ids[0]}…{ids[-1]} ({len(ids)} prompts), every image judged; "
      f"{len(merged)} items equal (image hashes and judgments); shard sizes "
      f"{[len(s) for s in shards]}; reports' scores equal", file=sys.stderr)
PY
passed=1
say "PASS in $(( SECONDS - started_at )) s ($mode wise)"
echo "1 passed, 0 failed"
