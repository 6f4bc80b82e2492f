"""What DuckDB 1.5.5 + DuckLake (PostgreSQL catalog) does, re-checked on every run: the facts
``docs/ducklake.md`` builds swansync's lake writes on. If an upgrade changes one, a test here
fails and the design must be looked at again.

Two independent DuckDB instances attached to one lake behave like two processes; interleaving
their transactions by hand makes every conflict deterministic: A begins first and commits
last, B commits in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.lake import lakeconn
from tests.lake.conftest import Lake


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    return lakeconn.connect(lake.catalog, lake.data_path, env=lake.env)


@pytest.fixture
def two(lake: Lake) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]]:
    a, b = connect(lake), connect(lake)
    a.execute(
        "CREATE TABLE t (k INTEGER, v INTEGER); CREATE TABLE o (k INTEGER, v INTEGER);"
        "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3); INSERT INTO o VALUES (1, 1)"
    )
    yield a, b
    a.close()
    b.close()


def interleave(
    a: duckdb.DuckDBPyConnection, b: duckdb.DuckDBPyConnection, sql_a: str, sql_b: str
) -> Exception | None:
    """A: BEGIN, sql_a; B: BEGIN, sql_b, COMMIT; A: COMMIT. Returns A's commit error, if any
    (B, committing first, always wins)."""
    a.execute("BEGIN")
    a.execute(sql_a)
    b.execute("BEGIN")
    b.execute(sql_b)
    b.execute("COMMIT")
    try:
        a.execute("COMMIT")
    except duckdb.Error as e:
        return e
    return None


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


# -- conflicts ----------------------------------------------------------------------------------

INSERT = "INSERT INTO t VALUES (10, 10)"
INSERT_2 = "INSERT INTO t VALUES (11, 11)"
UPDATE_ROW_1 = "UPDATE t SET v = v + 100 WHERE k = 1"
UPDATE_ROW_2 = "UPDATE t SET v = v + 100 WHERE k = 2"
DELETE_ROW_3 = "DELETE FROM t WHERE k = 3"
DELETE_NOTHING = "DELETE FROM t WHERE k = 999"
WRITE_OTHER_TABLE = "UPDATE o SET v = 0"
ADD_COLUMN = "ALTER TABLE t ADD COLUMN c INTEGER"
MERGE_NEW_KEY = (
    "MERGE INTO t USING (SELECT 20 AS k, {v} AS v) s ON t.k = s.k "
    "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.v)"
)


@pytest.mark.parametrize(
    ("sql_a", "sql_b", "conflict"),
    [
        (INSERT, INSERT_2, False),  # appends never conflict
        (INSERT, UPDATE_ROW_2, True),  # any UPDATE/DELETE conflicts with any insert ...
        (UPDATE_ROW_1, INSERT, True),  # ... whichever commits first ...
        (UPDATE_ROW_1, UPDATE_ROW_2, True),  # ... and with an update of another row
        (DELETE_ROW_3, INSERT, True),
        (DELETE_NOTHING, INSERT, False),  # a DELETE that deletes nothing writes nothing
        (UPDATE_ROW_1, WRITE_OTHER_TABLE, False),  # granularity: the table
        (INSERT, ADD_COLUMN, True),  # a concurrent ALTER breaks writers of that table
        (ADD_COLUMN, INSERT, False),  # ... but an ALTER committing after an insert is fine
    ],
)
def test_which_concurrent_writes_conflict(two, sql_a, sql_b, conflict):
    a, b = two
    err = interleave(a, b, sql_a, sql_b)
    assert (err is not None) == conflict, err
    if err is not None:
        assert isinstance(err, duckdb.TransactionException)


def test_a_conflict_rejects_the_whole_transaction_which_can_simply_be_redone(two):
    a, b = two
    work = ["INSERT INTO o VALUES (9, 9)", UPDATE_ROW_1]
    a.execute("BEGIN")
    for sql in work:
        a.execute(sql)
    b.execute(INSERT)
    with pytest.raises(duckdb.TransactionException) as caught:
        a.execute("COMMIT")
    message = str(caught.value)
    assert message.startswith("TransactionContext Error: Failed to commit")
    assert (
        'Transaction conflict - attempting to delete from table with index "' in message
        and "but another transaction has inserted into it" in message
    )
    # Nothing of A landed, not even its insert into the other table; the transaction is over.
    assert rows(b, "SELECT count(*) FROM o WHERE k = 9") == [(0,)]
    assert rows(b, "SELECT v FROM t WHERE k = 1") == [(1,)]
    with pytest.raises(duckdb.TransactionException, match="no transaction is active"):
        a.execute("ROLLBACK")
    # Redone as a whole on the same connection, it commits.
    a.execute("BEGIN")
    for sql in work:
        a.execute(sql)
    a.execute("COMMIT")
    assert rows(b, "SELECT v FROM t WHERE k = 1") == [(101,)]
    assert rows(b, "SELECT count(*) FROM o WHERE k = 9") == [(1,)]


def test_merge_of_the_same_new_key_by_two_writers_duplicates_it(two):
    """MERGE is no upsert under concurrency: with no row to match, both sides only insert,
    inserts never conflict, and the key ends up twice. Same for DELETE+INSERT of a new key."""
    a, b = two
    assert interleave(a, b, MERGE_NEW_KEY.format(v=1), MERGE_NEW_KEY.format(v=2)) is None
    assert sorted(rows(b, "SELECT v FROM t WHERE k = 20")) == [(1,), (2,)]
    new = "DELETE FROM t WHERE k = 30; INSERT INTO t VALUES (30, {v})"
    assert interleave(a, b, new.format(v=1), new.format(v=2)) is None
    assert rows(b, "SELECT count(*) FROM t WHERE k = 30") == [(2,)]


def test_delete_insert_of_an_existing_key_conflicts(two):
    a, b = two
    replace = "DELETE FROM t WHERE k = 1; INSERT INTO t VALUES (1, {v})"
    err = interleave(a, b, replace.format(v=5), replace.format(v=6))
    assert isinstance(err, duckdb.TransactionException)
    assert rows(b, "SELECT v FROM t WHERE k = 1") == [(6,)]


def test_concurrent_ddl_of_the_same_name_conflicts(two):
    a, b = two
    create = "CREATE TABLE IF NOT EXISTS z (k INTEGER)"
    err = interleave(a, b, create, create)
    assert isinstance(err, duckdb.TransactionException)
    assert 'attempting to create table "z"' in str(err)
    view = "CREATE OR REPLACE VIEW vz AS SELECT {v} AS x"
    err = interleave(a, b, view.format(v=1), view.format(v=2))
    assert isinstance(err, duckdb.TransactionException)
    assert 'attempting to create view "vz"' in str(err)
    # Different names do not conflict.
    assert interleave(a, b, "CREATE TABLE z1 (k INTEGER)", "CREATE TABLE z2 (k INTEGER)") is None


# -- DDL ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddl", "error"),
    [
        ("CREATE TABLE x (k INTEGER PRIMARY KEY)", "PRIMARY KEY/UNIQUE constraints are not"),
        ("CREATE TABLE x (k INTEGER UNIQUE)", "PRIMARY KEY/UNIQUE constraints are not"),
        ("CREATE TABLE x (k INTEGER CHECK (k > 0))", "CHECK constraints are not supported"),
        ("CREATE SEQUENCE x", "does not support sequences"),
        ("CREATE INDEX x ON t (k)", "does not support indexes"),
    ],
)
def test_refused_ddl(two, ddl, error):
    a, _ = two
    with pytest.raises(duckdb.NotImplementedException, match=error):
        a.execute(ddl)


def test_accepted_ddl_and_what_it_enforces(two):
    a, b = two
    a.execute(
        "CREATE TABLE d (k INTEGER NOT NULL, v INTEGER DEFAULT 5, j JSON, l VARCHAR[], "
        "at_ TIMESTAMPTZ DEFAULT now(), x DOUBLE)"
    )
    a.execute("INSERT INTO d (k, j, l, x) VALUES (1, '{\"a\": 1}', ['p', 'q'], 'nan')")
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed"):
        a.execute("INSERT INTO d (k) VALUES (NULL)")
    ((v, j, lst, at, x),) = rows(b, "SELECT v, j, l, at_, isnan(x) FROM d")
    assert (v, j, lst, x) == (5, '{"a": 1}', ["p", "q"], True)
    assert at is not None
    a.execute("ALTER TABLE d ADD COLUMN IF NOT EXISTS extra VARCHAR")
    a.execute("CREATE SCHEMA IF NOT EXISTS internal")
    a.execute("CREATE TABLE IF NOT EXISTS internal.marks (k INTEGER)")
    # No ON CONFLICT without a unique constraint, and there can be none.
    with pytest.raises(duckdb.BinderException, match="no UNIQUE/PRIMARY KEY constraints"):
        a.execute("INSERT INTO d (k) VALUES (2) ON CONFLICT DO NOTHING")


def test_views_and_macros_live_in_the_catalog(lake: Lake):
    """Views and macros are stored in the lake (``ducklake_view``/``ducklake_macro``), so every
    reader sees them, also one that attaches the lake under another name. A view binds its
    tables in its own catalog and schema; a table macro binds them where it is called from, so
    it needs ``USE <lake>`` (or the lake as the default database)."""
    a = connect(lake)
    a.execute("CREATE TABLE t (k INTEGER); INSERT INTO t VALUES (1), (2)")
    a.execute("CREATE SCHEMA s; CREATE TABLE s.u (k INTEGER); INSERT INTO s.u VALUES (7)")
    a.execute("CREATE VIEW v AS SELECT sum(k) AS total FROM t")
    a.execute("CREATE VIEW s.w AS SELECT k FROM u")
    a.execute("CREATE MACRO plus(x, y := 1) AS x + y")
    a.execute("CREATE MACRO upto(n) AS TABLE SELECT k FROM t WHERE k <= n")
    a.close()
    b = lakeconn.connect(lake.catalog, None, alias="other", env=lake.env, use=False)
    assert rows(b, "SELECT total FROM other.v") == [(3,)]
    assert rows(b, "SELECT k FROM other.s.w") == [(7,)]
    assert rows(b, "SELECT other.plus(1), other.plus(1, y := 5)") == [(2, 6)]
    with pytest.raises(duckdb.CatalogException, match="Table with name t does not exist"):
        b.execute("SELECT * FROM other.upto(1)")
    b.execute("USE other")
    assert rows(b, "SELECT * FROM upto(1)") == [(1,)]
    assert rows(b, "SELECT plus(40, y := 2)") == [(42,)]


def test_merge_into_and_delete_insert_in_one_transaction(two):
    a, b = two
    a.execute("BEGIN")
    a.execute(
        "MERGE INTO t USING (VALUES (2, 20), (4, 40)) s(k, v) ON t.k = s.k "
        "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.v)"
    )
    a.execute("DELETE FROM t WHERE k = 1")
    a.execute("INSERT INTO t VALUES (1, 100)")
    assert rows(b, "SELECT count(*) FROM t") == [(3,)]  # not visible before COMMIT
    a.execute("COMMIT")
    assert rows(b, "SELECT k, v FROM t ORDER BY k") == [(1, 100), (2, 20), (3, 3), (4, 40)]


# -- snapshots ------------------------------------------------------------------------------------


def test_time_travel_and_snapshot_ids(lake: Lake):
    a = connect(lake)
    a.execute("CREATE TABLE t (k INTEGER)")
    a.execute("INSERT INTO t VALUES (1)")
    (first,) = a.execute("SELECT id FROM lake.current_snapshot()").fetchone() or ()
    a.execute("INSERT INTO t VALUES (2)")
    a.execute("DELETE FROM t WHERE k = 1")
    assert rows(a, "SELECT k FROM t") == [(2,)]
    assert rows(a, f"SELECT k FROM t AT (VERSION => {first})") == [(1,)]
    # Every row carries the snapshot that committed it: a total order of commits, no clock.
    assert rows(a, "SELECT k, snapshot_id > ? FROM t", [first]) == [(2, True)]
    changes = rows(a, "SELECT snapshot_id, changes FROM lake.snapshots() ORDER BY snapshot_id")
    assert [s for s, _ in changes] == sorted({s for s, _ in changes})


def test_small_commits_are_inlined_in_the_catalog_until_flushed(lake: Lake):
    """Inserts of up to 10 rows (the default inlining limit) go into the catalog, not Parquet:
    hundreds of small bookmark commits make no files."""
    a = connect(lake)
    a.execute("CREATE TABLE t (k INTEGER, batch INTEGER)")
    for batch in range(20):
        a.execute(f"INSERT INTO t SELECT i, {batch} FROM range(5) r(i)")
    assert _data_files(a) == 0
    a.execute("INSERT INTO t SELECT i, 99 FROM range(11) r(i)")  # over the limit: a file
    assert _data_files(a) == 1
    a.execute("CALL ducklake_flush_inlined_data('lake')")
    assert _data_files(a) == 2
    assert rows(a, "SELECT count(*) FROM t") == [(111,)]


def _data_files(con: duckdb.DuckDBPyConnection) -> int:
    (n,) = con.execute("SELECT count(*) FROM ducklake_list_files('lake', 't')").fetchone() or ()
    return int(n)


def test_maintenance_merges_expires_and_deletes_files(lake: Lake):
    a = connect(lake)
    a.execute("CALL lake.set_option('data_inlining_row_limit', 0)")  # every commit: a file
    a.execute("CREATE TABLE t (k INTEGER, batch INTEGER)")
    for batch in range(30):
        a.execute(f"INSERT INTO t SELECT i, {batch} FROM range(3) r(i)")
    folder = Path(lake.data_path)
    on_disk = lambda: len(list(folder.rglob("*.parquet")))  # noqa: E731
    assert _data_files(a) == 30 and on_disk() == 30
    a.execute("CALL ducklake_merge_adjacent_files('lake')")
    assert _data_files(a) == 1
    assert on_disk() == 31  # the merged file, and the old ones that old snapshots still use
    # Time travel to before the merge still works until the snapshots are expired.
    assert rows(a, "SELECT count(*) FROM t AT (VERSION => 5)")[0][0] > 0
    # expire needs a cut-off (older_than or versions); cleanup needs older_than or cleanup_all.
    a.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
    assert on_disk() == 31  # expired files are only scheduled for deletion
    deleted = rows(
        a, "SELECT count(*) FROM ducklake_cleanup_old_files('lake', cleanup_all => true)"
    )
    assert deleted == [(30,)] and on_disk() == 1
    assert rows(a, "SELECT count(*), count(DISTINCT batch) FROM t") == [(90, 30)]


def test_types_and_macro_defaults_the_lake_cannot_store(lake: Lake):
    """What sql/views may not use on a lake: user-defined types (refused), a NULL parameter
    default (refused at commit), and a LIST default: accepted, then every later load of the
    catalog fails, so no one can even attach the lake again (repair: delete the macro's rows
    from the catalog tables in PostgreSQL)."""
    a = connect(lake)
    a.execute("CREATE TABLE t (k INTEGER); INSERT INTO t VALUES (1)")
    with pytest.raises(duckdb.NotImplementedException, match="user-defined types"):
        a.execute("CREATE TYPE mood AS ENUM ('a', 'b')")
    with pytest.raises(duckdb.TransactionException, match="Failed to commit"):
        a.execute("CREATE MACRO m_null(x, y := NULL) AS x")
    a.execute("CREATE MACRO m_ok(x, y := 1.5, z := 'min', w := true) AS TABLE SELECT x AS v")
    assert rows(connect(lake), "SELECT * FROM m_ok(3)") == [(3,)]
    a.execute("CREATE MACRO m_list(x, ks := ['a', 'b']) AS x")  # accepted ...
    with pytest.raises(duckdb.InternalException, match="optional pointer"):
        a.execute("SELECT count(*) FROM t")  # ... and the lake is broken
    with pytest.raises(duckdb.InternalException, match="optional pointer"):
        connect(lake)


def test_row_snapshot_ids_survive_flush_merge_and_expiry_but_not_a_rewrite(lake: Lake):
    """``snapshot_id`` is the snapshot that inserted a row. Flushing inlined rows, merging files
    and expiring snapshots keep it; ``ducklake_rewrite_data_files`` (which applies deletes)
    stamps every rewritten row with the rewrite's snapshot: "newest version of a key" cannot be
    decided by ``snapshot_id`` on a lake that is ever rewritten."""
    a = connect(lake)
    a.execute("CREATE TABLE t (k INTEGER, v INTEGER)")
    for i in range(6):
        a.execute(f"INSERT INTO t SELECT {i % 2}, {i} FROM range({1 if i < 3 else 20})")
    query = "SELECT v, snapshot_id, count(*) FROM t GROUP BY ALL ORDER BY v"
    before = rows(a, query)
    assert len({s for _, s, _ in before}) == 6
    a.execute("CALL ducklake_flush_inlined_data('lake')")
    a.execute("CALL ducklake_merge_adjacent_files('lake')")
    a.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
    a.execute("CALL ducklake_cleanup_old_files('lake', cleanup_all => true)")
    assert rows(connect(lake), query) == before
    a.execute("DELETE FROM t WHERE v = 0")
    a.execute("CALL ducklake_rewrite_data_files('lake', delete_threshold => 0)")
    after = rows(a, query)
    assert [(v, n) for v, _, n in after] == [(v, n) for v, _, n in before[1:]]
    assert len({s for _, s, _ in after}) == 1


def test_a_fence_table_per_target_serializes_writers_of_that_target_only(two):
    """The exactness device of docs/ducklake.md: every write transaction of target P replaces
    the single row of P's fence table. Two overlapping writers of P conflict (the loser is
    rejected whole, re-reads and redoes); writers of P and Q never do, although both append to
    the shared table."""
    a, b = two
    a.execute(
        "CREATE SCHEMA fence; CREATE TABLE fence.p (w INTEGER); CREATE TABLE fence.q (w INTEGER)"
    )
    a.execute("INSERT INTO fence.p VALUES (0); INSERT INTO fence.q VALUES (0)")
    write = (
        "INSERT INTO t VALUES ({w}, {w}); DELETE FROM fence.{f}; INSERT INTO fence.{f} VALUES ({w})"
    )
    err = interleave(a, b, write.format(w=11, f="p"), write.format(w=12, f="p"))
    assert isinstance(err, duckdb.TransactionException)
    assert interleave(a, b, write.format(w=13, f="p"), write.format(w=14, f="q")) is None
    assert rows(b, "SELECT k FROM t WHERE k > 10 ORDER BY k") == [(12,), (13,), (14,)]
    assert rows(b, "SELECT (SELECT w FROM fence.p), (SELECT w FROM fence.q)") == [(13, 14)]


def test_compaction_runs_beside_appenders_but_fails_an_overlapping_delete(lake: Lake):
    a, b = connect(lake), connect(lake)
    a.execute("CALL lake.set_option('data_inlining_row_limit', 0)")
    a.execute("CREATE TABLE t (k INTEGER, v INTEGER)")
    for i in range(6):
        a.execute(f"INSERT INTO t VALUES ({i % 3}, {i})")
    merge = "CALL ducklake_merge_adjacent_files('lake')"
    assert interleave(a, b, merge, "INSERT INTO t VALUES (9, 9)") is None
    assert interleave(a, b, "INSERT INTO t VALUES (8, 8)", merge) is None
    err = interleave(a, b, "DELETE FROM t WHERE k = 1", merge)
    assert isinstance(err, duckdb.TransactionException)
    assert "but another transaction has compacted it" in str(err)
    assert rows(b, "SELECT count(*), sum(v) FROM t") == [(8, 32)]


def test_parquet_writer_loses_the_sign_of_some_zeros(lake: Lake, tmp_path: Path) -> None:
    """F17: DuckDB 1.5.5 writes 0.0 as -0.0 when both are in one dictionary-encoded column
    chunk (a lake's data files too). DuckDB 2.0 keeps both; when this fails, the lake suite's
    zero-sign tolerance (tests/support/truth.py ZERO_SIGN) can go."""
    zeros = (
        "SELECT CASE WHEN i % 2 = 0 THEN -0.0::DOUBLE ELSE 0.0::DOUBLE END AS d FROM range(20) t(i)"
    )
    count = "SELECT count(*) FILTER (WHERE d::VARCHAR = '-0.0') FROM {}"
    con = duckdb.connect()
    assert con.execute(count.format(f"({zeros})")).fetchone() == (10,)
    con.execute(f"COPY ({zeros}) TO '{tmp_path / 'z.parquet'}'")
    assert con.execute(count.format(f"'{tmp_path / 'z.parquet'}'")).fetchone() == (20,)
    lk = connect(lake)
    lk.execute(f"CREATE TABLE z AS {zeros}")  # 20 rows: over the inlining limit, a file
    assert lk.execute(count.format("z")).fetchone() == (20,)
    lk.close()
