"""The built wheel is self-contained: installed in a fresh virtual environment outside the
checkout, it deploys the standard CRM and serves the sign-in page (templates are package
data), its own CSS (``web/static``), and the npm packages from METACRM_ASSETS_DIR — without
that setting (and no ``node_modules`` in the working directory), a 404 that says what to do.

Slow: it builds the wheel and installs it with its dependencies from the package index the
machine is configured for (pip's cache makes a second run quicker). Without PyPI, ``venv``
or the npm packages it skips, except with CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pg_support import unavailable

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: what pip says when it cannot reach the package index
UNREACHABLE = ("NewConnectionError", "ConnectionError", "Temporary failure in name resolution",
               "Network is unreachable", "Read timed out", "ProxyError")
CSS = "/static/metacrm.css"
VENDOR = "/static/vendor/bootstrap/css/bootstrap.min.css"

#: runs in the new environment, from a folder outside the checkout: what the app answers
PROBE = """
import json, logging, sys
import metacrm
from metacrm.web import create_app

warnings = []
handler = logging.Handler(logging.WARNING)
handler.emit = lambda record: warnings.append(record.getMessage())
logging.getLogger("metacrm").addHandler(handler)
app = create_app()
client = app.test_client()
answers = {url: (r.status_code, r.get_data(as_text=True)[:3000])
           for url in sys.argv[1:] for r in [client.get(url)]}
print(json.dumps({"module": metacrm.__file__, "assets_dir": app.config["ASSETS_DIR"],
                  "warnings": warnings, "answers": answers}))
"""


def run(args, what: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def build_wheel(tmp: Path) -> Path:
    """The wheel of a copy of the project's sources, so the build leaves nothing (build/,
    *.egg-info) in the checkout and nothing stale from an earlier build gets in."""
    source, out = tmp / "source", tmp / "dist"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "platform", source / "platform",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source],
        "pip wheel", timeout=300)
    [wheel] = out.glob("metacrm-*.whl")
    return wheel


def fresh_venv(folder: Path, wheel: Path, env: dict) -> Path:
    """A virtual environment of its own (no system site-packages) with the wheel installed."""
    made = subprocess.run([sys.executable, "-m", "venv", str(folder)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        unavailable("python -m venv (ensurepip)", RuntimeError(made.stderr[-1000:]))
    python = folder / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)],
                               capture_output=True, text=True, env=env, cwd=folder, timeout=600)
    if installed.returncode != 0 and any(sign in installed.stderr for sign in UNREACHABLE):
        unavailable("the package index (installing the wheel's dependencies)",
                    RuntimeError(installed.stderr[-3000:]))
    assert installed.returncode == 0, f"pip install of the wheel failed:\n{installed.stderr}"
    return folder


def clean_env(**extra) -> dict:
    """This process's environment without its virtual environment and metacrm settings (pip's
    index configuration stays)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("METACRM_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    return {**env, **extra}


def probe(venv: Path, cwd: Path, env: dict) -> dict:
    result = run([venv / "bin" / "python", "-c", PROBE, "/login", CSS, VENDOR], "the app",
                 cwd=cwd, env=env, timeout=120)
    return json.loads(result.stdout.splitlines()[-1])


def test_the_wheel_serves_pages_and_assets_outside_the_checkout(tmp_path_factory):
    node_modules = ROOT / "node_modules"
    if not (node_modules / "bootstrap" / "dist").is_dir():
        unavailable("the npm packages (scripts/test runs npm ci)", FileNotFoundError(node_modules))
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.resolve().is_relative_to(ROOT.resolve())
    times = {}
    start = time.monotonic()

    wheel = build_wheel(tmp)
    names = zipfile.ZipFile(wheel).namelist()
    assert "metacrm/web/templates/login.html" in names
    assert "metacrm/web/templates/record.html" in names
    assert "metacrm/web/static/metacrm.css" in names and "metacrm/web/static/metacrm.js" in names
    times["build"] = time.monotonic() - start

    cwd = tmp / "site"
    cwd.mkdir()
    env = clean_env(METACRM_DATABASE_URL=f"sqlite:///{cwd}/x.db")
    venv = fresh_venv(tmp / "venv", wheel, env)
    times["venv + install"] = time.monotonic() - start - times["build"]

    run([venv / "bin" / "metacrm", "deploy", ROOT / "metadata" / "crm"], "metacrm deploy",
        cwd=cwd, env=env, timeout=300)

    served = probe(venv, cwd, {**env, "METACRM_ASSETS_DIR": str(node_modules)})
    assert Path(served["module"]).is_relative_to(venv)  # the installed package, not the checkout
    assert served["warnings"] == []
    for url in ("/login", CSS, VENDOR):
        assert served["answers"][url][0] == 200, (url, served["answers"][url])
    assert 'name="password"' in served["answers"]["/login"][1]

    missing = probe(venv, cwd, env)  # no METACRM_ASSETS_DIR, no node_modules in the cwd
    assert missing["assets_dir"] == str(cwd / "node_modules")
    [warning] = missing["warnings"]
    assert str(cwd / "node_modules") in warning and "METACRM_ASSETS_DIR" in warning
    assert missing["answers"]["/login"][0] == 200 and missing["answers"][CSS][0] == 200
    status, body = missing["answers"][VENDOR]
    assert status == 404 and "METACRM_ASSETS_DIR" in body and "npm ci" in body
    times["total"] = time.monotonic() - start
    print(" ".join(f"{k}: {v:.1f}s" for k, v in times.items()))
