#!/usr/bin/env bash
# CI: install swansync as a user does -- a fresh venv, `pip install .` with no extras and the
# pinned constraints -- and run every command once, from a folder outside the checkout (so the
# installed package is what runs, not the source tree):
#   --version/--help, pull from the simulator (`swansync sim serve`, stopped by its PID), pull
#   --logdir on a folder the real SwanLab SDK wrote (tests/realdata/logdir-0.10.3), pull
#   --dashboard against the real offline dashboard (the SwanLab venv the tests build), status,
#   query, views list/apply, schedule --once, demo, and a refused write through query.
# A runtime import missing from [project] dependencies fails here, as it would for a user.
#
#   .ci/user_install_smoke.sh            (SMOKE_KEEP=1 keeps the scratch folder)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/swansync-smoke.XXXXXX")"
sim_pid=""
dash_pid=""
started=$(date +%s)

cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  [ -n "$dash_pid" ] && bash "$repo/tests/realdata/serve_dashboard.sh" stop "$dash_pid" >/dev/null 2>&1 || true
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then echo "smoke: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  echo "smoke: FAILED: $*" >&2
  exit 1
}

# run NAME EXPECTED_EXIT CMD...: run a command, keep its output in $work/NAME.{out,err}.
run() {
  local name="$1" want="$2"
  shift 2
  local t0=$SECONDS rc=0
  "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "smoke: $name: exit $rc, expected $want: $*" >&2
    tail -n 20 "$work/$name.out" "$work/$name.err" >&2
    fail "$name"
  fi
  echo "smoke: ok   $name ($((SECONDS - t0)) s)"
}

# wait_for FILE PATTERN: until a background process has written PATTERN (60 s at most).
wait_for() {
  for _ in $(seq 1 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "timed out waiting for '$2' in $1"
}

# -- install --------------------------------------------------------------------------------
t0=$SECONDS
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q -c "$repo/constraints.txt" "$repo" >"$work/install.log" 2>&1 ||
  { tail -n 30 "$work/install.log" >&2; fail "pip install ."; }
echo "smoke: ok   pip install . ($((SECONDS - t0)) s)"
export PATH="$work/venv/bin:$PATH"
py="$work/venv/bin/python"
cd "$work"
unset PYTHONPATH
where="$("$py" -c 'import swansync; print(swansync.__file__)')"
case "$where" in "$work/venv/"*) ;; *) fail "swansync imported from $where, not the venv" ;; esac
for v in $(env | grep -o '^\(SWANLAB\|SWANSYNC\)_[A-Z_]*'); do unset "$v"; done

# -- help -----------------------------------------------------------------------------------
run version 0 swansync --version
grep -q "^swansync [0-9]" "$work/version.out" || fail "--version"
run help 0 swansync --help
for cmd in pull status query "views list" "views apply" schedule "sim serve" demo; do
  # shellcheck disable=SC2086
  run "help-${cmd// /-}" 0 swansync $cmd --help
done

