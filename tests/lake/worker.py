"""A lake client in its own process, for the facts that need several processes (concurrent
writers, a reader beside them, a writer killed mid-commit) and for ``bench/lake_commits.py``.

``python -m tests.lake.worker MODE --catalog DSN [--data-path P] ...``; the catalog password and
S3 credentials come from the environment. Each worker prints ``READY`` once connected and then
waits for one line on stdin before it starts, so the test releases all workers at once (a
barrier, not a sleep). Results are JSON lines on stdout.

Tables (created by the test): ``pts(writer, batch, i)``, ``marks(writer, batch, n)`` with one
mark per batch committed in the same transaction as its ``n`` points, and
``bookmarks(writer, value)``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from typing import Any

import duckdb

from tests.lake import lakeconn

MAX_TRIES = 200


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def barrier() -> None:
    print("READY", flush=True)
    sys.stdin.readline()


ERRORS: list[str] = []  # the last line of each conflict, reported with the commit it delayed


def commit_with_retry(con: duckdb.DuckDBPyConnection, statements: list[str]) -> int:
    """Run ``statements`` in one transaction; redo the whole transaction on a conflict. Returns
    the number of tries."""
    for tries in range(1, MAX_TRIES + 1):
        try:
            con.execute("BEGIN")
            for sql in statements:
                con.execute(sql)
            con.execute("COMMIT")
            return tries
        except duckdb.TransactionException as e:
            ERRORS.append(str(e).strip().splitlines()[-1][:300])
            # A failed COMMIT has already ended the transaction; a failed statement has not.
            with contextlib.suppress(duckdb.TransactionException):
                con.execute("ROLLBACK")
    raise RuntimeError(f"no commit after {MAX_TRIES} tries")


def append(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    barrier()
    for batch in range(args.commits):
        t0 = time.perf_counter()
        tries = commit_with_retry(
            con,
            [
                f"INSERT INTO pts SELECT {args.writer}, {batch}, i FROM range({args.rows}) t(i)",
                f"INSERT INTO marks VALUES ({args.writer}, {batch}, {args.rows})",
            ],
        )
        emit(
            writer=args.writer,
            batch=batch,
            ms=(time.perf_counter() - t0) * 1000,
            tries=tries,
            errors=ERRORS[-(tries - 1) :] if tries > 1 else [],
        )


def update(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    barrier()
    for batch in range(args.commits):
        t0 = time.perf_counter()
        tries = commit_with_retry(
            con,
            [
                f"INSERT INTO pts SELECT {args.writer}, {batch}, i FROM range({args.rows}) t(i)",
                f"UPDATE bookmarks SET value = {batch} WHERE writer = {args.writer}",
            ],
        )
        emit(
            writer=args.writer,
            batch=batch,
            ms=(time.perf_counter() - t0) * 1000,
            tries=tries,
            errors=ERRORS[-(tries - 1) :] if tries > 1 else [],
        )


def fenced(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    """``append`` plus the replace of this writer's fence row (docs/ducklake.md, R2): the cost
    of exactness for writers of disjoint targets (table ``fence_<writer>``)."""
    barrier()
    fence = f"fence_{int(args.writer)}"
    for batch in range(args.commits):
        t0 = time.perf_counter()
        tries = commit_with_retry(
            con,
            [
                f"DELETE FROM {fence}",
                f"INSERT INTO {fence} VALUES ({batch})",
                f"INSERT INTO pts SELECT {args.writer}, {batch}, i FROM range({args.rows}) t(i)",
                f"INSERT INTO marks VALUES ({args.writer}, {batch}, {args.rows})",
            ],
        )
        emit(
            writer=args.writer,
            batch=batch,
            ms=(time.perf_counter() - t0) * 1000,
            tries=tries,
            errors=ERRORS[-(tries - 1) :] if tries > 1 else [],
        )


CHECK = """
SELECT
  (SELECT count(*) FROM marks) AS batches,
  (SELECT coalesce(sum(n), 0) FROM marks) AS expected,
  (SELECT count(*) FROM pts) AS points,
  (SELECT count(*) FROM (
     SELECT m.writer, m.batch FROM marks m
     LEFT JOIN (SELECT writer, batch, count(*) AS c FROM pts GROUP BY ALL) p USING (writer, batch)
     WHERE coalesce(p.c, 0) <> m.n)) AS torn
"""


def reader(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    """Read until a line arrives on stdin, then once more; every read must be one committed
    state: each batch's mark with exactly its points, and no points without their mark."""
    stop = threading.Event()
    print("READY", flush=True)

    def wait_for_stop() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    reads = errors = bad = 0
    states: set[int] = set()
    last: tuple[Any, ...] = ()
    while True:
        final = stop.is_set()
        try:
            row = con.execute(CHECK).fetchone()
        except duckdb.Error as e:
            errors += 1
            emit(error=f"{type(e).__name__}: {str(e).splitlines()[0]}")
            if final:
                break
            continue
        assert row is not None
        reads += 1
        batches, expected, points, torn = row
        states.add(int(batches))
        if torn or points != expected:
            bad += 1
        last = row
        if final:
            break
    emit(reads=reads, errors=errors, inconsistent=bad, states=len(states), last=list(last))


def hold_lock(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    """Take a transaction-scoped advisory lock through the postgres extension and keep the
    transaction open until stdin closes (or the test kills this process)."""
    con.execute(f"ATTACH {lakeconn.literal(args.catalog)} AS pglock (TYPE postgres)")
    barrier()
    cur = con.cursor()
    cur.execute("BEGIN")
    row = cur.execute(
        "SELECT * FROM postgres_query('pglock', "
        f"'SELECT pg_try_advisory_xact_lock({int(args.lock_key)}) AS got')"
    ).fetchone()
    emit(got=bool(row and row[0]))
    sys.stdin.read()
    cur.execute("COMMIT")


MODES = {
    "append": append,
    "fenced": fenced,
    "update": update,
    "reader": reader,
    "hold-lock": hold_lock,
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=sorted(MODES))
    p.add_argument("--catalog", required=True)
    p.add_argument("--data-path")
    p.add_argument("--writer", type=int, default=0)
    p.add_argument("--commits", type=int, default=10)
    p.add_argument("--rows", type=int, default=5)
    p.add_argument("--lock-key", type=int, default=0)
    args = p.parse_args(argv)
    con = lakeconn.connect(args.catalog, args.data_path)
    MODES[args.mode](con, args)


if __name__ == "__main__":
    main()
