"""The README's first command, from a fresh clone: ``scripts/run`` deploys the CRM, makes an
admin, loads sample records and serves; run again, it is quick and changes nothing.

The clone gets a virtual environment of its own, as a newcomer's would, which the script
fills itself (``pip install -e .``: metacrm from the clone). Only the third-party packages
are borrowed from this test run's environment (a .pth file), so none is downloaded twice —
and this run's own environment is never touched. The browser assets are installed by the
script (npm ci).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "first-run-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _own_venv(clone: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True)
    [site] = (clone / ".venv" / "lib").glob("python*/site-packages")
    borrowed = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir()]
    (site / "borrowed.pth").write_text("".join(f"{p}\n" for p in borrowed))


def _start(clone: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "METACRM_PORT": str(port), "METACRM_ADMIN_PASSWORD": PASSWORD}
    for name in ("METACRM_DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    return subprocess.Popen(["scripts/run"], cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_until_serving(process: subprocess.Popen, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run stopped (exit {process.returncode}):\n{process.stdout.read()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail("scripts/run did not serve in time")


def _stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output


def test_scripts_run_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    _own_venv(clone)
    port = _free_port()

    first = _start(clone, port)
    try:
        _wait_until_serving(first, port, time.monotonic() + 240)
        session = requests.Session()
        login = session.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "Sign in" in login.text
        token = subprocess.run(
            [str(clone / ".venv" / "bin" / "metacrm"), "token", "create", "admin"], cwd=clone,
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        api = requests.get(f"http://127.0.0.1:{port}/api/v1/opportunity",
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert api.status_code == 200, api.text
        assert len(api.json()["records"]) >= 5          # the sample opportunities
        anonymous = requests.get(f"http://127.0.0.1:{port}/api/v1/opportunity", timeout=5)
        assert anonymous.status_code == 401
    finally:
        output = _stop(first)
    assert f"password: {PASSWORD}" in output
    assert "loaded 8 account records" in output and "loaded 4 user records" in output
    assert (clone / "instance" / "metacrm.db").exists()
    installed = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c",
                                "import metacrm; print(metacrm.__file__)"],
                               capture_output=True, text=True, check=True).stdout
    assert installed.startswith(str(clone)), "the clone runs its own metacrm"

    again = _start(clone, port)
    started = time.monotonic()
    try:
        _wait_until_serving(again, port, started + 120)
    finally:
        output = _stop(again)
    assert "no changes" in output
    assert PASSWORD not in output                       # the password is shown once
    assert "skipped account: its records are there already" in output
