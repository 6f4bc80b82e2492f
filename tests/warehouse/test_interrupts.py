"""A Ctrl-C that lands while DuckDB runs a query reaches the caller as DuckDB's own error, not
as the KeyboardInterrupt the handler raised: :func:`swansync.warehouse.interrupted` tells it
apart from a failure (the pull records `interrupted`, not `failed`)."""

from __future__ import annotations

import duckdb
import pytest

from swansync.errors import WarehouseError
from swansync.warehouse import Warehouse, interrupted
from tests.support.interrupts import query_hit_by_ctrl_c


def test_a_ctrl_c_inside_a_query_is_an_interrupt(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(BaseException) as got:
            query_hit_by_ctrl_c(wh.con, tmp_path)
        assert interrupted(got.value), repr(got.value)
        assert wh.rows("SELECT 1") == [(1,)]  # the connection goes on (the pull logs with it)


def test_an_interrupted_connection_is_an_interrupt(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(BaseException) as got:
            query_hit_by_ctrl_c(wh.con, tmp_path, hit=wh.con.interrupt)
    assert isinstance(got.value, duckdb.InterruptException)
    assert interrupted(got.value)


def test_failures_are_not_interrupts():
    assert interrupted(KeyboardInterrupt())
    assert not interrupted(RuntimeError("something else"))
    assert not interrupted(duckdb.Error("Query interrupted"))
    assert not interrupted(WarehouseError("query failed"))
    assert not interrupted(ValueError("Query interrupted"))


def test_an_error_raised_while_an_interrupt_unwinds_is_an_interrupt():
    """A second Ctrl-C that lands inside a transaction: the rollback on the way out can fail
    too, and its error replaces the interrupt (which stays as its context). Seen once in a
    loaded full suite as sync_log status `failed` after a second SIGINT."""
    with pytest.raises(WarehouseError) as got:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise WarehouseError("cannot roll back: no transaction is active")  # noqa: B904
    assert interrupted(got.value)
    assert not interrupted(WarehouseError("cannot roll back: no transaction is active"))
