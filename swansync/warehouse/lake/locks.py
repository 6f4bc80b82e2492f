"""The advisory locks of a lake warehouse (:class:`LakeLocks`, a base of
:class:`~swansync.warehouse.lake.warehouse.LakeWarehouse`): PostgreSQL transaction-scoped
advisory locks in the catalog database, each held on a DuckDB connection of its own -- one per
target for the whole pull of the target (F12), and global ones (attach, migrate, maintain)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

from swansync.warehouse.lake.uri import literal

log = logging.getLogger("swansync.warehouse.lake.warehouse")  # the name it always logged under

PG = "swansync_pg"


def lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts``."""
    digest = hashlib.sha256("\0".join(("swansync", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def pg_query(sql: str) -> str:
    """``postgres_query`` of ``sql`` on the catalog database."""
    return f"SELECT * FROM postgres_query({literal(PG)}, {literal(sql)})"


class LakeLocks:
    """Who may write what, and when, across every worker of the lake."""

    if TYPE_CHECKING:  # provided by LakeWarehouse
        con: duckdb.DuckDBPyConnection
        lock_wait: float

    @contextmanager
    def _global_lock(self, what: str) -> Iterator[None]:
        """A blocking transaction-scoped advisory lock on a connection of its own."""
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(pg_query(f"SELECT pg_advisory_xact_lock({lock_key(what)})::text"))
            yield
        finally:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            cur.close()

    @contextmanager
    def try_global_lock(self, what: str) -> Iterator[bool]:
        """The advisory lock ``what`` if no other worker holds it (yields whether it is held)."""
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            row = cur.execute(
                pg_query(f"SELECT pg_try_advisory_xact_lock({lock_key(what)})")
            ).fetchone()
            yield bool(row and row[0])
        finally:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            cur.close()

    @contextmanager
    def target_locks(
        self, source: str, projects: Sequence[str], stop: threading.Event
    ) -> Iterator[list[str]]:
        """Hold the pull lock of each of ``projects`` (sorted, so two workers never wait on
        each other crosswise), waiting up to ``lock_wait`` seconds for one another worker is
        pulling; yields the projects held (the others are being pulled elsewhere)."""
        cur = self.con.cursor()
        held: list[str] = []
        try:
            cur.execute("BEGIN TRANSACTION")
            for project in sorted(set(projects)):
                sql = pg_query(
                    f"SELECT pg_try_advisory_xact_lock({lock_key('pull', source, project)})"
                )
                deadline = time.monotonic() + self.lock_wait
                said = False
                while True:
                    row = cur.execute(sql).fetchone()
                    if row and row[0]:
                        held.append(project)
                        break
                    if time.monotonic() >= deadline or stop.is_set():
                        log.warning("project %s is being pulled by another worker", project)
                        break
                    if not said:
                        log.info("project %s is being pulled by another worker; waiting", project)
                        said = True
                    stop.wait(0.2)
            yield held
        finally:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            cur.close()
