"""Contract tests: the REAL swanlab 0.10.3 SDK reads the simulated cloud and gets the truth.

One driver subprocess per scenario reads everything the SDK can list (workspaces, all project
pages, both run listings, every run's profile, CUSTOM/SYSTEM/MEDIA keys, full series through the
CSV export, summaries); ``compare.compare_all`` then holds every value against
``world.truth()``. These tests are why the simulator can be trusted.

``small`` is a hostile world (odd names and keys, BOM/CRLF/quoted CSV, every number spelling,
unusual JSON). Where the real SDK misreads it, the misreading is a finding
(:mod:`tests.contract.findings`): recognised exactly, pinned, and set aside so that everything
else is still compared exactly.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.contract.compare import Report, compare_all
from tests.contract.findings import Findings, set_aside
from tests.contract.sdk_env import (
    DriverResult,
    run_driver,
)
from trackersim.swanlab import Faults, SimServer, World, build_world
from trackersim.swanlab.truth import rows

pytestmark = [pytest.mark.contract, pytest.mark.slow]


@dataclass
class Read:
    """One SDK read of a running simulator, with the truth taken right after it."""

    world: World
    sim: SimServer
    result: DriverResult
    truth: dict[str, dict[str, list[Any]]]
    sdk_python: Path


def sdk_read(sdk_python: Path, world: World, sim: SimServer, workdir: Path) -> Read:
    result = run_driver(sdk_python, sim.url, sim.api_key, workdir)
    assert result.data["auth"] == "ok", result.output[-2000:]
    noisy = [
        line
        for line in result.output.splitlines()
        if "[HTTP] retry" in line or "API Request Failed" in line or "Traceback" in line
    ]
    assert not noisy, "the SDK hit errors or retries:\n" + "\n".join(noisy[:20])
    return Read(world, sim, result, world.truth(), sdk_python)


def assert_matches(read: Read) -> tuple[Report, Findings]:
    """The SDK's read equals the truth once the known SDK findings are set aside."""
    dump, findings = set_aside(read.result.data, read.truth)
    assert not findings.unexplained, findings.unexplained
    report = compare_all(dump, read.truth, read.world.workspaces)
    assert not report.problems, report.summary()
    return report, findings


def _serve(name: str, sdk_python: Path, workdir: Path) -> Iterator[Read]:
    world = build_world(name, seed=0)
    with SimServer(world, port=0) as sim:
        yield sdk_read(sdk_python, world, sim, workdir)


@pytest.fixture(scope="module")
def demo_read(sdk_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Read]:
    yield from _serve("demo", sdk_python, tmp_path_factory.mktemp("sdk-demo"))


@pytest.fixture(scope="module")
def small_read(sdk_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Read]:
    yield from _serve("small", sdk_python, tmp_path_factory.mktemp("sdk-small"))


def _runs(truth: dict[str, dict[str, list[Any]]]) -> list[dict[str, Any]]:
    return [r for r in rows(truth["runs"]) if not r["deleted"]]


def _run_named(truth: dict[str, dict[str, list[Any]]], name: str, **where: Any) -> dict[str, Any]:
    found = [
        r for r in _runs(truth) if r["name"] == name and all(r[k] == v for k, v in where.items())
    ]
    assert found, f"the world has no run named {name!r} with {where}"
    return found[0]


def _sdk_run(read: Read, run_id: str) -> dict[str, Any]:
    return next(r for r in read.result.data["runs"] if r["ref"] == run_id)


# -- the worlds, read whole ---------------------------------------------------------------------
def test_demo_world_reads_exactly_as_truth(demo_read: Read) -> None:
    report, findings = assert_matches(demo_read)
    assert findings == Findings()  # a friendly world: nothing to set aside
    truth = demo_read.truth
    # Guard against an empty comparison passing vacuously.
    assert len(truth["metrics"]["step"]) > 1000
    assert any(c == "SYSTEM" for c in truth["metric_keys"]["class"])
    assert report.checked > len(_runs(truth)) * 10


def test_small_world_reads_exactly_as_truth(small_read: Read) -> None:
    report, _ = assert_matches(small_read)
    assert report.checked > 5000


def test_sdk_findings_on_the_hostile_world_are_pinned(small_read: Read) -> None:
    """Both findings still occur with swanlab 0.10.3 (if one stops, a newer SDK fixed it:
    update tests/contract/findings.py and the simulator's docstring)."""
    _, findings = assert_matches(small_read)
    assert findings.invented_points == 1
    points = len(small_read.truth["metrics"]["step"])
    # About a third of the cells are written as floats; each costs the SDK the timestamp.
    assert points / 5 < findings.dropped_timestamps < points * 4 / 5


