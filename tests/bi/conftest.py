"""Fixtures of the browser test: the pinned Superset environment, a simulated cloud pulled into a
serving copy, and Superset started by deploy/superset/bootstrap.sh (the compose/`make bi` path).

These tests are marked ``bi`` and run only when selected (`make bi-test`, `pytest -m bi`):
they build an ~870 MB environment and drive a real browser.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "superset"
SUPERSET_VENV = REPO / ".venv-superset"
SWANSYNC = REPO / ".venv" / "bin" / "swansync"
ARTIFACTS = REPO / "tests" / "bi" / "artifacts"  # screenshots and reports (gitignored)
START_TIMEOUT_S = 600
SEEDED_PROJECT = "alice/mnist-classifier"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "bi" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="browser test: run `make bi-test` (or pytest -m bi)")
    for item in items:
        # the marker, not item.keywords: those also hold folder names (a checkout named "bi")
        if item.get_closest_marker("bi") is not None:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def superset_python() -> Path:
    """The python of the pinned Superset environment, built by deploy/superset/install.sh."""
    proc = subprocess.run(
        ["sh", str(DEPLOY / "install.sh"), str(SUPERSET_VENV)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(proc.stderr.strip().splitlines()[-1], pytrace=False)
    return SUPERSET_VENV / "bin" / "python"


@pytest.fixture(scope="session")
def chromium() -> None:
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver",
            pytrace=False,
        )


class Sim:
    """`swansync sim serve` in a child process, driven through its control routes."""

    def __init__(self, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [str(SWANSYNC), "sim", "serve", "--world", "demo", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        assert ready[:1] == ["READY"], f"simulator did not start: {ready}"
        self.url, self.api_key = ready[1], ready[2]
        self.workdir = workdir
        self.config = workdir / "swansync.toml"
        self.serving = workdir / "serving.duckdb"

    def control(self, route: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/_sim/{route}", data, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def pull(self) -> None:
        """A pull with `serving` set: it publishes a new serving copy when it succeeds."""
        projects = self.control("info")["projects"]
        self.config.write_text(
            f'db = "{self.workdir / "warehouse.duckdb"}"\nserving = "{self.serving}"\n'
            f'host = "{self.url}"\nprojects = {json.dumps(projects)}\n',
            encoding="utf-8",
        )
        env = {**os.environ, "SWANLAB_API_KEY": self.api_key}
        proc = subprocess.run(
            [str(SWANSYNC), "pull", "--config", str(self.config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """The demo world plus one seed group (three runs differing only in `seed`), pulled once."""
    sim = Sim(tmp_path_factory.mktemp("sim"))
    try:
        for seed in (1, 2, 3):
            sim.control("add_run", {
                "project": SEEDED_PROJECT, "name": f"mnist-seed{seed}", "state": "FINISHED",
                "ticks": 60, "keys": ["train/loss", "val/loss", "val/acc"],
                "config": {"optimizer": {"lr": 0.001}, "batch_size": 64, "seed": seed},
            })  # fmt: skip
        sim.pull()
        yield sim
    finally:
        sim.stop()


@dataclass
class Superset:
    url: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path


def superset_env(python: Path, home: Path, serving: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "SWANSYNC_"))}
    env.update(
        {
            "PATH": f"{python.parent}:{env.get('PATH', '')}",
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
            "SUPERSET_ADMIN_USER": "admin",
            "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(12),
            "SUPERSET_HOME": str(home),
            "SUPERSET_BIND": f"127.0.0.1:{port}",
            "SUPERSET_WORKERS": "1",
            "SWANSYNC_SERVING": str(serving),
        }
    )
    return env


def wait_healthy(server: Superset) -> None:
    """Poll /health until Superset answers; fail at once if the process ends."""
    import time

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace").strip().splitlines()[-5:]
            pytest.fail(f"Superset exited ({server.proc.returncode}):\n" + "\n".join(tail))
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"Superset did not answer on {server.url} within {START_TIMEOUT_S}s")


@pytest.fixture(scope="module")
def superset(
    superset_python: Path, sim: Sim, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Superset]:
    """Superset on 127.0.0.1 (free port, throwaway metadata DB) started by bootstrap.sh."""
    home = tmp_path_factory.mktemp("superset-home")
    port = free_port()
    env = superset_env(superset_python, home, sim.serving, port)
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["sh", str(DEPLOY / "bootstrap.sh")], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Superset(f"http://127.0.0.1:{port}", proc, env, log)
    try:
        wait_healthy(server)
        yield server
    finally:
        proc.terminate()  # bootstrap.sh exec's gunicorn: this pid is the server
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if ARTIFACTS.is_dir():
            shutil.copy(log, ARTIFACTS / "server.log")
            provision_log = home / "provision.log"
            if provision_log.is_file():
                shutil.copy(provision_log, ARTIFACTS / "provision.log")


def browse(python: Path, server: Superset, out: Path, slugs: list[str]) -> dict[str, Any]:
    """Run browse.py (Selenium, in the Superset environment) and return its report."""
    out.mkdir(parents=True, exist_ok=True)
    profile = out / ".chromium-profile"
    env = {**server.env, "BROWSE_PROFILE": str(profile)}
    proc = subprocess.run(
        [str(python), str(Path(__file__).with_name("browse.py")), server.url, str(out), *slugs],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report