# -- pull from the simulator ------------------------------------------------------------------
swansync sim serve --world demo --port 0 >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
wait_for "$work/sim.out" READY
read -r _ url key <"$work/sim.out"
projects=$("$py" -c 'import json, sys, urllib.request
info = json.load(urllib.request.urlopen(sys.argv[1] + "/_sim/info"))
print(" ".join("--project " + p for p in info["projects"]))' "$url")
export SWANLAB_API_KEY="$key"
# shellcheck disable=SC2086
run pull-sim 0 swansync pull --host "$url" $projects --db w.duckdb --json
"$py" -c 'import json, sys; s = json.load(open(sys.argv[1]))
assert s["status"] == "ok" and s["rows"]["metrics"] > 0, s' "$work/pull-sim.out" || fail "pull-sim summary"
# shellcheck disable=SC2086
run pull-sim-again 0 swansync pull --host "$url" $projects --db w.duckdb --json
"$py" -c 'import json, sys; s = json.load(open(sys.argv[1]))
assert s["status"] == "ok" and s["rows"]["metrics"] == 0, s' "$work/pull-sim-again.out" ||
  fail "the second pull is not a no-op"
# consoles and media, with the files downloaded beside the warehouse (issue 16)
# shellcheck disable=SC2086
run pull-sim-media 0 swansync pull --host "$url" $projects --db m.duckdb --media download --json
"$py" -c 'import json, sys; s = json.load(open(sys.argv[1]))
assert s["status"] == "ok" and s["rows"]["logs"] > 0 and s["rows"]["media"] > 0, s
assert s["media_files"] > 0, s' "$work/pull-sim-media.out" || fail "pull-sim-media summary"
ls "$work"/media/*/* >/dev/null 2>&1 || fail "no media files downloaded beside m.duckdb"

# -- schedule --once (a job against the same simulator) ----------------------------------------
first="$("$py" -c 'import sys; print(sys.argv[1].split()[1])' "$projects")"
cat >"$work/swansync.toml" <<EOF
db = "scheduled.duckdb"

[sources.swanlab]
host = "$url"

[[jobs]]
name = "smoke"
sources.swanlab.projects = ["$first"]
every = "1h"
EOF
run schedule-once 0 swansync schedule --once --config "$work/swansync.toml"
kill "$sim_pid"
wait "$sim_pid" 2>/dev/null || true
sim_pid=""
unset SWANLAB_API_KEY

# -- pull --logdir (a folder written by swanlab 0.10.3) ----------------------------------------
cp -r "$repo/tests/realdata/logdir-0.10.3" "$work/logdir"
run pull-logdir 0 swansync pull --logdir "$work/logdir/cifar10-resnet" --db w.duckdb

# -- pull --wandb-dir (offline run folders written by the real wandb SDK) ----------------------
cp -r "$repo/tests/wandb/data/sdk-0.17.9" "$work/wandb-runs"
run pull-wandb-dir 0 swansync pull --wandb-dir "$work/wandb-runs" --db w.duckdb --json
"$py" -c 'import json, sys; s = json.load(open(sys.argv[1]))
assert s["status"] == "ok" and s["rows"]["metrics"] > 0, s' "$work/pull-wandb-dir.out" ||
  fail "pull-wandb-dir summary"

# -- pull --dashboard (the real `swanlab watch`, from the SwanLab venv the tests build) ---------
if [ "${SMOKE_DASHBOARD:-1}" = 1 ]; then
  t0=$SECONDS
  swanlab_py="$(cd "$repo" && "$repo/.venv/bin/python" -c \
    'from tests.local.realenv import venv_python; print(venv_python("new"))')" ||
    fail "building the SwanLab venv (tests/local/realenv.py)"
  read -r dash_pid dash_url < <(SWANLAB="$(dirname "$swanlab_py")/swanlab" SERVE_LOG="$work/dashboard.log" \
    bash "$repo/tests/realdata/serve_dashboard.sh" start "$work/logdir/cifar10-resnet")
  echo "smoke: ok   swanlab watch at $dash_url ($((SECONDS - t0)) s)"
  run pull-dashboard 0 swansync pull --dashboard "$dash_url" --db w.duckdb
  bash "$repo/tests/realdata/serve_dashboard.sh" stop "$dash_pid"
  dash_pid=""
fi

# -- read the warehouse ------------------------------------------------------------------------
run status 0 swansync status --db w.duckdb
grep -q "alice/mnist-classifier" "$work/status.out" || fail "status does not list the projects"
run status-json 0 swansync status --db w.duckdb --json
run query-table 0 swansync query "SELECT source, count(*) AS points FROM metrics GROUP BY ALL" --db w.duckdb
run query-csv 0 swansync query "SELECT count(*) AS n FROM metrics" --db w.duckdb --format csv
[ "$(tail -n 1 "$work/query-csv.out")" -gt 0 ] || fail "no metrics in the warehouse"
run query-json 0 swansync query "SELECT * FROM metric_keys LIMIT 5" --db w.duckdb --format json
run query-parquet 0 swansync query "FROM runs" --db w.duckdb --format parquet --output runs.parquet
[ -s "$work/runs.parquet" ] || fail "query --output wrote nothing"
run query-refuses-copy 2 swansync query "COPY runs TO 'copy.csv'" --db w.duckdb
[ ! -e "$work/copy.csv" ] || fail "query wrote a file through COPY"
run views-list 0 swansync views list
run views-apply 0 swansync views apply --db w.duckdb
run query-view 0 swansync query "SELECT * FROM run_overview LIMIT 3" --db w.duckdb

# -- demo ----------------------------------------------------------------------------------------
run demo 0 swansync demo --db demo.duckdb
grep -q "Leaderboard" "$work/demo.out" || fail "demo printed no leaderboard"

echo "smoke: all commands ok in $(($(date +%s) - started)) s"
