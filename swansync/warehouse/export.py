"""``swansync query``: one user statement on a locked, read-only connection, its result streamed.

* **Read-only, and no file access.** The warehouse opens read-only; then DuckDB's
  ``enable_external_access`` is switched off and the configuration locked, so the user's SQL can
  neither write (``COPY ... TO``, ``EXPORT DATABASE``) nor read or attach other files, nor load
  extensions, nor switch that back on. Only the caller writes, to the ``--output`` it chose.
  Statements other than reads are refused up front with a clear message.
* **Streamed.** Results are read in Arrow record batches and written batch by batch: memory
  stays flat whatever the row count (CSV via polars, Parquet via pyarrow, JSON via DuckDB's
  ``to_json`` on each batch).
* **JSON is lossless.** JSON has no NaN or infinity; writing them as ``null`` would lose them.
  A floating-point NaN, +inf and -inf are written as the strings ``"NaN"``, ``"Infinity"`` and
  ``"-Infinity"`` (what JavaScript's ``Number()`` and Python's ``float()`` read back).

The locked configuration belongs to the DuckDB database instance, which every connection to the
same file in this process shares: run a query in its own process (the CLI does).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import duckdb

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse import Warehouse, open_warehouse
from swansync.warehouse.sqlnames import _q

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("table", "csv", "json", "jsonl", "parquet")
BATCH_ROWS = 65_536

# Statement types that only read. Everything else (COPY, EXPORT, ATTACH, DETACH, INSTALL/LOAD,
# SET/USE, CREATE, INSERT, ...) is refused before it runs; the locked configuration below is what
# actually stops a write that slips through.
_READS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI"}


class Query:
    """``with Query(db, sql) as q``: ``q.columns``, ``q.rows()``, ``q.write(fmt, out)``."""

    def __init__(self, db: Path | str, sql: str, env: Mapping[str, str] | None = None) -> None:
        self._wh: Warehouse = open_warehouse(db, read_only=True, env=env)
        try:
            con = self._wh.con
            # Off before the lock: no Python objects of this process as tables, no files,
            # no extensions; then nothing can switch them back on. (A lake reads its own data
            # files and catalog: there, only its data path stays reachable.)
            con.execute("SET python_enable_replacements = false")
            for sql_setting in self._wh.reader_lockdown():
                con.execute(sql_setting)
            con.execute("SET lock_configuration = true")
            _check_statement(con, sql)
            try:
                rel = con.sql(sql)
            except duckdb.Error as e:
                raise WarehouseError(f"query failed: {one_line(e)}") from e
            if rel is None:
                raise WarehouseError("the statement returned no rows to show (not a query)")
            self._rel = rel
            # DuckDB allows two result columns with one name; files and frames do not.
            self.columns: list[str] = _unique(list(rel.columns))
            self.json_columns: set[str] = {
                c for c, t in zip(self.columns, rel.types, strict=True) if str(t) == "JSON"
            }
        except BaseException:
            self._wh.close()
            raise

    def __enter__(self) -> Query:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._wh.close()

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row as Python values (for a table on screen: the caller chose to hold them)."""
        try:
            return self._rel.fetchall()
        except duckdb.Error as e:
            raise WarehouseError(f"query failed: {e}") from e

    def batches(self) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """The result's schema and its record batches, read as they are consumed."""
        try:
            reader = self._rel.to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as e:
            raise WarehouseError(f"query failed: {e}") from e
        import pyarrow as pa

        schema = pa.schema(
            [f.with_name(name) for f, name in zip(reader.schema, self.columns, strict=True)]
        )
        return schema, _guarded(reader, self.columns)

    def write(self, fmt: str, out: IO[bytes]) -> int:
        """Stream the result to ``out`` as csv, json (an array), jsonl or parquet; rows written."""
        if fmt == "csv":
            return _write_csv(self, out)
        if fmt in ("json", "jsonl"):
            return _write_json(self, out, lines=fmt == "jsonl")
        if fmt == "parquet":
            return _write_parquet(self, out)
        raise ConfigError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")


def _guarded(reader: Any, names: list[str]) -> Iterator[pa.RecordBatch]:
    try:
        for batch in reader:
            yield batch.rename_columns(names)
    except (duckdb.Error, OSError) as e:  # pyarrow re-raises errors met while DuckDB streams
        raise WarehouseError(f"query failed: {e}") from e


def _unique(names: list[str]) -> list[str]:
    """``a, a, a_1`` -> ``a, a_2, a_1``: a repeated name gets the first free ``_N`` suffix."""
    taken = set(names)
    used: set[str] = set()
    out: list[str] = []
    for name in names:
        new, n = name, 0
        while new in used or (n and new in taken):
            n += 1
            new = f"{name}_{n}"
        used.add(new)
        out.append(new)
    return out


def one_line(e: Exception) -> str:
    """DuckDB's message on one line: without the ``LINE 1: ...`` echo of the SQL and its
    ``^^^`` caret, the other lines joined."""
    lines = [line.strip() for line in str(e).splitlines()]
    kept = [line for line in lines if line and not line.startswith("LINE ") and set(line) != {"^"}]
    return " ".join(kept)


def _check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise WarehouseError(f"query failed: {one_line(e)}") from e
    if len(statements) != 1:
        raise ConfigError(f"query runs exactly one statement; got {len(statements)}")
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in _READS:
        words = sql.split(None, 2)
        if kind == "LOAD" and words and words[0].upper() in ("INSTALL", "FORCE"):
            kind = "INSTALL"  # DuckDB files INSTALL under LOAD
        article = "an" if kind[0] in "AEIOU" else "a"
        hint = (  # only a statement that writes a result has another way to do it
            " (to save a result, use --output FILE with --format csv, json, jsonl or parquet)"
            if kind in ("COPY", "EXPORT")
            else ""
        )
        raise ConfigError(f"query only reads: {article} {kind} statement is not allowed{hint}")


