"""Fixtures of the lake suite: a real PostgreSQL (catalog) and moto's S3 server (data), started
once per session on 127.0.0.1, and a fresh, empty lake per test.

The suite runs in ``.venv-lake`` (``make lake-test``): DuckDB 1.5.5 with the ducklake,
postgres_scanner and httpfs extension wheels. Anywhere else (``make test`` on DuckDB 2.x) it is
skipped. What is missing is said in one line; with ``CI`` set, or inside ``make lake-test``
(``SWANSYNC_LAKE_SUITE=1``), a missing piece fails instead of skipping, so CI cannot pass by
quietly skipping the lake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import servers

REPO = Path(__file__).resolve().parents[2]
EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _missing_extensions() -> str | None:
    from swansync.warehouse.extensions import wheel_file

    missing = [n for n in EXTENSIONS if wheel_file(n) is None]
    if not missing:
        return None
    import duckdb

    return (
        f"lake suite needs the {', '.join(missing)} extension wheel(s) for DuckDB "
        f"{duckdb.__version__}: run it with `make lake-test`"
    )


def _unavailable(why: str, *, must_run: bool) -> None:
    if must_run:
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    mine = [i for i in items if here in Path(str(i.path)).resolve().parents]
    for item in mine:
        item.add_marker(pytest.mark.lake)
    why = _missing_extensions()
    if why is None or not mine:
        return
    if _truthy("SWANSYNC_LAKE_SUITE"):
        # Inside `make lake-test` the environment is broken: say so once, loudly.
        raise pytest.UsageError(why)
    for item in mine:
        item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture(scope="session")
def postgres() -> Iterator[servers.Postgres]:
    """One PostgreSQL for the session; its password is exported as PGPASSWORD (how swansync's
    catalog connection gets it: libpq reads it, it never appears in a connection string)."""
    must_run = _truthy("CI") or _truthy("SWANSYNC_LAKE_SUITE")
    try:
        pg = servers.start_postgres()
    except servers.Missing as e:
        _unavailable(str(e), must_run=must_run)
        raise
    old = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = pg.password
    try:
        yield pg
    finally:
        pg.stop()
        if old is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = old


@pytest.fixture(scope="session")
def s3() -> Iterator[servers.S3Server]:
    """moto's S3 server for the session; tests pass its credentials as AWS_* variables."""
    must_run = _truthy("CI") or _truthy("SWANSYNC_LAKE_SUITE")
    try:
        server = servers.start_s3()
    except servers.Missing as e:
        _unavailable(str(e), must_run=must_run)
        raise
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Lake:
    """A new lake: its catalog database's DSN (no password) and where its files go."""

    catalog: str
    data_path: str
    postgres: servers.Postgres
    env: dict[str, str]


@pytest.fixture
def lake(postgres: servers.Postgres, tmp_path: Path) -> Lake:
    """An empty lake: a new catalog database and a folder data path."""
    data = tmp_path / "lake-data"
    data.mkdir()
    db = postgres.create_database()
    return Lake(postgres.dsn(db), str(data) + "/", postgres, postgres.env())


@pytest.fixture
def s3_lake(postgres: servers.Postgres, s3: servers.S3Server) -> Lake:
    """An empty lake whose data path is ``s3://<new bucket>/lake/`` on the S3 stand-in."""
    db = postgres.create_database()
    bucket = s3.create_bucket(db.replace("_", "-"))
    env = s3.env(postgres.env())
    return Lake(postgres.dsn(db), f"s3://{bucket}/lake/", postgres, env)
