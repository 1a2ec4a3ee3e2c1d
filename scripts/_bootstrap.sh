# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds the project with the
# requested extra. Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
extra=${1:?extra}
venv="$root/.venv"
py=${PYTHON:-}
if [ -z "$py" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      py=$candidate; break
    fi
  done
fi
[ -n "$py" ] || { echo "Rapport needs Python 3.11 or newer on PATH (or set PYTHON=...)" >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
stamp="$venv/.rapport-installed-$extra"
want=$(cat "$root/pyproject.toml" | "$venv/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Rapport into .venv (extra: $extra) ..." >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[$extra]" >&2
  echo "$want" > "$stamp"
fi
