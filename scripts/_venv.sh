# Sourced by scripts/*: makes sure a virtual environment with the project installed is active.
# Reinstalls only when pyproject.toml changed since the last install (so a second run is quick).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "metacrm: creating the virtual environment in .venv" >&2
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
stamp="$VIRTUAL_ENV/.metacrm-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! python -c 'import metacrm' 2>/dev/null; then
  echo "metacrm: installing the project and its dev extras" >&2
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -e ".[dev]"
  echo "$want" > "$stamp"
fi
