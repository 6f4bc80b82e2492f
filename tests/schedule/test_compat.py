"""The serving copy opens and answers queries under DuckDB 1.x (a separate venv)."""

from __future__ import annotations

import json
import subprocess

import pytest

from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource

from .helpers import REPO, make_ledger, settings

QUERIES = [
    "SELECT run_id, n, CAST(total AS VARCHAR) FROM v_points ORDER BY run_id",
    "SELECT count(*), count(DISTINCT run_id), CAST(sum(value) AS VARCHAR) FROM metrics",
    "SELECT run_id, key, last_step, points, complete FROM metric_keys ORDER BY ALL",
    "SELECT run_id, state, CAST(labels AS VARCHAR), config->>'$.lr', CAST(created_at AS VARCHAR) "
    "FROM runs ORDER BY run_id",
    "SELECT run_id, key, value_double, CAST(value AS VARCHAR) FROM run_config ORDER BY ALL",
    "SELECT count(*), max(step) FROM points_of('a')",
    "SELECT id, status, CAST(rows AS VARCHAR) FROM _swansync.sync_log ORDER BY id",
]


@pytest.mark.integration
def test_serving_copy_opens_and_answers_under_duckdb_1x(tmp_path, duckdb1_python):
    serving = tmp_path / "serving.duckdb"
    s = settings(tmp_path, serving=serving)
    make_ledger(s.db)
    source = FakeSource([FakeRun("a", ["loss", "acc"], 500), FakeRun("b", ["loss"], 70, "RUNNING")])
    source.runs["a"].config["labels"] = {"value": ["x", "y"], "desc": "", "sort": 1}
    assert pull(s, sources=[source]).status == "ok"
    source.runs["b"].grow(30)
    assert pull(s, sources=[source]).status == "ok"

    with Warehouse(s.db, read_only=True) as wh:
        wh.execute("SET TimeZone = 'UTC'")
        expected = [
            [[None if v is None else str(v) for v in row] for row in wh.rows(q)] for q in QUERIES
        ]
    assert expected[1][0][0] == str(len(source.truth_points()))

    proc = subprocess.run(
        [duckdb1_python, REPO / "tests/schedule/compat_check.py", serving, json.dumps(QUERIES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["duckdb"].startswith("1.")
    for query, want, have in zip(QUERIES, expected, got["results"], strict=True):
        assert have == want, query
    # The SQLAlchemy dialect BI tools use (duckdb-engine on DuckDB 1.x) reads the views too.
    assert got["sqlalchemy"] == expected[0]
