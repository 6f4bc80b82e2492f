"""Transactions of a lake warehouse (:class:`LakeTransactions`, a base of
:class:`~swansync.warehouse.lake.warehouse.LakeWarehouse`): ids and versions from the catalog's
sequence, the per-target fence that makes overlapping writers of one target conflict, and the
journal that redoes a rejected commit (docs/ducklake.md)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

import duckdb

from swansync.errors import ConflictError, WarehouseError
from swansync.warehouse import IdSource, Warehouse
from swansync.warehouse.lake import tables as T
from swansync.warehouse.lake.locks import pg_query
from swansync.warehouse.lake.uri import literal

log = logging.getLogger("swansync.warehouse.lake.warehouse")  # the name it always logged under

SEQUENCE = "swansync_ids"
TRIES = 8  # commits of one transaction before its target fails for this pull
_OPS = 1 << 12  # write operations per transaction (a version is base * _OPS + op)


def fence_name(source: str, project: str) -> str:
    return "f_" + hashlib.sha256(f"{source}\0{project}".encode()).hexdigest()[:24]


class LakeIds(IdSource):
    """Ids from the catalog's sequence, drawn in blocks on a connection of their own (the fetch
    workers draw them while the writer commits)."""

    def __init__(self, wh: LakeTransactions, block: int) -> None:
        super().__init__(0)
        self._wh = wh
        self._size = block
        self._block: list[int] = []

    def take(self) -> int:
        with self._lock:
            if not self._block:
                self._block = self._wh.draw_ids(self._size)
            return self._block.pop(0)


class LakeTransactions:
    """Write transactions that append, fence their target and redo a rejected commit."""

    if TYPE_CHECKING:  # provided by LakeWarehouse
        con: duckdb.DuckDBPyConnection
        conflicts: int
        _id_con: duckdb.DuckDBPyConnection | None
        _id_lock: threading.Lock
        _in_txn: bool
        _journal: list[Callable[[], None]]
        _base: int
        _ops: int
        _fence_seq: int | None
        _fences: set[str]

    def run_ddl(self, what: str, statements: Callable[[], object]) -> None:
        """Run ``statements`` (DDL and bookkeeping on ``con``) in one transaction, redone whole
        when its commit conflicts."""
        for attempt in range(1, TRIES + 1):
            self.con.execute("BEGIN TRANSACTION")
            try:
                statements()
            except BaseException:
                self._rollback()
                raise
            try:
                self.con.execute("COMMIT")
                return
            except duckdb.TransactionException as e:
                self._backoff(what, attempt, e)

    # -- ids, versions, fences -------------------------------------------------------------

    def draw_ids(self, n: int) -> list[int]:
        if self._id_con is None:
            raise WarehouseError("a lake opened read-only hands out no ids")
        with self._id_lock:
            rows = self._id_con.execute(
                pg_query(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, {int(n)})")
            ).fetchall()
        return sorted(int(r[0]) for r in rows)

    def ids(self, table: str, column: str) -> IdSource:
        """Ids from the catalog's sequence: in blocks for series (many per pull), one by one
        for a pull's own id (``sync_log``)."""
        return LakeIds(self, 1 if T.qualified(table) == "_swansync.sync_log" else 64)

    def _version(self) -> int:
        self._ops += 1
        if self._ops >= _OPS:
            raise WarehouseError(f"more than {_OPS - 1} writes in one lake transaction")
        return self._base * _OPS + self._ops

    def _ensure_fence(self, source: str, project: str) -> str:
        name = fence_name(source, project)
        if name in self._fences:
            return name
        sql = (
            f"CREATE TABLE IF NOT EXISTS _swansync_fence.{name} AS "
            f"SELECT 0::BIGINT AS seq, {literal(source)} AS source, "
            f"{literal(project)} AS project, now() AS at"
        )
        for attempt in range(1, TRIES + 1):
            try:
                self.con.execute(sql)
                break
            except duckdb.TransactionException as e:  # two first writers of a target (F5)
                self._backoff(f"fence of {project}", attempt, e)
        self._fences.add(name)
        return name

    def _begin(self, target: tuple[str, str] | None) -> None:
        fence = self._ensure_fence(*target) if target else None
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._ops = 0
            self._base = self.draw_ids(1)[0]
            self._fence_seq = None
            if fence is not None and target is not None:
                rows = self.con.execute(f"SELECT seq FROM _swansync_fence.{fence}").fetchall()
                deleted = self.con.execute(f"DELETE FROM _swansync_fence.{fence}").fetchall()
                if len(rows) != 1 or int(deleted[0][0]) != 1:
                    raise WarehouseError(
                        f"the fence table _swansync_fence.{fence} of {target[1]!r} holds "
                        f"{len(rows)} rows, not 1: it was edited by hand; restore one row"
                    )
                seq = int(rows[0][0])
                self.con.execute(
                    f"INSERT INTO _swansync_fence.{fence} VALUES (?, ?, ?, now())",
                    [seq + 1, target[0], target[1]],
                )
                self._fence_seq = seq
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended it already (F3)
            self.con.execute("ROLLBACK")

    def _backoff(self, what: str, attempt: int, error: Exception) -> None:
        if attempt >= TRIES:
            raise ConflictError(
                f"{what}: {TRIES} commits in a row conflicted with other writers of the lake; "
                "the next pull resumes from the last commit"
            ) from error
        self.conflicts += 1
        delay = random.uniform(0, min(5.0, 0.05 * 2**attempt))  # full jitter
        log.info(
            "%s: commit conflicted (try %d of %d); redoing in %.2fs", what, attempt, TRIES, delay
        )
        time.sleep(delay)

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self, target: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        if self._in_txn:
            raise WarehouseError("nested warehouse transactions are not supported")
        self._journal = []
        self._begin(target)
        self._in_txn = True
        try:
            yield cast("Warehouse", self)
        except BaseException:
            self._in_txn = False
            self._rollback()
            raise
        self._in_txn = False
        self._commit(target)

    def _commit(self, target: tuple[str, str] | None) -> None:
        what = f"project {target[1]}" if target else "bookkeeping"
        for attempt in range(1, TRIES + 1):
            try:
                self.con.execute("COMMIT")
                return
            except duckdb.TransactionException as e:
                self._backoff(what, attempt, e)
            first = self._fence_seq
            self._begin(target)
            try:
                if target is not None and self._fence_seq != first:
                    raise ConflictError(
                        f"{what} was written by another worker at the same time; "
                        "the next pull goes on from what it committed"
                    )
                for op in self._journal:
                    op()
            except BaseException:
                self._rollback()
                raise

    def _write(self, op: Callable[[], None]) -> None:
        if self._in_txn:
            self._journal.append(op)
            op()
        else:
            with self.transaction():
                self._journal.append(op)
                op()
