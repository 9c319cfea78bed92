"""`newsflow serve` before it serves: it finds the Prefect API the way an ingest does (Prefect's
settings: environment, profile, prefect.toml), and a Ctrl-C or SIGTERM while the server it started is
still coming up stops that server (review findings 5 and 11).

Real `newsflow serve` processes and a real `prefect server start` child; nothing waits for the
server to answer, so each test takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsflow.flows.serve import server_healthy

from conftest import REPO, free_port, prefect_json


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # an unreaped zombie has stopped


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[1] == str(pid):
            out.append(int(entry.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _serve(tmp_path: Path, home: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_PROFILES_PATH")}
    env.update(PREFECT_HOME=str(home), PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "newsflow", "serve", "--file", str(REPO / "prefect.yaml"),
                                 "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def _end(proc: subprocess.Popen, strays: list[int]) -> None:
    """Kill what a failing test left behind: serve, and the server child it started (by pid)."""
    for pid in strays:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_sigterm_while_the_started_server_comes_up_stops_that_server(tmp_path):
    port = free_port()
    proc, log = _serve(tmp_path, tmp_path / "prefect-home", port)
    server: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while not server:  # `prefect server start`, exec'd: the wait for its /health has begun
            assert proc.poll() is None, f"serve exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no prefect server child within 90 s:\n{log.read_text()}"
            server = [p for p in _children(proc.pid) if "prefect server start" in _cmdline(p)]
            time.sleep(0.05)
        assert not server_healthy(f"http://127.0.0.1:{port}/api", timeout=0.5), "the server is up already"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 5
        while _alive(server[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        out = log.read_text()
        assert "starting a Prefect server" in out
        assert not _alive(server[0]), f"serve exited but left its prefect server running:\n{out}"
        assert proc.returncode == 0, out
    finally:
        _end(proc, server)


def test_serve_uses_the_api_url_of_the_active_prefect_profile(tmp_path):
    """A URL set with `prefect config set PREFECT_API_URL=...` (the profile), not in the environment:
    serve must use it (here: nobody answers, so it says so and exits) rather than start a server."""
    dead = f"http://127.0.0.1:{free_port()}/api"
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(f'active = "ops"\n\n[profiles.ops]\nPREFECT_API_URL = "{dead}"\n')
    proc, log = _serve(tmp_path, home, free_port())
    strays: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while proc.poll() is None and "starting a Prefect server" not in log.read_text():
            assert time.monotonic() < deadline, f"serve neither failed nor started a server:\n{log.read_text()}"
            time.sleep(0.1)
        started = time.monotonic()
        while "starting a Prefect server" in log.read_text() and not strays and time.monotonic() - started < 20:
            strays = [p for p in _children(proc.pid) if "prefect server start" in _cmdline(p)]  # to clean up
            time.sleep(0.05)
        out = log.read_text()
        assert "starting a Prefect server" not in out and not strays, f"serve ignored the profile's URL:\n{out}"
        assert proc.wait(timeout=30) == 1, out
        assert f"no Prefect server answers at {dead}" in out, out
    finally:
        _end(proc, strays)


@pytest.mark.slow
def test_serve_serves_against_the_server_it_started_and_stops_it(tmp_path):
    """The whole way with no API configured: the server comes up, serve's Prefect settings point at
    it (Prefect was imported before its URL was known), the deployments land there; SIGTERM stops all."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    proc, log = _serve(tmp_path, tmp_path / "prefect-home", port)
    server: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while f"against {api_url}" not in log.read_text():
            assert proc.poll() is None, f"serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not start serving within 240 s:\n{log.read_text()}"
            server = server or [p for p in _children(proc.pid) if "prefect server start" in _cmdline(p)]
            time.sleep(0.5)
        deadline = time.monotonic() + 120  # the runner registers them once it starts
        while not {"feeds-hourly", "validate-nightly"} <= (
                names := {d["name"] for d in prefect_json(api_url, "/deployments/filter", {})}):
            assert proc.poll() is None and time.monotonic() < deadline, f"{names}:\n{log.read_text()}"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, log.read_text()
        assert server and not _alive(server[0]) and not server_healthy(api_url, timeout=1), log.read_text()
    finally:
        _end(proc, server)
