"""The provisioned dashboards in a real browser: every chart shows data, numbers agree with SQL on
the warehouse's serving copy, and a new serving copy shows on reload without restarting Superset.

Selected with `make bi-test` (pytest -m bi); skipped otherwise. Screenshots and the browser's
reports land in tests/bi/artifacts/ (gitignored).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from .conftest import ARTIFACTS, DEPLOY, SUPERSET_VENV, Sim, Superset, browse

# The first test also pays for the cold set-up (Superset environment, provisioning).
pytestmark = [pytest.mark.bi, pytest.mark.usefixtures("chromium"), pytest.mark.timeout(2400)]

DASHBOARDS = ["leaderboard", "curves", "seeds", "activity", "health", "config"]
SLUGS = [f"swansync-{name}" for name in DASHBOARDS]


def provision_module() -> ModuleType:
    """deploy/superset/provision.py, whose filter defaults decide what the dashboards open on."""
    spec = importlib.util.spec_from_file_location("provision", DEPLOY / "provision.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sql(serving: Path, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def chart(report: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
    found = [c for c in report[slug]["charts"] if c["name"] == name]
    assert len(found) == 1, f"{slug}: no single chart named {name!r}"
    only: dict[str, Any] = found[0]
    return only


def big_number(report: dict[str, Any], slug: str, name: str) -> int:
    text = chart(report, slug, name)["text"]
    numbers = re.findall(r"^\s*(\d+)\s*$", text, re.M)
    assert numbers, f"{slug}/{name} shows no number: {text!r}"
    return int(numbers[0])


@pytest.fixture(scope="module")
def first_view(superset: Superset, superset_python: Path) -> dict[str, Any]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    return browse(superset_python, superset, ARTIFACTS / "first", SLUGS)


def test_every_chart_of_every_dashboard_shows_data(first_view: dict[str, Any]) -> None:
    assert sorted(first_view) == sorted(SLUGS)
    bad = [
        f"{slug}: {c['name']} is {c['state']}: {c['text'][:200]!r}"
        for slug in SLUGS
        for c in first_view[slug]["charts"]
        if c["state"] != "ok"
    ]
    assert not bad, "\n".join(bad)
    for slug in SLUGS:
        assert first_view[slug]["charts"], f"{slug} has no charts"
        assert (ARTIFACTS / "first" / f"{slug}.png").stat().st_size > 10_000


def test_numbers_match_sql_on_the_serving_copy(first_view: dict[str, Any], sim: Sim) -> None:
    runs = sql(sim.serving, "SELECT count(*) FROM runs WHERE deleted_at IS NULL")[0][0]
    assert big_number(first_view, "swansync-activity", "Runs") == runs
    running = sql(sim.serving, "SELECT count(*) FROM run_overview WHERE running")[0][0]
    assert big_number(first_view, "swansync-health", "Running now") == running
    # The leaderboard opens on the metric provisioning picked; each project's rank-1 value is
    # the one leaderboard() computes.
    metric = provision_module().filter_defaults(sim.serving)["metric"]
    table = chart(first_view, "swansync-leaderboard", "Leaderboard: higher is better")["text"]
    projects = [p for (p,) in sql(sim.serving, "SELECT DISTINCT project FROM runs ORDER BY 1")]
    for project in projects:
        best = sql(
            sim.serving,
            "SELECT name, value FROM leaderboard(?, ?, goal := 'max', pick := 'best') "
            "WHERE rank = 1",
            [project, metric],
        )
        assert best, (project, metric)
        name, value = best[0]
        assert re.search(rf"{re.escape(name)}\s+\S+\s+{re.escape(repr(value))}", table), (
            project,
            name,
            value,
            table[:1000],
        )


def test_seed_group_mean_and_spread(first_view: dict[str, Any], sim: Sim) -> None:
    """The three runs differing only in `seed` form one group of 3 with the macro's mean."""
    metric = provision_module().filter_defaults(sim.serving)["metric"]
    project = provision_module().filter_defaults(sim.serving)["project"]
    rows = sql(
        sim.serving,
        "SELECT group_id, runs FROM seed_groups(?, ?) WHERE runs = 3",
        [project, metric],
    )
    assert len(rows) == 1, rows
    text = chart(first_view, "swansync-seeds", "Seeds: mean and spread per configuration")["text"]
    assert re.search(rf"{rows[0][0]}\s+3\s", text), text[:500]


