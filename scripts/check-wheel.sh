#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the repository and check
# that the built-in packs are found the same way as from the editable install.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=${PYTHON:-python3}
"$py" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q build
"$work/build-env/bin/python" -m build --wheel --outdir "$work/dist" . >/dev/null
"$py" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/svcrules-*.whl
cd "$work"
"$work/venv/bin/svcrules" list
for pack in $("$work/venv/bin/svcrules" list --json | "$work/venv/bin/python" -c 'import json,sys; print(" ".join(json.loads(l)["name"] for l in sys.stdin))'); do
  "$work/venv/bin/svcrules" check "$pack"
done
"$work/venv/bin/svcrules" test
echo "wheel: ok"
