"""The analysis views of ``sql/views`` on a lake.

A lake cannot store user-defined types (docs/ducklake.md F6), and the run table's column lists
are ENUM types built from the data on a file warehouse (``040_run_table.sql``). On a lake each
``CREATE OR REPLACE TYPE t AS ENUM (<query>);`` is run as its query instead, and the macro's
``IN t`` becomes the list of the names found, as SQL string literals (quoted, never spliced
as identifiers): the same columns in the same order.

One worker applies them at a time (an advisory lock; a second one skips: the first is bringing
them up to date), in one transaction with the record of what was applied.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from swansync.errors import WarehouseError
from swansync.warehouse import views as file_views
from swansync.warehouse.lake.uri import literal

if TYPE_CHECKING:
    from swansync.warehouse.lake.warehouse import LakeWarehouse

log = logging.getLogger(__name__)

_ENUM = re.compile(
    r"CREATE\s+OR\s+REPLACE\s+TYPE\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+ENUM\s*\((.*?)\n\);",
    re.IGNORECASE | re.DOTALL,
)
APPLIED_LOG = "_swansync.views_applied_log"


def _literal_replacement(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` taken as it is (no backslash escapes)."""
    return lambda _: text


def lake_safe(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """``text`` with its ENUM types replaced by the literal lists their queries give now."""
    for m in list(_ENUM.finditer(text)):
        name, query = m.group(1), m.group(2)
        values = [str(r[0]) for r in con.execute(query).fetchall() if r[0] is not None]
        # PIVOT needs at least one value: a name no column can have keeps the pivot empty.
        listed = ", ".join(literal(v) for v in values) or literal("\x00none")
        text = text.replace(m.group(0), "")
        text = re.compile(rf"\bIN\s+{name}\b").sub(_literal_replacement(f"IN ({listed})"), text)
    return text


def apply_lake_views(wh: LakeWarehouse) -> list[str]:
    """(Re)create every view and macro of ``sql/views`` on the lake; [] when another worker
    is applying them right now."""
    directory = file_views.VIEWS_DIR
    parsed = [file_views._parse(path) for path in file_views._files(directory)]
    digest = file_views.files_hash(directory)
    with wh.try_global_lock("views") as held:
        if not held:
            log.info("another worker is applying the views; left to it")
            return []
        current = ""

        def statements() -> None:
            nonlocal current
            for info, text in parsed:
                current = info.file.name
                wh.con.execute(lake_safe(wh.con, text))
            current = APPLIED_LOG
            version = max(0, file_views.data_version(wh.con))
            wh.con.execute(
                f"INSERT INTO {APPLIED_LOG} VALUES (?, ?, ?)",
                [digest, version, datetime.now(UTC)],
            )

        try:
            wh.run_ddl("views", statements)
        except duckdb.Error as e:
            raise WarehouseError(f"cannot apply view file {current!r} to the lake: {e}") from e
    names = [info.name for info, _ in parsed]
    log.info("applied %d views and macros to the lake", len(names))
    return names


__all__ = ["apply_lake_views", "lake_safe"]
