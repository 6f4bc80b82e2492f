"""One declaration of the schema: ``sql/schema`` is the source; everything else that names
contract columns (the transform's polars schemas, the source records, the simulator's truth, the
e2e comparator) is checked against it here, so a column added or renamed in one place and not
the others fails this test instead of a pull."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_type_hints

import polars as pl
import pytest

from swansync import transform
from swansync.sources import base
from swansync.warehouse import Warehouse
from tests.e2e import compare
from trackersim.swanlab import build_world

CONTRACT = {
    "projects": transform.PROJECTS_SCHEMA,
    "runs": transform.RUNS_SCHEMA,
    "run_config": transform.RUN_CONFIG_SCHEMA,
    "metric_keys": transform.METRIC_KEYS_SCHEMA,
    "metrics": transform.METRICS_SCHEMA,
    "summaries": transform.SUMMARIES_SCHEMA,
    "logs": transform.LOGS_SCHEMA,
    "media": transform.MEDIA_SCHEMA,
}
# DuckDB type -> the polars type a frame for that column must have.
DTYPES: dict[str, Any] = {
    "VARCHAR": pl.String,
    "JSON": pl.String,
    "VARCHAR[]": pl.List(pl.String),
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "BOOLEAN": pl.Boolean,
    "TIMESTAMP WITH TIME ZONE": pl.Datetime("us", "UTC"),
}
ADDED_BY_THE_SYNC = {"source", "synced_at"}


@pytest.fixture(scope="module")
def ddl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, DuckDB type)] of a warehouse built by every migration."""
    db: Path = tmp_path_factory.mktemp("schema") / "w.duckdb"
    with Warehouse(db) as wh:
        wh.migrate()
        rows = wh.rows(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns WHERE table_catalog = current_database() "
            "ORDER BY table_schema, table_name, ordinal_position"
        )
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        name = table if schema == "main" else f"{schema}.{table}"
        out.setdefault(name, []).append((column, dtype))
    return out


def test_public_schema_holds_the_contract_and_nothing_else(ddl):
    public = {t for t in ddl if "." not in t}
    assert public == set(CONTRACT)


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_polars_schemas_match_the_ddl(ddl, table):
    want = [(c, DTYPES[t]) for c, t in ddl[table]]
    assert list(CONTRACT[table].items()) == want


def _keys(record: type) -> set[str]:
    return set(get_type_hints(record))


def _columns(ddl: dict[str, list[tuple[str, str]]], table: str) -> set[str]:
    return {c for c, _ in ddl[table]}


def test_source_records_name_the_contract_columns(ddl):
    """What a record carries = the table's columns, minus what the sync adds, plus the few
    fields only the sync reads (named here, so a new one is a decision, not an accident)."""
    assert _keys(base.ProjectRecord) == _columns(ddl, "projects") - ADDED_BY_THE_SYNC
    run_only = {"project_id", "has_profile", "change_marker", "cursor"}
    assert _keys(base.RunRecord) - run_only == _columns(ddl, "runs") - ADDED_BY_THE_SYNC - {
        "deleted_at"  # set by the sync when a run disappears
    }
    # "class" is a keyword: records call it klass.
    summary = _columns(ddl, "summaries") - ADDED_BY_THE_SYNC
    assert _keys(base.SummaryRecord) == summary | {"klass"}
    keys = _columns(ddl, "metric_keys") - ADDED_BY_THE_SYNC - {"class"}
    bookmarks = {"complete", "last_step", "points"}  # written by the sync, not the source
    assert _keys(base.MetricKeyRecord) == keys - bookmarks | {"klass"}
    assert _keys(base.LogRecord) == _columns(ddl, "logs") - ADDED_BY_THE_SYNC
    # path: the local copy the sync writes.
    assert _keys(base.MediaRecord) == _columns(ddl, "media") - ADDED_BY_THE_SYNC - {"path"}


def test_the_metric_keys_view_shows_the_series_table(ddl):
    """metric_keys is the series table without the internal generation id."""
    assert ddl["metric_keys"] == [c for c in ddl["_swansync.series"] if c[0] != "series_id"]


@pytest.mark.parametrize(
    ("table", "schema"),
    [("_swansync.series", transform.SERIES_SCHEMA), ("_swansync.points", transform.POINTS_SCHEMA)],
)
def test_internal_point_storage_matches_the_polars_schemas(ddl, table, schema):
    """The frames the workers build are appended as they are: same columns, same types."""
    want = [(c, DTYPES[t]) for c, t in ddl[table]]
    assert list(schema.items()) == want


def test_metrics_is_a_view_of_the_narrow_points(ddl, tmp_path):
    """`metrics` keeps the contract's columns, read through the series dimension."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        kinds = dict(
            wh.rows(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'main'"
            )
        )
    assert kinds["metrics"] == kinds["metric_keys"] == "VIEW"


def test_simulator_truth_names_only_contract_columns(ddl):
    """The oracle keeps its own column lists (it shares no code with swansync); they must
    still be contract columns, so a renamed column cannot slip past the e2e comparison."""
    truth = build_world("demo", seed=0).truth()
    assert set(truth) == set(CONTRACT)
    for table, cols in truth.items():
        extra = set(cols) - _columns(ddl, table) - {"deleted"}  # runs: deleted_at IS NOT NULL
        assert not extra, (table, extra)


def test_the_comparator_checks_contract_columns(ddl):
    for table, cols in compare.COMPARED.items():
        assert set(cols) <= _columns(ddl, table) | {"deleted"}, table
