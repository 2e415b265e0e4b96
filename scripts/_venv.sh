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
# Browser assets (htmx, Bootstrap, SortableJS, Chart.js, Swagger UI) come from the npm registry
# into node_modules/, never committed; again only when package-lock.json changed.
npm_stamp=node_modules/.metacrm-installed
npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "metacrm: npm is missing: installing Node.js from Debian's packages" >&2
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null
    else
      sudo sh -c 'apt-get update -qq && apt-get install -y -qq nodejs npm' >/dev/null
    fi
  fi
  echo "metacrm: installing the browser assets (npm ci)" >&2
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$npm_want" > "$npm_stamp"
fi
