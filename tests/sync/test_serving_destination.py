"""The serving path is checked before a pull writes anything: swansync replaces only its own
serving copies, never the warehouse itself, a text file or another application's database; and
a serving copy is never taken for a warehouse to pull into."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from swansync.errors import ConfigError
from swansync.status import warehouse_status
from swansync.sync import pull
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world


@pytest.fixture(scope="module")
def sim():
    with SimServer(build_world("demo", seed=5), port=0) as server:
        yield server


def test_another_applications_database_is_not_replaced(tmp_path, sim):
    precious = tmp_path / "precious.duckdb"
    with duckdb.connect(str(precious)) as con:
        con.execute("CREATE TABLE customers AS SELECT 42 AS id")
    db = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError, match=r"not a swansync serving copy .*customers"):
        pull(sim_settings(sim, db, serving=precious))
    with duckdb.connect(str(precious), read_only=True) as con:
        assert con.execute("SELECT * FROM customers").fetchall() == [(42,)]
    assert not db.exists(), "refused before the warehouse was created"


def test_a_text_file_is_not_replaced(tmp_path, sim):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n")
    with pytest.raises(ConfigError, match="not a swansync serving copy"):
        pull(sim_settings(sim, tmp_path / "w.duckdb", serving=notes))
    assert notes.read_text() == "my notes, not a database\n"


def test_the_warehouse_is_not_its_own_serving_copy(tmp_path, sim):
    db = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError, match="is the warehouse itself"):
        pull(sim_settings(sim, db, serving=tmp_path / "." / "w.duckdb"))
    assert not db.exists()


def test_a_serving_copy_is_not_a_warehouse_to_pull_into(tmp_path, sim):
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    assert pull(sim_settings(sim, db, serving=serving)).status == "ok"
    before = serving.read_bytes()
    with pytest.raises(ConfigError, match="is a serving copy"):
        pull(sim_settings(sim, serving))
    assert serving.read_bytes() == before
    # reading it stays fine (status and query open it read-only)
    assert warehouse_status(serving)["projects"]


def test_status_counts_metric_points_only(tmp_path, sim):
    db = tmp_path / "w.duckdb"
    assert pull(sim_settings(sim, db)).status == "ok"
    info = warehouse_status(db)
    with duckdb.connect(str(db), read_only=True) as con:
        media = con.execute("SELECT count(*) FROM metric_keys WHERE kind = 'MEDIA'").fetchall()
        per_project = dict(
            con.execute("SELECT project, count(*) FROM metrics GROUP BY ALL").fetchall()
        )
    assert media[0][0] > 0, "the world has media keys: the test can fail"
    assert {p["project"]: p["points"] for p in info["projects"]} == per_project


def test_a_pull_opens_the_warehouse_once(tmp_path, sim, monkeypatch):
    """The serving path's check reads the warehouse's record of its publications on the pull's
    own connection: no second open of the warehouse (nor of a copy the record names) per pull."""
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    assert pull(sim_settings(sim, db, serving=serving)).status == "ok"
    opened: list[str] = []
    real = duckdb.connect

    def connect(database: Any = ":memory:", *args: Any, **kw: Any) -> Any:
        opened.append(str(database))
        return real(database, *args, **kw)

    monkeypatch.setattr(duckdb, "connect", connect)
    assert pull(sim_settings(sim, db, serving=serving)).status == "ok"
    assert [p for p in opened if p in (str(db), str(serving))] == [str(db)]
