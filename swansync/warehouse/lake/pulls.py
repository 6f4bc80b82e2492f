"""Which pulls of a lake are alive (:class:`LakePulls`, a base of
:class:`~swansync.warehouse.lake.warehouse.LakeWarehouse`).

A pull whose process died leaves its ``sync_log`` row ``running``. On a warehouse file the next
pull marks every such row ``aborted`` (only one process writes a file, so none is alive). On a
lake other workers' pulls are running at the same time, so each pull holds a liveness lock -- a
PostgreSQL advisory lock keyed by its id, on a catalog connection of its own -- from before its
``running`` row is written until the warehouse closes; a dead process's lock goes with its
connection. When a pull starts it marks ``aborted`` the ``running`` rows whose lock it can take
(an appended version, like every lake write), and leaves the others.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from swansync.warehouse.lake import tables as T
from swansync.warehouse.lake.locks import lock_key, pg_query

log = logging.getLogger("swansync.warehouse.lake.warehouse")

SYNC_LOG = "_swansync.sync_log"


def _alive_key(pull_id: int) -> int:
    return lock_key("pull-alive", str(pull_id))


def is_pull_start(table: str, values: Mapping[str, Any]) -> bool:
    """Whether an inserted row is a pull's own ``running`` row (how the sync starts a pull)."""
    return T.qualified(table) == SYNC_LOG and values.get("status") == "running" and "id" in values


class LakePulls:
    """Liveness locks of this process's pulls, and the marking of dead pulls' rows."""

    if TYPE_CHECKING:  # provided by LakeWarehouse / LakeWrites
        con: duckdb.DuckDBPyConnection
        _alive: list[duckdb.DuckDBPyConnection]

        def update(
            self,
            table: str,
            values: Mapping[str, Any],
            where: Mapping[str, Any],
            *,
            column: str | None = None,
            values_in: Sequence[Any] = (),
            condition: str | None = None,
        ) -> None: ...

        def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def pull_started(self, pull_id: int) -> None:
        """Called before pull ``pull_id``'s ``running`` row is written: hold its liveness lock,
        then mark the rows of pulls that are no longer alive."""
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(pg_query(f"SELECT pg_advisory_xact_lock({_alive_key(pull_id)})::text"))
        except BaseException:
            _release(cur)
            raise
        self._alive.append(cur)
        self._abort_dead_pulls(pull_id)

    def _abort_dead_pulls(self, own: int) -> None:
        running = [
            int(r[0])
            for r in self.rows(
                f"SELECT id FROM {SYNC_LOG} WHERE status = 'running' AND id <> ?", [own]
            )
        ]
        if not running:
            return
        probe = self.con.cursor()
        try:
            probe.execute("BEGIN TRANSACTION")
            dead = [i for i in running if _try_lock(probe, _alive_key(i))]
            if dead:
                # The probe keeps the dead pulls' locks until their rows are marked.
                log.info("pulls %s ended without saying how: marked aborted", dead)
                self.update(
                    SYNC_LOG,
                    {"status": "aborted"},
                    {"status": "running"},
                    column="id",
                    values_in=dead,
                )
        finally:
            _release(probe)

    def release_pulls(self) -> None:
        """Let go of the liveness locks (the warehouse closes)."""
        while self._alive:
            _release(self._alive.pop())


def _try_lock(cur: duckdb.DuckDBPyConnection, key: int) -> bool:
    row = cur.execute(pg_query(f"SELECT pg_try_advisory_xact_lock({key})")).fetchone()
    return bool(row and row[0])


def _release(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        cur.execute("ROLLBACK")
    cur.close()


__all__ = ["LakePulls", "is_pull_start"]
