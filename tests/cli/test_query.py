"""`swansync query`: only --output writes, exports stream, JSON keeps NaN and infinities."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse import export
from swansync.warehouse.export import Query
from tests.cli.test_cli import run_cli

SPECIALS = """
SELECT i, CASE i WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
                 ELSE i / 3 END AS v,
       ['nan'::DOUBLE, 'inf'::DOUBLE, -0.5] AS l, {'x': '-inf'::DOUBLE, 's': 'NaN'} AS st,
       'Infinity' AS text
FROM range(4) t(i) ORDER BY i
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i, range * 0.5 AS x FROM range(1000)")
    con.execute("CREATE TABLE j (c JSON)")
    con.execute("""INSERT INTO j VALUES ('{"a": [1, 2.5, null], "b": "NaN"}')""")
    con.close()
    return path


def write(db: Path, sql: str, fmt: str) -> bytes:
    buf = io.BytesIO()
    with Query(db, sql) as q:
        q.write(fmt, buf)
    return buf.getvalue()


# -- JSON is lossless ---------------------------------------------------------------------


def _expected_rows() -> list[dict[str, object]]:
    inf = {"x": "-Infinity", "s": "NaN"}
    special = ["NaN", "Infinity", "-Infinity"]
    values: list[object] = [*special, 1.0]
    return [
        {"i": i, "v": values[i], "l": [*special[:2], -0.5], "st": inf, "text": "Infinity"}
        for i in range(4)
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_writes_nan_and_infinities_as_strings_not_null(db: Path, fmt: str) -> None:
    text = write(db, SPECIALS, fmt).decode()
    rows = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    assert rows == _expected_rows()
    assert math.isnan(float(rows[0]["v"])) and float(rows[2]["v"]) == -math.inf


def test_cli_json_is_lossless_and_valid(db: Path) -> None:
    result = run_cli("query", SPECIALS, "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == _expected_rows()  # strict JSON: no bare NaN


def test_json_columns_are_embedded_not_quoted(db: Path) -> None:
    assert json.loads(write(db, "SELECT c FROM j", "json")) == [
        {"c": {"a": [1, 2.5, None], "b": "NaN"}}
    ]


def test_empty_results(db: Path) -> None:
    empty = "SELECT * FROM t WHERE false"
    assert json.loads(write(db, empty, "json")) == []
    assert write(db, empty, "jsonl") == b""
    assert write(db, empty, "csv") == b"i,x\n"


# -- streaming ----------------------------------------------------------------------------


class Sink(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, b: Any) -> int:
        self.writes += 1
        return super().write(b)


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_exports_are_written_batch_by_batch(
    db: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing collects the whole result: 1,000 rows in batches of 100 reach the file in
    (at least) 10 writes, and read back equal to the table."""
    monkeypatch.setattr(export, "BATCH_ROWS", 100)
    sink = Sink()
    with Query(db, "SELECT * FROM t ORDER BY i") as q:
        assert q.write(fmt, sink) == 1000
    assert sink.writes >= 10
    data = sink.getvalue()
    if fmt == "csv":
        got = pl.read_csv(data)
    elif fmt == "parquet":
        got = pl.read_parquet(io.BytesIO(data))
    else:
        rows = json.loads(data) if fmt == "json" else [json.loads(x) for x in data.splitlines()]
        got = pl.DataFrame(rows)
    assert got["i"].to_list() == list(range(1000))
    assert got["x"].to_list() == [i * 0.5 for i in range(1000)]


def test_a_failing_export_leaves_no_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    sql = "SELECT CASE WHEN i < 150000 THEN i ELSE error('boom') END AS i FROM range(200000) t(i)"
    result = run_cli("query", sql, "--db", str(db), "--format", "csv", "--output", str(out))
    assert result.returncode == 1
    assert "boom" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [db]  # no out.csv, no temporary file


def test_table_to_a_file_is_plain_full_width_text(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.txt"
    long = "z" * 250
    result = run_cli("query", f"SELECT '{long}' AS s, 7 AS n", "--db", str(db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0].split() == ["s", "n"] and lines[1].split() == [long, "7"]


# -- only --output writes -----------------------------------------------------------------

REFUSED = [
    "COPY t TO '{dir}/copy.csv'",
    "COPY (SELECT 1) TO '{dir}/copy.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{dir}/export'",
    "ATTACH '{dir}/attached.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "CREATE TABLE u AS SELECT 1",
    "SELECT 1; COPY t TO '{dir}/second.csv'",
]
# Statements of an allowed kind that would still touch files: the locked connection stops them.
BYPASSES = [
    "EXPLAIN ANALYZE COPY t TO '{dir}/explained.csv'",
    "SELECT * FROM read_csv('{dir}/secret.csv')",
    "SELECT * FROM '{dir}/secret.csv'",
    "SELECT * FROM glob('{dir}/*')",
    "CALL enable_logging(storage := 'file', storage_path := '{dir}/logs')",
    "PRAGMA enable_profiling = 'json'",
    "SELECT * FROM query('COPY t TO ''{dir}/nested.csv''')",
]


@pytest.mark.parametrize("sql", REFUSED + BYPASSES)
def test_user_sql_cannot_write_or_reach_files(db: Path, tmp_path: Path, sql: str) -> None:
    area = tmp_path / "area"
    area.mkdir()
    (area / "secret.csv").write_text("password\nhunter2\n")
    with pytest.raises((ConfigError, WarehouseError)) as info:
        with Query(db, sql.format(dir=area)) as q:
            q.write("csv", io.BytesIO())
    assert "hunter2" not in str(info.value)
    assert sorted(p.name for p in area.iterdir()) == ["secret.csv"]


def test_refusal_is_one_line_naming_the_way_out(db: Path, tmp_path: Path) -> None:
    result = run_cli("query", f"COPY t TO '{tmp_path}/x.csv'", "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--output" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_the_lock_ends_with_the_query(db: Path, tmp_path: Path) -> None:
    """The locked settings belong to the open database; once the query closes, a new
    connection in the same process is an ordinary one."""
    with Query(db, "SELECT 1") as q:
        q.rows()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (True,)
    con.close()


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("ATTACH 'x.duckdb' AS other", "an ATTACH statement is not allowed"),
        ("INSTALL httpfs", "an INSTALL statement is not allowed"),
        ("LOAD httpfs", "a LOAD statement is not allowed"),
        ("SET threads = 1", "a SET statement is not allowed"),
        ("DELETE FROM t", "a DELETE statement is not allowed"),
    ],
)
def test_a_refusal_names_the_statement_and_suggests_output_only_for_copy(
    db: Path, sql: str, said: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Query(db, sql)
    assert said in str(info.value) and "--output" not in str(info.value)
    with pytest.raises(ConfigError, match=r"a COPY statement.*--output"):
        Query(db, "COPY t TO 'x.csv'")


@pytest.mark.parametrize("sql", ["SELEC 1", "SELECT nope FROM t"])
def test_a_query_error_is_one_line(db: Path, sql: str) -> None:
    with pytest.raises(WarehouseError) as info:
        Query(db, sql)
    assert "\n" not in str(info.value) and "^" not in str(info.value), str(info.value)
    assert str(info.value).startswith("query failed: ")


@pytest.mark.parametrize("name", ["out.csv", "out.JSON", "out.jsonl", "out.parquet"])
def test_the_output_extension_picks_the_format(db: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = run_cli("query", "SELECT 1 AS n", "--db", str(db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    fmt = out.suffix.lower()
    if fmt == ".csv":
        assert data.decode().splitlines() == ["n", "1"]
    elif fmt == ".json":
        assert json.loads(data) == [{"n": 1}]
    elif fmt == ".jsonl":
        assert json.loads(data.splitlines()[0]) == {"n": 1}
    else:
        assert pl.read_parquet(io.BytesIO(data))["n"].to_list() == [1]
