"""The analysis views and table macros of ``sql/views``: list them, apply them to a warehouse.

Each file ``sql/views/NNN_name.sql`` defines one object named ``name`` (``CREATE OR REPLACE VIEW``
or ``CREATE OR REPLACE MACRO``; a file may also create helper types the object needs). Its header
is a block of ``--`` comment lines: the first line is the one-line description that
``swansync views list`` shows; a macro's ``-- Usage:`` line gives its signature; the rest says
what the object answers and reads, its parameters and whether it includes deleted runs.

Files are applied in name order inside one transaction, so a reader never sees half a set, and
applying twice changes nothing. The warehouse remembers what it applied
(``_swansync.views_applied``: a hash of the files and the data version they saw), so a pull that
changed no data and no view file skips the work (:func:`views_current`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from swansync.errors import WarehouseError
from swansync.warehouse import sql_dir

log = logging.getLogger(__name__)

ViewKind = Literal["view", "macro"]

_FILE_NAME = re.compile(r"^(\d+)_([a-z][a-z0-9_]*)\.sql$")
_CREATE = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+(?:TEMP\s+|TEMPORARY\s+)?(VIEW|MACRO)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE | re.MULTILINE,
)


VIEWS_DIR: Path = sql_dir() / "views"  # beside the schema: in the checkout or under share/
APPLIED = "_swansync.views_applied"
SYNC_LOG = "_swansync.sync_log"


@dataclass(frozen=True)
class ViewInfo:
    """One analysis object: its name, whether it is a view or a table macro, what it answers."""

    name: str
    kind: ViewKind
    description: str
    file: Path
    usage: str  # how to call it: the view name, or the macro's signature from "-- Usage:"


def _header(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped[2:].strip())
    return lines


def _parse(path: Path) -> tuple[ViewInfo, str]:
    m = _FILE_NAME.match(path.name)
    if not m:
        raise WarehouseError(f"view file {path.name!r} must be named NNN_name.sql (lower case)")
    name = m.group(2)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise WarehouseError(f"cannot read view file {str(path)!r}: {e}") from e
    header = _header(text)
    if not header or not header[0]:
        raise WarehouseError(f"view file {path.name!r} must start with a '-- description' line")
    created = [(kind.lower(), obj) for kind, obj in _CREATE.findall(text)]
    if not created:
        raise WarehouseError(f"view file {path.name!r} creates no view or macro")
    names = {obj.lower() for _, obj in created}
    if names != {name}:
        raise WarehouseError(
            f"view file {path.name!r} must create exactly one object named {name!r}, "
            f"found {sorted(names)}"
        )
    kind: ViewKind = "view" if created[0][0] == "view" else "macro"
    usage = next((h[6:].strip() for h in header if h.lower().startswith("usage:")), name)
    info = ViewInfo(name=name, kind=kind, description=header[0], file=path, usage=usage)
    return info, text


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise WarehouseError(f"views folder {str(directory)!r} does not exist")
    files = sorted(directory.glob("*.sql"))
    numbers = [p.name.split("_", 1)[0] for p in files]
    if len(set(numbers)) != len(numbers):
        raise WarehouseError(f"duplicate view numbers in {str(directory)!r}")
    return files


def list_views(directory: Path = VIEWS_DIR) -> list[ViewInfo]:
    """Every view and macro in ``directory``, in the order they are applied."""
    return [_parse(path)[0] for path in _files(directory)]


def apply_views(con: duckdb.DuckDBPyConnection, directory: Path = VIEWS_DIR) -> list[str]:
    """(Re)create every view and macro of ``directory`` on ``con``; returns their names in order.

    Runs in one transaction (call it outside any open transaction): either every object is
    replaced or, when one fails, none is and :class:`WarehouseError` names the file. The warehouse
    tables must exist (apply the schema migrations first). Helper enum types (the run table's
    column lists) are rebuilt from the data, so call it again after each pull.
    """
    parsed = [_parse(path) for path in _files(directory)]
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.Error as e:
        raise WarehouseError(f"cannot start a transaction to apply views: {e}") from e
    current = ""
    try:
        for info, text in parsed:
            current = info.file.name
            con.execute(text)
        current = APPLIED
        _record(con, files_hash(directory))
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise WarehouseError(f"cannot apply view file {current!r}: {e}") from e
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    names = [info.name for info, _ in parsed]
    log.info("applied %d views and macros", len(names))
    return names


def files_hash(directory: Path = VIEWS_DIR) -> str:
    """A digest of the view files (names and text): changes when a release changes a view."""
    digest = hashlib.sha256()
    for path in _files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest pull that changed data (``sync_log.changed`` not false; NULL = a pull that
    could not say, e.g. one killed mid-way, counts as a change); 0 before any."""
    try:
        row = con.execute(
            f"SELECT coalesce(max(id), 0) FROM {SYNC_LOG} WHERE changed IS DISTINCT FROM FALSE"
        ).fetchone()
    except duckdb.CatalogException:  # a warehouse older than the column: always rebuild
        return -1
    return int(row[0]) if row else 0


def applied_state(con: duckdb.DuckDBPyConnection) -> tuple[str, int] | None:
    """(files hash, data version) the views were last applied with, or None."""
    try:
        row = con.execute(f"SELECT files_hash, data_version FROM {APPLIED}").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None else (str(row[0]), int(row[1]))


def views_current(con: duckdb.DuckDBPyConnection, directory: Path = VIEWS_DIR) -> bool:
    """True when the views were applied from these files and no pull changed data since."""
    return applied_state(con) == (files_hash(directory), data_version(con))


def _record(con: duckdb.DuckDBPyConnection, digest: str) -> None:
    """Remember what was applied (inside the applying transaction); a database without the
    table (views applied to a bare database) keeps no record."""
    schema, _, name = APPLIED.partition(".")
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    if not found or not found[0]:
        return
    con.execute(f"DELETE FROM {APPLIED}")
    con.execute(f"INSERT INTO {APPLIED} VALUES (?, ?, now())", [digest, max(0, data_version(con))])


__all__ = [
    "VIEWS_DIR",
    "ViewInfo",
    "ViewKind",
    "applied_state",
    "apply_views",
    "data_version",
    "files_hash",
    "list_views",
    "views_current",
]
