#!/usr/bin/env bash
# Create .venv and install the requirements file given as $1 (only when it changed).
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=".venv/.installed-$(basename "$req")"
if [ ! -f "$stamp" ] || [ -n "$(find requirements*.txt -newer "$stamp" 2>/dev/null)" ]; then
  .venv/bin/pip install -q -r "$req" 2> >(grep -v "is ignored: it is neither a file" >&2)
  touch "$stamp"
fi
