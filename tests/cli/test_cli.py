"""The command line: documented, helpful, exits with the right codes, never shows the key."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import swansync
from swansync.cli import app
from trackersim.swanlab import SimServer, build_world

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["pull"],
    ["status"],
    ["query"],
    ["views", "list"],
    ["views", "apply"],
    ["schedule"],
    ["lake", "maintain"],
    ["sim", "serve"],
    ["demo"],
]


def run_cli(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 300):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "swansync", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_is_documented_and_has_help(command):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"swansync {' '.join(command)}" in readme
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    # The docstring's first line is shown as the command's help.
    assert len(result.output.splitlines()) > 3


def test_public_api_matches_all():
    public = {n for n in dir(swansync) if not n.startswith("_")}  # names load on first use
    modules = {n for n in public if type(getattr(swansync, n)).__name__ == "module"}
    assert set(swansync.__all__) - {"__version__"} == public - modules
    for name in swansync.__all__:
        assert hasattr(swansync, name)


@pytest.fixture(scope="module")
def demo_sim():
    world = build_world("demo", seed=0)
    with SimServer(world, port=0) as sim:
        yield sim


@pytest.fixture(scope="module")
def pulled(demo_sim, tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "w.duckdb"
    projects = [a for p in demo_sim.world.projects() for a in ("--project", p)]
    result = run_cli(
        "-vv",
        "pull",
        "--host",
        demo_sim.url,
        "--db",
        str(db),
        "--json",
        *projects,
        env_extra={"SWANLAB_API_KEY": demo_sim.api_key},
    )
    return db, result


def test_pull_json_summary_and_no_key_anywhere(demo_sim, pulled):
    db, result = pulled
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["status"] == "ok"
    assert summary["rows"]["metrics"] > 0
    assert summary["requests"] > 0
    assert set(summary) >= {"rows", "requests", "bytes", "duration_s", "failures"}
    everything = result.stdout + result.stderr
    assert demo_sim.api_key not in everything  # -vv logs every request: still no key
    assert "sid=" not in everything
    status = run_cli("status", "--db", str(db), "--json")
    assert status.returncode == 0
    info = json.loads(status.stdout)
    assert info["pulls"][0]["status"] == "ok"
    assert {p["project"] for p in info["projects"]} == set(demo_sim.world.projects())
    # Every table a pull writes is counted, consoles and media too.
    for table, n in summary["rows"].items():
        if n:
            assert info["tables"][table] > 0, (table, info["tables"])


def test_wrong_key_exits_2_with_one_line(demo_sim, tmp_path):
    bad = "Z" * 21
    result = run_cli(
        "pull",
        "--host",
        demo_sim.url,
        "--db",
        str(tmp_path / "w.duckdb"),
        "--project",
        demo_sim.world.projects()[0],
        env_extra={"SWANLAB_API_KEY": bad},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert bad not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pull", "--project", "no-slash"], "WORKSPACE/PROJECT"),
        (["pull", "--workers", "0", "--project", "a/b"], "workers"),
        (["query", "SELECT 1", "--format", "xml"], "unknown --format"),
        (["status", "--db", "/no/such/dir/w.duckdb"], "does not exist"),
        (["pull", "--project", "a/b", "--config", "/no/such.toml"], "not found"),
        (["pull", "--project", "a/b", "--media", "downloads"], "media must be one of"),
        (["pull", "--project", "a/b", "--media-max-bytes", "12 apples"], "--media-max-bytes"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message, tmp_path):
    db = tmp_path / "x.duckdb"
    result = run_cli(*args) if "--db" in args else run_cli(*args, "--db", str(db))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not db.exists()  # nothing half-written


def test_query_formats(pulled, tmp_path):
    db, _ = pulled
    sql = "SELECT run_id, count(*) AS n FROM metrics GROUP BY run_id ORDER BY run_id"
    csv = run_cli("query", sql, "--db", str(db), "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    frame = pl.read_csv(csv.stdout.encode())
    assert frame.columns == ["run_id", "n"]
    assert frame["n"].sum() > 0
    js = run_cli("query", sql, "--db", str(db), "--format", "json")
    assert [r["n"] for r in json.loads(js.stdout)] == frame["n"].to_list()
    out = tmp_path / "x.parquet"
    pq = run_cli("query", sql, "--db", str(db), "--format", "parquet", "--output", str(out))
    assert pq.returncode == 0, pq.stderr
    assert pl.read_parquet(out).equals(frame)
    table = run_cli("query", "SELECT 42 AS answer", "--db", str(db))
    assert re.search(r"answer.*\n.*42", table.stdout, re.S)
    bad = run_cli("query", "SELEC nonsense", "--db", str(db))
    assert bad.returncode == 1
    assert "query failed" in bad.stderr


def test_views_list_names_every_sql_file():
    result = CliRunner().invoke(app, ["views", "list"])
    assert result.exit_code == 0
    names = [re.sub(r"^\d+_", "", p.stem) for p in sorted((ROOT / "sql" / "views").glob("*.sql"))]
    for name in names:
        assert name in result.output


def test_progress_bars_render_every_event():
    import io

    from rich.console import Console

    from swansync.cli.progress_bars import RichProgress

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    with RichProgress(console) as bar:
        bar("targets", projects=2, source="s")
        bar("phase", name="listing")
        bar("listed", project="a/b", runs=5)
        bar("project", project="a/b", runs=5, runs_to_fetch=3, points_expected=4000)
        for i in range(3):
            bar("fetched", project="a/b", run_id=str(i), points=1000, failed=False)
        bar("bytes", total=2_500_000)
        bar("writing", project="a/b", runs=3, points=3000)
        bar("logs", project="a/b", run_id="0", lines=10)
        bar("project_done", project="a/b")
    text = buf.getvalue()
    assert "3,000/~4,000" in text  # points against the estimate
    assert "3/3" in text  # runs
    assert "2.5 MB" in text  # bytes
    assert "1/2" in text  # projects
    assert "writing 3 runs (3,000 points)" in text  # the phase
