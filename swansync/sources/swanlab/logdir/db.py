"""Read swanboard's SQLite database (``runs.swanlab``) without ever changing the log folder.

SQLite in WAL mode makes even a ``mode=ro`` connection create ``-wal``/``-shm`` files (and touch an
existing ``-shm``) when the directory is writable, so we never open the live file that way:

* no ``-wal`` or an empty one: nothing committed lives outside the main file, so it is opened
  ``mode=ro&immutable=1`` (no locks, no side files). A writer that starts meanwhile only appends to
  its own WAL, which we would not have seen anyway; the next pull sees it.
* a non-empty ``-wal`` (a writer is live, or was SIGKILLed with committed rows in the WAL): the
  main file and the WAL are copied into a private temporary folder -- retried while a checkpoint
  changes the main file under us -- and SQLite replays the WAL there. Torn WAL frames at the tail
  fail their checksums and are ignored, so the copy is the last committed state.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swansync.errors import DataError, NotFoundError

log = logging.getLogger(__name__)

DB_NAME = "runs.swanlab"
_COPY_ATTEMPTS = 5


@dataclass(frozen=True)
class Tag:
    """One registered metric of an experiment: ``folder`` is its ``logs/<folder>`` directory."""

    name: str
    folder: str
    type: str  # line | text | image | audio
    sort: int


@dataclass
class Snapshot:
    """Everything the source needs from the database, read in one go."""

    project: dict[str, Any]
    experiments: list[dict[str, Any]]
    tags: dict[int, list[Tag]] = field(default_factory=dict)  # experiment id -> tags by sort


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@contextmanager
def connect(logdir: Path) -> Iterator[sqlite3.Connection]:
    """A read-only view of ``logdir/runs.swanlab`` (see the module docstring)."""
    db = logdir / DB_NAME
    if not db.is_file():
        raise NotFoundError(
            f"{logdir}: no {DB_NAME} here; point --logdir at a SwanLab log folder "
            "(the one holding runs.swanlab and run-* folders)"
        )
    wal = logdir / (DB_NAME + "-wal")
    try:
        wal_size = wal.stat().st_size
    except FileNotFoundError:
        wal_size = 0
    if wal_size == 0:
        con = sqlite3.connect(db.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            yield con
        finally:
            con.close()
        return
    with tempfile.TemporaryDirectory(prefix="swansync-logdir-") as tmp:
        copy = Path(tmp) / DB_NAME
        for attempt in range(_COPY_ATTEMPTS):
            before = _stat_key(db)
            shutil.copyfile(db, copy)
            with contextlib.suppress(FileNotFoundError):  # checkpointed and removed meanwhile
                shutil.copyfile(wal, Path(tmp) / (DB_NAME + "-wal"))
            if _stat_key(db) == before:
                break
            log.debug("%s changed while copying (attempt %d); copying again", db, attempt + 1)
        con = sqlite3.connect(copy)
        try:
            yield con
        finally:
            con.close()


def _rows(con: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_snapshot(logdir: Path) -> Snapshot:
    """The project row, every experiment row and every tag, from one consistent read."""
    try:
        with connect(logdir) as con:
            projects = _rows(con, "SELECT * FROM project ORDER BY id")
            experiments = _rows(con, "SELECT * FROM experiment ORDER BY id")
            tag_rows = con.execute(
                "SELECT experiment_id, name, folder, type, sort FROM tag ORDER BY experiment_id, "
                "sort, id"
            ).fetchall()
    except sqlite3.DatabaseError as e:
        raise DataError(f"{logdir / DB_NAME}: cannot read the SwanLab database: {e}") from None
    tags: dict[int, list[Tag]] = {}
    for exp_id, name, folder, typ, sort in tag_rows:
        if name is None or folder is None:
            continue
        tags.setdefault(int(exp_id), []).append(
            Tag(str(name), str(folder), str(typ or "line"), int(sort or 0))
        )
    if not projects:
        # A brand-new folder: swanboard creates the project row with the first run.
        project: dict[str, Any] = {"id": None, "name": logdir.name}
    else:
        if len(projects) > 1:
            log.warning("%s holds %d projects; using the first", logdir, len(projects))
        project = projects[0]
    return Snapshot(project, experiments, tags)