def test_config_correlation_is_config_effects(first_view: dict[str, Any], sim: Sim) -> None:
    defaults = provision_module().filter_defaults(sim.serving)
    rows = sql(
        sim.serving,
        "SELECT DISTINCT corr FROM config_effect(?, ?, ?)",
        [defaults["project"], defaults["config_key"], defaults["metric"]],
    )
    assert len(rows) == 1 and rows[0][0] is not None, rows
    text = chart(first_view, "swansync-config", "Correlation (numeric keys)")["text"]
    assert f"{rows[0][0]:.3f}" in text, (rows, text)


def test_a_new_serving_copy_shows_on_reload_without_restart(
    first_view: dict[str, Any], superset: Superset, superset_python: Path, sim: Sim
) -> None:
    pid = superset.proc.pid
    before = sql(sim.serving, "SELECT sync_id FROM _swansync_snapshot")[0][0]
    runs_before = big_number(first_view, "swansync-activity", "Runs")
    running_before = big_number(first_view, "swansync-health", "Running now")
    # The simulated cloud grows: one more finished run and one more running run.
    sim.control("add_run", {"project": "vision-lab/detr-coco", "state": "FINISHED", "ticks": 30})
    sim.control("add_run", {"project": "vision-lab/detr-coco", "state": "RUNNING", "ticks": 10})
    sim.pull()
    assert sql(sim.serving, "SELECT sync_id FROM _swansync_snapshot")[0][0] > before
    after = browse(superset_python, superset, ARTIFACTS / "after-pull", SLUGS[3:5])
    runs = sql(sim.serving, "SELECT count(*) FROM runs WHERE deleted_at IS NULL")[0][0]
    assert runs == runs_before + 2
    assert big_number(after, "swansync-activity", "Runs") == runs
    assert big_number(after, "swansync-health", "Running now") == running_before + 1
    assert superset.proc.poll() is None and superset.proc.pid == pid, "Superset was restarted"


def provision(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUPERSET_VENV / "bin" / "python"), str(DEPLOY / "provision.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line(proc: subprocess.CompletedProcess[str], code: int, expected: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("case", "code", "expected"),
    [
        ("missing", 2, "no serving copy at"),
        ("relative", 2, "must be an absolute path"),
        ("warehouse", 2, "point SWANSYNC_SERVING at the serving copy"),
        ("not-duckdb", 2, "cannot be opened by DuckDB"),
        ("no-password", 2, "SUPERSET_ADMIN_PASSWORD not set"),
        ("placeholder", 2, "SUPERSET_ADMIN_PASSWORD: still the placeholder"),
    ],
)
def test_bad_set_up_ends_with_one_clear_line(
    case: str, code: int, expected: str, superset: Superset, sim: Sim, tmp_path: Path
) -> None:
    env = dict(superset.env)
    env["SUPERSET_HOME"] = str(tmp_path / "home")
    if case == "missing":
        env["SWANSYNC_SERVING"] = str(tmp_path / "nowhere" / "serving.duckdb")
    elif case == "relative":
        env["SWANSYNC_SERVING"] = "serving.duckdb"
    elif case == "warehouse":
        env["SWANSYNC_SERVING"] = str(sim.workdir / "warehouse.duckdb")
    elif case == "not-duckdb":
        env["SWANSYNC_SERVING"] = str(sim.config)
    elif case == "placeholder":
        env["SUPERSET_ADMIN_PASSWORD"] = "replace-with-a-password"
    else:
        del env["SUPERSET_ADMIN_PASSWORD"]
    one_line(provision(env), code, expected)
    assert not (tmp_path / "home" / "superset.db").exists(), "half-provisioned"


def test_superset_not_installable_ends_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    proc = subprocess.run(
        ["sh", str(DEPLOY / "install.sh"), str(tmp_path / "venv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    one_line(proc, 3, "bi-env: pip could not install Superset")
    assert not (tmp_path / "venv" / ".installed").exists()
