"""Real servers for the lake suite: a PostgreSQL catalog and an S3 stand-in (moto's server).

Each binds 127.0.0.1 on a free port, lives in its own temporary folder, and is stopped by its
process id. Used by the fixtures in ``conftest.py`` and by ``bench/lake_commits.py``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60.0


class Missing(RuntimeError):
    """Software a server needs is not installed (one line says what and how to get it)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def _wait_until(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    """Poll ``ready()`` until true; fail with the server's log when it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        if time.monotonic() > deadline:
            _stop(proc, signal.SIGKILL)
            raise RuntimeError(f"{what} not ready after {START_TIMEOUT:.0f}s: {_tail(log)}")
        time.sleep(0.05)


def _tail(log: Path, chars: int = 1500) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


# -- PostgreSQL -------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """The folder with ``initdb`` and ``postgres`` (PATH first, then Debian's layout)."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "postgres").is_file():
            return c
    raise Missing(
        "PostgreSQL server binaries (initdb, postgres) not found: apt-get install postgresql"
    )


def psql_path() -> str:
    found = shutil.which("psql") or str(postgres_bindir() / "psql")
    if not Path(found).is_file():
        raise Missing("psql not found: apt-get install postgresql-client")
    return found


@dataclass
class Postgres:
    """A running PostgreSQL: ``user`` is its superuser, authenticated by ``password``."""

    host: str
    port: int
    user: str
    password: str
    root: Path
    proc: subprocess.Popen[bytes]
    _databases: int = field(default=0)

    def dsn(self, dbname: str) -> str:
        """A libpq connection string without the password (that comes from PGPASSWORD)."""
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        out = dict(os.environ if base is None else base)
        out["PGPASSWORD"] = self.password
        return out

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        done = subprocess.run(
            [psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(dbname)],
            input=sql.encode(),
            capture_output=True,
            env=self.env(),
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode()

    def create_database(self, prefix: str = "lake") -> str:
        """A new, empty database (one per test keeps lakes apart)."""
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast shutdown": roll back open sessions, then exit.
        _stop(self.proc, signal.SIGINT)
        shutil.rmtree(self.root, ignore_errors=True)


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (it refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise Missing("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def start_postgres(*, fsync: bool = False, max_connections: int = 200) -> Postgres:
    """initdb + postgres in a new temporary folder, on 127.0.0.1 and a free port.

    ``fsync=False`` makes tests faster; benchmarks of commit cost pass ``fsync=True``.
    """
    bindir = postgres_bindir()
    ids = _unprivileged()
    # /tmp, not pytest's tmp_path: pytest's folders are private to root, PostgreSQL runs as
    # another user when we are root.
    root = Path(tempfile.mkdtemp(prefix="swansync-pg-"))
    data, log = root / "data", root / "postgres.log"
    password = secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if ids is not None:
        for p in (root, pwfile):
            os.chown(p, *ids)
    user = "swansync"
    init = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "--pwfile",
            str(pwfile),
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        user=ids[0] if ids else None,
        group=ids[1] if ids else None,
        timeout=120,
    )
    pwfile.unlink()
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.decode(errors='replace')[-1500:]}")
    port = free_port()
    with open(log, "wb") as out:
        if ids is not None:
            os.chown(log, *ids)
        proc = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                f"fsync={'on' if fsync else 'off'}",
                "-c",
                f"synchronous_commit={'on' if fsync else 'off'}",
                "-c",
                f"max_connections={max_connections}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
        )
    pg = Postgres("127.0.0.1", port, user, password, root, proc)

    def ready() -> bool:
        try:
            pg.psql("SELECT 1")
        except RuntimeError:
            return False
        return True

    try:
        _wait_until(ready, proc, "postgres", log)
    except BaseException:
        pg.stop()
        raise
    return pg


# -- S3 (moto) --------------------------------------------------------------------------------


@dataclass
class S3Server:
    """moto's S3 server. Credentials are arbitrary (moto accepts any); tests pass them the way a
    user would: AWS_* environment variables."""

    host: str
    port: int
    root: Path
    proc: subprocess.Popen[bytes]
    key_id: str = "swansync-test-key"
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    region: str = "us-east-1"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        out = dict(os.environ if base is None else base)
        out.update(
            AWS_ACCESS_KEY_ID=self.key_id,
            AWS_SECRET_ACCESS_KEY=self.secret,
            AWS_REGION=self.region,
            AWS_ENDPOINT_URL=self.endpoint,
        )
        return out

    def create_bucket(self, name: str) -> str:
        # moto does not check signatures: a plain PUT creates the bucket.
        req = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
        return name

    def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        import xml.etree.ElementTree as ET

        keys: list[str] = []
        token = ""
        while True:
            q = f"list-type=2&prefix={urllib.parse.quote(prefix)}"
            if token:
                q += f"&continuation-token={urllib.parse.quote(token)}"
            with urllib.request.urlopen(f"{self.endpoint}/{bucket}?{q}", timeout=30) as resp:
                tree = ET.fromstring(resp.read())
            ns = {"s3": tree.tag.split("}")[0].strip("{")} if "}" in tree.tag else {}
            pre = "s3:" if ns else ""
            keys += [k.text or "" for k in tree.iterfind(f".//{pre}Contents/{pre}Key", ns)]
            nxt = tree.find(f"{pre}NextContinuationToken", ns)
            if nxt is None or not nxt.text:
                return keys
            token = nxt.text

    def stop(self) -> None:
        # moto keeps nothing worth a graceful exit; its dev server can take long to stop.
        _stop(self.proc, signal.SIGINT, timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def start_s3(python: str | None = None) -> S3Server:
    """``python -m moto.server`` on 127.0.0.1 and a free port."""
    python = python or sys.executable
    probe = subprocess.run(
        [python, "-c", "import moto.server, flask, flask_cors"], capture_output=True
    )
    if probe.returncode != 0:
        raise Missing("moto's S3 server is not installed: make lake-env (moto[s3], flask)")
    root = Path(tempfile.mkdtemp(prefix="swansync-s3-"))
    log = root / "moto.log"
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    s3 = S3Server("127.0.0.1", port, root, proc)

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{s3.endpoint}/", timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    try:
        _wait_until(ready, proc, "moto S3 server", log)
    except BaseException:
        s3.stop()
        raise
    return s3
