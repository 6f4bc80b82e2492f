"""BI connectivity without Docker: SQLAlchemy + duckdb-engine (what Superset uses) reading the
serving copy read-only while scheduled pulls keep replacing it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool, QueuePool

from .helpers import (
    Daemon,
    GrowingPull,
    assert_ok_until_stopped,
    fast,
    job,
    make_ledger,
    settings,
    wait_for,
)

QUERY = sa.text("SELECT (SELECT sync_id FROM _swansync_snapshot), (SELECT sum(n) FROM v_points)")


@pytest.fixture
def scheduled(tmp_path):
    """A serving copy, with scheduled pulls replacing it in the background."""
    serving = tmp_path / "serving.duckdb"
    s = settings(tmp_path, job("proj"), serving=serving)
    make_ledger(s.db)
    pulls = GrowingPull()
    assert pulls(s).status == "ok"
    with Daemon(s, pulls, fast(0.05)) as d:
        yield serving, pulls, d.outcomes
    assert_ok_until_stopped(d.outcomes)


def url(serving) -> str:
    return f"duckdb:///{serving}?access_mode=read_only"


@pytest.mark.slow
def test_nullpool_engine_reads_views_with_no_errors_and_follows_new_copies(scheduled):
    serving, pulls, outcomes = scheduled
    engine = sa.create_engine(url(serving), poolclass=NullPool)
    seen: list[tuple[int, int]] = []
    errors: list[str] = []
    start = len(outcomes)
    while len(outcomes) < start + 10:
        try:
            with engine.connect() as con:
                row = con.execute(QUERY).one()
            seen.append((int(row[0]), int(row[1])))
        except sa.exc.SQLAlchemyError as e:
            errors.append(str(e))
    engine.dispose()
    assert errors == []
    for sync_id, rows in seen:
        assert pulls.expected[sync_id] == rows
    ids = [sid for sid, _ in seen]
    assert ids == sorted(ids)  # each new connection sees the newest copy, never an older one
    assert len(set(ids)) >= 3


@pytest.mark.slow
def test_pooled_connection_keeps_a_consistent_copy_until_recycled(scheduled):
    serving, pulls, _ = scheduled
    engine = sa.create_engine(
        url(serving), poolclass=QueuePool, pool_size=1, max_overflow=0, pool_pre_ping=True
    )
    with engine.connect() as con:
        first = tuple(con.execute(QUERY).one())
    assert pulls.expected[first[0]] == first[1]
    wait_for(lambda: max(pulls.expected) > first[0] + 2, what="newer copies")
    # The pooled connection still holds the copy it opened: older, but complete and error-free.
    with engine.connect() as con:
        assert tuple(con.execute(QUERY).one()) == first
        with pytest.raises(sa.exc.SQLAlchemyError, match="read-only"):
            con.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
    engine.dispose()  # what pool_recycle does for old connections
    with engine.connect() as con:
        newer = tuple(con.execute(QUERY).one())
    engine.dispose()
    assert newer[0] > first[0]
    assert pulls.expected[newer[0]] == newer[1]
