"""SwanLabSource.logs against the simulated cloud: pages of DEBUG lines starting where the
bookmark is, gaps in the counters, exports for long consoles and their fallbacks, consoles
that grow while they are read, and broken bytes that cost one line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from swansync.sources.base import LOG_CUT_MARKER, LogRecord, ProjectRecord, RunRecord
from swansync.sources.swanlab.cloud import logs as cloud_logs
from swansync.sources.swanlab.cloud.source import SwanLabSource
from tests.support.sources import resolve_all
from trackersim.swanlab import Faults, SimServer, World, build_world
from trackersim.swanlab.truth import rows

PAGE_ROUTE = "GET /api/house/metrics/log"
EXPORT_ROUTE = "POST /api/house/metrics/log/export"


@pytest.fixture
def world() -> World:
    return build_world("small", seed=0)


@pytest.fixture
def sim(world: World) -> Iterator[SimServer]:
    with SimServer(world, port=0) as sim:
        yield sim


def source(sim: SimServer) -> SwanLabSource:
    return SwanLabSource(sim.url, sim.api_key, backoff=0.001, retries=4)


def find(src: SwanLabSource, project: str, run_id: str) -> tuple[ProjectRecord, RunRecord]:
    (proj,) = resolve_all(src, [project])
    for item in src.list_runs(proj):
        if isinstance(item, dict) and item["run_id"] == run_id:
            return proj, item
    raise AssertionError(f"run {run_id} not listed")


def truth_lines(world: World, run_id: str) -> list[tuple[Any, ...]]:
    return [
        (r["seq"], r["ts"], r["level"], r["stream"], r["text"], r["tag"])
        for r in rows(world.truth(metrics=False)["logs"])
        if r["run_id"] == run_id
    ]


def got(lines: list[LogRecord]) -> list[tuple[Any, ...]]:
    return [
        (ln["seq"], ln["ts"], ln["level"], ln["stream"], ln["text"], ln.get("tag")) for ln in lines
    ]


def requests(sim: SimServer, route: str) -> int:
    return sim.counters.requests(route)


def new_run(world: World, **spec: Any) -> str:
    spec.setdefault("keys", ("loss",))
    spec.setdefault("log_every", 0)
    return world.add_run("alice/consoles", **spec)


def test_every_line_of_a_hostile_console_arrives_repaired_once(
    world: World, sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    world.options.update({"log_append_on_read": 0})
    caplog.set_level(logging.DEBUG, logger="swansync.sources.console")
    src = source(sim)
    long_run = next(r for r in world.runs("alice/hostile.v2+x_-") if world.run(r).log_long)
    sink = next(r for r in world.runs("alice/quirks") if world.run(r).name == "kitchen-sink")
    read: dict[str, list[LogRecord]] = {}
    for project, run_id in (("alice/hostile.v2+x_-", long_run), ("alice/quirks", sink)):
        proj, run = find(src, project, run_id)
        read[run_id] = list(src.logs(proj, run, None))
        assert got(read[run_id]) == truth_lines(world, run_id)
    assert "DEBUG" in {ln["level"] for ln in read[sink]}  # the lowest level was asked for
    long = next(ln for ln in read[long_run] if ln["seq"] == 3)
    assert long["text"].endswith(LOG_CUT_MARKER.format(total=1_500_000))
    broken = [ln["seq"] for ln in read[sink] if "\ufffd" in ln["text"]]
    assert broken  # kitchen-sink prints invalid UTF-8
    # One warning counts them (a hostile console repairs lines in every run); the debug log
    # names each line once.
    bad = [ln for lines in read.values() for ln in lines if "\ufffd" in ln["text"]]
    (warned,) = src.warnings()
    assert warned.startswith(f"console: {len(bad) + 1} line(s) repaired in 2 run(s) (")
    assert f"{len(bad)} invalid UTF-8 replaced, 1 cut at 1 MiB)" in warned
    said = [r.getMessage() for r in caplog.records if r.name == "swansync.sources.console"]
    assert sum("longer than 1 MiB" in m for m in said) == 1
    assert sorted(int(m.split()[2]) for m in said if f"{sink!r}" in m) == broken
    assert src.warnings() == []  # counted per pull


@pytest.mark.parametrize("total", [999, 1000, 1001, 2000, 2345])
def test_a_console_with_nothing_new_costs_one_request(sim: SimServer, total: int) -> None:
    run_id = new_run(sim.world, log_fixed=total, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    assert [ln["seq"] for ln in src.logs(proj, run, None)] == list(range(1, total + 1))
    before = requests(sim, PAGE_ROUTE)
    assert list(src.logs(proj, run, total)) == []
    assert requests(sim, PAGE_ROUTE) - before == 1
    # a few new lines: one request per page they touch, starting at the bookmark's page
    sim.world.run(run_id).log_extra += 3
    before = requests(sim, PAGE_ROUTE)
    assert [ln["seq"] for ln in src.logs(proj, run, total)] == [total + 1, total + 2, total + 3]
    pages = (total + 2) // 1000 - (total - 1) // 1000 + 1
    assert requests(sim, PAGE_ROUTE) - before == pages


def test_lines_at_or_below_the_bookmark_are_counted_not_decoded(
    sim: SimServer, monkeypatch: Any
) -> None:
    """A running run's no-op pull re-reads the page its bookmark is on: the lines it already
    holds cost their counter, not a decoded record (a no-op read 500 lines per running run)."""
    run_id = new_run(sim.world, log_fixed=1700, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    decoded: list[int] = []
    real = cloud_logs.ConsoleReader._line

    def counting(self: Any, obj: dict[str, Any], seq: int) -> Any:
        decoded.append(seq)
        return real(self, obj, seq)

    monkeypatch.setattr(cloud_logs.ConsoleReader, "_line", counting)
    assert list(src.logs(proj, run, 1700)) == []
    assert decoded == []
    sim.world.run(run_id).log_extra += 2
    assert [ln["seq"] for ln in src.logs(proj, run, 1699)] == [1700, 1701, 1702]
    assert decoded == [1700, 1701, 1702]


def test_gaps_in_the_counters_cost_requests_never_lines(sim: SimServer) -> None:
    run_id = new_run(sim.world, log_fixed=4500, log_gaps=7, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    want = truth_lines(sim.world, run_id)
    assert want[-1][0] > 4500  # the counters really skip
    for after in (None, 10, 1141, 2999, 4000, want[-2][0], want[-1][0]):
        before = requests(sim, PAGE_ROUTE)
        lines = list(src.logs(proj, run, after))
        assert got(lines) == [w for w in want if after is None or w[0] > after]
        assert requests(sim, PAGE_ROUTE) - before <= 8  # bisection, not a scan


def test_long_consoles_come_through_exports_exactly(sim: SimServer, monkeypatch: Any) -> None:
    monkeypatch.setattr(cloud_logs, "EXPORT_ROWS", 9_000)  # several exports, one partial
    run_id = new_run(sim.world, log_fixed=30_250, log_width=80, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    lines = list(src.logs(proj, run, None))
    assert got(lines) == truth_lines(sim.world, run_id)
    assert requests(sim, EXPORT_ROUTE) == 4  # 29,250 rows after the first page
    pages = requests(sim, PAGE_ROUTE)
    assert pages <= 1 + 4 + 1  # the first, one at each export's end, one to see the end
    # from a bookmark in the middle: exports again, only what is new
    assert got(list(src.logs(proj, run, 10_000))) == truth_lines(sim.world, run_id)[10_000:]


def test_counters_with_gaps_are_never_exported(sim: SimServer) -> None:
    run_id = new_run(sim.world, log_fixed=25_000, log_gaps=1000, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    assert got(list(src.logs(proj, run, None))) == truth_lines(sim.world, run_id)
    assert requests(sim, EXPORT_ROUTE) == 0


def test_a_broken_export_falls_back_to_pages(sim: SimServer) -> None:
    run_id = new_run(sim.world, log_fixed=24_000, log_width=60, state="FINISHED", ticks=5)
    sim.faults = Faults(routes=["GET /_files/"], rate_reset_body=1.0)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    assert got(list(src.logs(proj, run, None))) == truth_lines(sim.world, run_id)
    assert requests(sim, EXPORT_ROUTE) >= 1


def test_an_export_in_an_unknown_format_falls_back_to_pages(
    sim: SimServer, monkeypatch: Any
) -> None:
    from trackersim.swanlab import console

    monkeypatch.setattr(console, "export_block", lambda run, a, b: b"no timestamp here\n" * (b - a))
    run_id = new_run(sim.world, log_fixed=21_000, log_width=60, state="FINISHED", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    assert got(list(src.logs(proj, run, None))) == truth_lines(sim.world, run_id)


def test_a_console_growing_while_it_is_read_is_read_to_its_last_count(
    world: World, sim: SimServer
) -> None:
    assert world.options.log_append_on_read > 0  # on in hostile worlds
    run_id = new_run(world, log_fixed=2_500, state="RUNNING", ticks=5)
    src = source(sim)
    proj, run = find(src, "alice/consoles", run_id)
    lines = list(src.logs(proj, run, None))
    assert [ln["seq"] for ln in lines] == list(range(1, len(lines) + 1))
    assert len(lines) > 2_500
    rest = list(src.logs(proj, run, lines[-1]["seq"]))
    assert [ln["seq"] for ln in rest] == list(range(len(lines) + 1, len(lines) + 1 + len(rest)))