# -- CSV ----------------------------------------------------------------------------------


def _write_csv(q: Query, out: IO[bytes]) -> int:
    import polars as pl

    rows, header = 0, True
    _, batches = q.batches()
    for batch in batches:
        frame = csv_ready(pl.from_arrow(batch))
        frame.write_csv(out, include_header=header)
        header = False
        rows += len(batch)
    if header:  # no rows: still say which columns there are
        out.write((",".join(_csv_field(c) for c in q.columns) + "\n").encode())
    return rows


def _csv_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if re.search(r'[",\r\n]', name) else name


def csv_ready(frame: Any) -> Any:
    """CSV has no lists or structs: write nested cells (labels, run_ids, ...) as JSON text."""
    import json

    import polars as pl

    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns(
        pl.Series(
            c, [None if v is None else json.dumps(v, default=str) for v in frame[c].to_list()]
        )
        for c in nested
    )


# -- Parquet ------------------------------------------------------------------------------


def _write_parquet(q: Query, out: IO[bytes]) -> int:
    import pyarrow.parquet as pq

    schema, batches = q.batches()
    rows = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += len(batch)
    return rows


# -- JSON ---------------------------------------------------------------------------------

# Outside JSON strings, DuckDB writes a nested NaN/inf as the bare words NaN/Infinity/-Infinity.
_STRING_OR_BARE = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _write_json(q: Query, out: IO[bytes], *, lines: bool) -> int:
    import pyarrow as pa

    mem = duckdb.connect()  # formats our own Arrow batches; the user's SQL never runs here
    mem.execute("SET TimeZone = 'UTC'")
    sep = b"\n" if lines else b",\n"
    schema, batches = q.batches()
    select, nested = _json_select(schema, q.json_columns, sep, pa)
    rows = 0
    if not lines:
        out.write(b"[")
    try:
        for batch in batches:
            mem.register("batch", batch)
            try:
                text = _joined(mem.sql(select).to_arrow_table().column(0), pa)
            except duckdb.Error as e:
                raise WarehouseError(f"query result could not be written as JSON: {e}") from e
            finally:
                mem.unregister("batch")
            if nested and (b"NaN" in text or b"Infinity" in text):
                text = _STRING_OR_BARE.sub(lambda m: b'"%s"' % m[1] if m[1] else m[0], text)
            # Each row ends with the separator; the very last one is written as the closing.
            out.write((sep if rows else b"\n" if not lines else b"") + text[: -len(sep)])
            rows += len(batch)
    finally:
        mem.close()
    if rows and lines:
        out.write(b"\n")
    if not lines:
        out.write(b"\n]\n" if rows else b"]\n")
    return rows


def _json_select(
    schema: pa.Schema, json_columns: set[str], sep: bytes, pa: Any
) -> tuple[str, bool]:
    """SELECT turning each row of ``batch`` into one JSON object followed by ``sep``; and
    whether a list or struct column holds floats (their NaN/inf need the text pass)."""
    fields = []
    for f in schema:
        col = _q(f.name)
        if f.name in json_columns:  # JSON text goes in as JSON, not as a string of JSON
            expr = f"{col}::JSON"
        elif pa.types.is_floating(f.type):
            expr = (
                f"CASE WHEN isnan({col}) THEN '\"NaN\"'::JSON "
                f"WHEN {col} = 'inf'::DOUBLE THEN '\"Infinity\"'::JSON "
                f"WHEN {col} = '-inf'::DOUBLE THEN '\"-Infinity\"'::JSON "
                f"ELSE to_json({col}) END"
            )
        else:
            expr = col
        fields.append(f"{_q(f.name)} := {expr}")
    nested = any(_has_nested_float(f.type, pa) for f in schema)
    tail = " || ".join(f"chr({b})" for b in sep)
    row = f"to_json(struct_pack({', '.join(fields)}))::VARCHAR || {tail}"
    return f"SELECT {row} FROM batch", nested


def _has_nested_float(t: Any, pa: Any) -> bool:
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return bool(pa.types.is_floating(t.value_type) or _has_nested_float(t.value_type, pa))
    if pa.types.is_struct(t):
        return any(
            pa.types.is_floating(t.field(i).type) or _has_nested_float(t.field(i).type, pa)
            for i in range(t.num_fields)
        )
    if pa.types.is_map(t):
        return any(
            pa.types.is_floating(x) or _has_nested_float(x, pa) for x in (t.key_type, t.item_type)
        )
    return False


def _joined(column: Any, pa: Any) -> bytes:
    """The bytes of a string column's values, back to back (one copy, no Python strings)."""
    parts: list[bytes] = []
    for chunk in column.chunks:
        if not len(chunk):
            continue
        fmt = "<q" if pa.types.is_large_string(chunk.type) else "<i"
        size = struct.calcsize(fmt)
        offsets, data = chunk.buffers()[1], chunk.buffers()[2]
        start = struct.unpack_from(fmt, offsets, chunk.offset * size)[0]
        end = struct.unpack_from(fmt, offsets, (chunk.offset + len(chunk)) * size)[0]
        parts.append(memoryview(data)[start:end].tobytes())
    return b"".join(parts)
