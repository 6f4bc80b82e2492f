"""Quoting of DuckDB identifiers and the WHERE clauses of the warehouse's writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _q(identifier: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


def _split(table: str) -> tuple[str, str]:
    """``"_swansync.sync_log"`` -> ``("_swansync", "sync_log")``; bare names are in ``main``."""
    schema, dot, name = table.partition(".")
    return (schema, name) if dot else ("main", table)


def _qt(table: str) -> str:
    """A possibly schema-qualified table name, quoted."""
    schema, name = _split(table)
    return f"{_q(schema)}.{_q(name)}"


def _where(
    where: Mapping[str, Any], column: str | None, values_in: Sequence[Any], condition: str | None
) -> tuple[str, list[Any]]:
    """``k1 = ? AND ...`` [``AND list_contains(?, column)``] [``AND (condition)``] and its
    parameters."""
    parts = [f"{_q(k)} = ?" for k in where]
    params: list[Any] = list(where.values())
    if column is not None:
        parts.append(f"list_contains(?, {_q(column)})")
        params.append(list(values_in))
    if condition:
        parts.append(f"({condition})")
    return " AND ".join(parts), params


__all__: list[str] = []