def test_sdk_reads_the_hostile_names_keys_and_configs(small_read: Read) -> None:
    """The odd strings really went through the SDK (not only through the comparison)."""
    from trackersim.swanlab import hostile

    data = small_read.result.data
    path = f"alice/{hostile.PROJECT_NAME}"
    listed = {i["name"] for i in data["listed"][path]["paged"]}
    assert listed == set(hostile.RUN_NAMES)
    keys = {k for r in data["runs"] if r["project"] == path for k in r["keys"]["CUSTOM"]}
    assert set(hostile.KEYS) <= keys


def test_small_world_exercises_every_paging_path(small_read: Read) -> None:
    data, truth = small_read.result.data, small_read.truth
    # projects: more than one page of size 10 was walked
    assert len(data["projects"]) == len(truth["projects"]["project"]) > 10
    # runs: a project with > 100 runs came back whole from both listings (paged: 2 pages of 100)
    counts: dict[str, int] = {}
    for r in _runs(truth):
        counts[r["project"]] = counts.get(r["project"], 0) + 1
    big = max(counts, key=lambda p: counts[p])
    assert counts[big] > 100
    assert len(data["listed"][big]["paged"]) == len(data["listed"][big]["shows"]) == counts[big]


def test_small_world_run_with_more_than_16_keys_is_read_whole(small_read: Read) -> None:
    """The SDK exports 16 columns per CSV; a 20+ key run needs two exports, both complete."""
    truth = small_read.truth
    keys_per_run: dict[str, int] = {}
    for run_id, kind in zip(
        truth["metric_keys"]["run_id"], truth["metric_keys"]["kind"], strict=True
    ):
        if kind == "SCALAR":
            keys_per_run[run_id] = keys_per_run.get(run_id, 0) + 1
    wide = max(keys_per_run, key=lambda r: keys_per_run[r])
    assert keys_per_run[wide] > 16
    got = _sdk_run(small_read, wide)
    assert len(got["metrics"]) == keys_per_run[wide]
    want_points = sum(1 for r in truth["metrics"]["run_id"] if r == wide)
    assert sum(len(s) for s in got["metrics"].values()) == want_points
    # NaN and +/-inf survived the CSV (the comparison above checks them value by value)
    specials = [
        v
        for r, v in zip(truth["metrics"]["run_id"], truth["metrics"]["value"], strict=True)
        if r == wide and not math.isfinite(v)
    ]
    assert any(math.isnan(v) for v in specials) and math.inf in specials and -math.inf in specials


# -- time moves ---------------------------------------------------------------------------------
def test_small_world_after_time_moves(small_read: Read, tmp_path: Path) -> None:
    """Grow, finish, add a key, add runs (one in a new project), change a config, delete a run;
    a second SDK read must match the new truth. (Mutates the module's world: it runs last.)"""
    world, before = small_read.world, small_read.truth
    sink = _run_named(before, "kitchen-sink")
    started = _run_named(before, "just-started")
    finishing = next(
        r for r in _runs(before) if r["state"] == "RUNNING" and r["project"].endswith("mnist-sweep")
    )
    configured = _run_named(before, "sweep-010")
    doomed = _run_named(before, "sweep-011")
    assert sink["state"] == started["state"] == "RUNNING"

    world.grow(sink["run_id"], steps=50)
    world.finish(finishing["run_id"], "FINISHED")
    world.add_key(started["run_id"], "late/new-key")
    world.set_config(configured["run_id"], "optimizer.name", "sgd")
    world.delete_run(doomed["run_id"])
    added = world.add_run(project=finishing["project"])
    fresh = world.add_run(project="vision-lab/brand-new")

    after = sdk_read(small_read.sdk_python, world, small_read.sim, tmp_path)
    assert_matches(after)

    # The second read really saw time move (so the match above is not the old world again).
    first, second = _sdk_run(small_read, sink["run_id"]), _sdk_run(after, sink["run_id"])
    for key, old in first["metrics"].items():
        assert len(second["metrics"][key]) > len(old), key
    assert "late/new-key" in _sdk_run(after, started["run_id"])["keys"]["CUSTOM"]
    assert _sdk_run(after, finishing["run_id"])["detail"]["state"] == "FINISHED"
    cfg = _sdk_run(after, configured["run_id"])["detail"]["profile"]["config"]
    assert cfg["optimizer"]["value"]["name"] == "sgd"
    listed = after.result.data["listed"]
    assert doomed["run_id"] not in {i["run_id"] for i in listed[doomed["project"]]["shows"]}
    assert added in {i["run_id"] for i in listed[finishing["project"]]["paged"]}
    assert [i["run_id"] for i in listed["vision-lab/brand-new"]["shows"]] == [fresh]


