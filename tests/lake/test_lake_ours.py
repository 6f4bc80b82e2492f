"""A lake that holds another application's tables is refused, and a new lake migrated by
another worker a moment ago is not mistaken for one (the check reads one snapshot)."""

from __future__ import annotations

import pytest

from swansync.errors import ConfigError
from swansync.warehouse import open_warehouse

from .conftest import Lake


def test_a_lake_of_another_application_is_refused(lake: Lake) -> None:
    uri = "ducklake:postgres:" + lake.catalog
    with open_warehouse(uri, data_path=lake.data_path) as wh:
        wh.con.execute("CREATE TABLE lake.main.their_table (a INTEGER)")
    with (
        open_warehouse(uri, data_path=lake.data_path) as wh,
        pytest.raises(ConfigError, match=r"not a swansync warehouse \(it holds their_table"),
    ):
        wh.migrate()


def test_a_migrated_lake_is_ours(lake: Lake) -> None:
    uri = "ducklake:postgres:" + lake.catalog
    with open_warehouse(uri, data_path=lake.data_path) as wh:
        assert wh.migrate() == ["001_init"]
    with open_warehouse(uri, data_path=lake.data_path) as wh:
        wh.check_ours()
        assert wh.migrate() == []
