"""Bad input gets one line and costs only itself: a wrong key (exit 2), an unknown project or
entity (that target fails, the rest lands), a malformed run object (that run is rejected)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import swansync
from swansync.config import Secret
from swansync.errors import AuthError
from trackersim.wandb import SimServer, World, build_world

from .compare import compare
from .conftest import SOURCE, settings
from .expected import expected

ROOT = Path(__file__).resolve().parents[2]
WRONG = "local-" + "w" * 40


def cli(*args: str, env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "SWANSYNC_"))}
    clean.update(env, HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "swansync", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def test_a_wrong_key_is_exit_2_with_one_line_and_no_key(sim: SimServer, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    args = ("-vv", "pull", "--db", str(db), "--wandb", "alice/quirks", "--wandb-host", sim.url)
    for how in ("flag", "env"):
        extra = ("--wandb-api-key", WRONG) if how == "flag" else ()
        env = {"WANDB_API_KEY": WRONG} if how == "env" else {}
        done = cli(*args, *extra, env=env, home=tmp_path)
        assert done.returncode == 2, (how, done.stdout, done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
        assert len(errors) == 1, done.stderr
        assert "refused the API key (HTTP 401)" in errors[0]
        assert WRONG not in done.stdout + done.stderr
        assert sim.api_key not in done.stdout + done.stderr


def test_the_netrc_key_of_the_host_is_used(sim: SimServer, tmp_path: Path) -> None:
    host = sim.url.split("//", 1)[1]
    netrc = tmp_path / ".netrc"
    netrc.write_text(
        f"machine api.wandb.ai\n  login user\n  password {WRONG}\n"
        f"machine {host}\n  login user\n  password {sim.api_key}\n"
    )
    netrc.chmod(0o600)
    db = tmp_path / "wh.duckdb"
    done = cli(
        "pull", "--db", str(db), "--wandb", "alice/empty",
        env={"WANDB_BASE_URL": sim.url}, home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sim.api_key not in done.stdout + done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT project FROM projects").fetchall() == [("alice/empty",)]


def test_a_wrong_key_stops_the_library_pull(sim: SimServer, db: Path) -> None:
    with pytest.raises(AuthError) as e:
        swansync.pull(settings(sim, db, ("alice/quirks",), api_key=Secret(WRONG)))
    assert WRONG not in str(e.value) and "\n" not in str(e.value)


def test_an_unknown_project_or_entity_fails_alone(sim: SimServer, world: World, db: Path) -> None:
    summary = swansync.pull(
        settings(sim, db, ("alice/quirks", "alice/nope"), entities=("ghost", "vision-lab"))
    )
    assert summary.status == "partial"
    failed = {f.target: f.reason for f in summary.failures}
    assert set(failed) == {"alice/nope", "entity:ghost"}
    assert "W&B project 'alice/nope' not found" in failed["alice/nope"]
    assert "W&B entity 'ghost' not found" in failed["entity:ghost"]
    assert all("\n" not in r for r in failed.values())
    want = expected(world.truth(), sim.url, projects={"alice/quirks", "vision-lab/detr"})
    assert compare(db, want, SOURCE) == []


def test_only_unknown_targets_is_exit_2(sim: SimServer, tmp_path: Path) -> None:
    done = cli(
        "pull", "--db", str(tmp_path / "wh.duckdb"), "--wandb", "alice/nope",
        "--wandb-host", sim.url, env={"WANDB_API_KEY": sim.api_key}, home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "W&B project 'alice/nope' not found" in done.stderr
    assert sim.api_key not in done.stdout + done.stderr


def test_a_malformed_run_is_rejected_and_the_rest_lands(
    sim: SimServer, world: World, db: Path
) -> None:
    want = expected(world.truth(), sim.url, projects={"alice/quirks"})
    bad = world.run(world.runs("alice/quirks")[1])
    keep = {r for r in want["runs"]["run_id"] if r != bad.name}
    bad.config = ["not", "an", "object"]  # type: ignore[assignment]
    summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
    assert summary.status == "partial"
    (failure,) = summary.failures
    assert (failure.run_id, failure.reason) == (
        bad.name,
        f"run {bad.name!r}: config is not an object",
    )
    bad.config = {}
    want = expected(world.truth(), sim.url, projects={"alice/quirks"}, runs=keep)
    want["projects"]["run_count"] = [len(keep) + 1]
    assert compare(db, want, SOURCE) == []


def test_a_run_that_always_fails_costs_only_itself(sim: SimServer, world: World, db: Path) -> None:
    broken = world.runs("alice/quirks")[0]
    sim.faults.fail_runs = {broken: 500}
    summary = swansync.pull(settings(sim, db, ("alice/quirks",), retries=1))
    assert summary.status == "partial"
    assert {f.run_id for f in summary.failures} == {broken}
    assert all("HTTP 500" in f.reason for f in summary.failures)
    sim.faults.fail_runs = {}
    summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
    assert summary.status == "ok"
    assert compare(db, expected(world.truth(), sim.url, projects={"alice/quirks"}), SOURCE) == []


def test_https_to_a_plain_http_server_says_so() -> None:
    """A W&B host given as https (or without a scheme) that speaks plain http: one line that
    names the http:// URL to give instead."""
    from swansync.errors import FatalApiError
    from swansync.sources.wandb.cloud.client import GraphQLClient

    with SimServer(build_world("small", seed=0), port=0) as sim:
        https = sim.url.replace("http://", "https://")
        client = GraphQLClient(https, "k" * 40, retries=1, backoff=0.01, timeout=10)
        with pytest.raises(FatalApiError) as e:
            client.query("Viewer", "query Viewer { viewer { id } }", {}, what="who am I")
    text = str(e.value)
    assert "plain http" in text and sim.url in text and "\n" not in text, text