# -- the simulator's other readings of the spec's open questions (section 11) -------------------
VARIANTS = {
    # U10 modern summaries, U1 login 201, no project_id in runs (SDK fetches the project), key
    # listing capped at 4 per page (SDK walks the cursor), U4 strict page sizes, U7, U8.
    "modern-summaries-paged-keys": {
        "summary_shape": "modern",
        "login_status": 201,
        "run_project_id": False,
        "keys_limit_max": 4,
        "strict_page_size": True,
        "run_updated_at": False,
        "shows_profile": "full",
        "list_profile": "full",
    },
    # U8 the other way round, U14 clones that also answer under their own ids; integer
    # timestamps only (so the SDK's first finding must vanish).
    "profiles-in-lists-lenient-clones-int-timestamps": {
        "shows_profile": "config",
        "list_profile": "none",
        "clone_strict": False,
        "csv_float_timestamps": False,
    },
}


@pytest.mark.parametrize("options", VARIANTS.values(), ids=VARIANTS.keys())
def test_small_world_variant_reads_exactly_as_truth(
    sdk_python: Path, tmp_path: Path, options: dict[str, Any]
) -> None:
    world = build_world("small", seed=0, **options)
    for name, value in options.items():
        assert getattr(world.options, name) == value
    with SimServer(world, port=0) as sim:
        read = sdk_read(sdk_python, world, sim, tmp_path)
        _, findings = assert_matches(read)
        if options.get("csv_float_timestamps", True) is False:
            assert findings.dropped_timestamps == 0
        if options.get("keys_limit_max", 2000) < 16:
            # the 27-key run needed several cursor pages to list its keys
            assert sim.counters.requests("POST /api/house/metrics/scalar/keys") > 2 * len(
                read.result.data["runs"]
            )


# -- byte-level faults on the CSV download (what the SDK makes of them: findings 3-5) -----------
@pytest.mark.parametrize("kind", ["html_200", "reset_body", "expired"])
def test_sdk_loses_whole_series_on_download_faults(
    sdk_python: Path, tmp_path: Path, kind: str
) -> None:
    """30 % of the CSV downloads meet one fault. The SDK never retries a download nor asks for a
    fresh link: each faulted export comes back as empty series (``metrics(all=True)`` still
    "succeeds"). A reset or an expired link is at least logged; an HTML page with status 200 is
    parsed as a CSV without a single data row, so those series vanish without a word."""
    world = build_world("demo", seed=0)
    with SimServer(world, port=0) as sim:
        sim.faults = Faults.from_dict({"classes": {"download": {f"rate_{kind}": 0.3}}, "seed": 3})
        result = run_driver(sdk_python, sim.url, sim.api_key, tmp_path)
        injected = sim.faults.injected[kind]
    assert injected > 0
    dump, _ = set_aside(result.data, world.truth())
    report = compare_all(dump, world.truth(), world.workspaces)
    lost = [p for p in report.problems if "SDK read 0 points" in p]
    assert lost and lost == report.problems, report.summary()  # whole series, nothing else
    assert "[HTTP] retry" not in result.output
    logged = "Failed to download CSV" in result.output or "ERROR" in result.output
    assert logged is (kind != "html_200")


# -- authentication -----------------------------------------------------------------------------
def test_wrong_api_key_is_an_auth_failure(demo_read: Read, tmp_path: Path) -> None:
    sim = demo_read.sim
    good = run_driver(demo_read.sdk_python, sim.url, sim.api_key, tmp_path, mode="auth")
    assert good.data["auth"] == "ok" and good.data["username"] == sim.username

    wrong = sim.api_key[::-1] if sim.api_key[::-1] != sim.api_key else "x" * len(sim.api_key)
    sim.counters.reset()
    bad = run_driver(demo_read.sdk_python, sim.url, wrong, tmp_path, mode="auth")
    assert bad.data["auth"] == "failed", bad.data
    assert bad.data["error_type"] == "AuthenticationError"
    assert "API key" in bad.data["message"]
    logins = sim.counters.requests("POST /api/login/api_key")
    assert logins >= 1 and sim.counters.requests() == logins  # a 401 is not retried
    assert sim.api_key not in bad.output


# -- the comparison itself can fail -------------------------------------------------------------
def test_comparator_flags_a_wrong_truth(demo_read: Read) -> None:
    truth = copy.deepcopy(demo_read.truth)
    truth["metrics"]["value"][0] = truth["metrics"]["value"][0] + 1e-12
    truth["runs"]["config"][0] = {**truth["runs"]["config"][0], "extra": 1}
    truth["summaries"]["last_step"][0] += 1
    truth["metric_keys"]["key"][0] += "-renamed"
    truth["projects"]["description"][0] += "!"
    report = compare_all(demo_read.result.data, truth, demo_read.world.workspaces)
    text = "\n".join(report.problems)
    for fragment in ("first difference", " config:", "step/value", "keys:", "description"):
        assert fragment in text, f"comparator missed a {fragment!r} change:\n{report.summary()}"
