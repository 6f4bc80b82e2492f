#!/bin/sh
# Build the pinned Superset environment: `sh deploy/superset/install.sh [VENV]` (default
# .venv-superset). Reused while requirements.txt and constraints.txt are unchanged (a stamp
# holding their hash is written last, so a half-built environment is rebuilt, never used).
# Exit 3 with one line when pip cannot install it. Used by `make bi-env` and tests/bi.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-.venv-superset}
python=${PYTHON:-python3}
want=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -c1-16)
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/superset" ]; then
    exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
log="$venv/install.log"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q \
        -r "$here/requirements.txt" -c "$here/constraints.txt" >"$log" 2>&1; then
    echo "bi-env: pip could not install Superset into $venv (pinned in deploy/superset/constraints.txt); see $log" >&2
    exit 3
fi
echo "$want" > "$stamp"
