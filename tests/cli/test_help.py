"""Help text and start-up: every command's help reads as written, and `--help` loads nothing
heavy (the import check is structural; the timing is in bench/startup.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import swansync
from swansync.cli import app
from tests.cli.test_cli import COMMANDS, ROOT

# typer's stand-ins for a value's type (<bool>, <int>, <path>, <list[str]>, ...) instead of a
# name the user understands (N, PATH, WS/PROJ); flags take no value and show none.
TYPE_PLACEHOLDER = re.compile(r"<[a-z_]+(\[[^\]]*\])?>")
# pydantic: typer 0.29 builds a pydantic adapter per option, +0.2 s on every command (issue 15).
HEAVY = ("polars", "duckdb", "requests", "pyarrow", "apscheduler", "yaml", "trackersim", "pydantic")


@pytest.mark.parametrize("command", [[], *COMMANDS, ["views"], ["sim"]], ids=" ".join)
def test_help_shows_names_not_types_and_no_markup_is_eaten(command):
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    text = result.output
    assert not TYPE_PLACEHOLDER.search(text), TYPE_PLACEHOLDER.findall(text)
    assert "[]" not in text  # what rich markup leaves of "[[jobs]]" or "[bold]"
    assert "╭" not in text  # plain text: no 80-column box around it


def test_schedule_help_names_the_jobs_table():
    result = CliRunner().invoke(app, ["schedule", "--help"])
    assert "[[jobs]]" in result.output


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"swansync {swansync.__version__}"


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    ).stdout.split()
    return sorted(
        {m.split(".")[0] for m in out if m.split(".")[0] in HEAVY}
        | {m for m in out if m in ("rich.table", "rich.progress")}
    )


def test_importing_the_cli_loads_no_heavy_library():
    assert _loaded_after("import swansync.cli") == []


def test_help_and_version_load_no_heavy_library():
    run = "import sys\nfrom swansync.cli import main\nsys.argv = ['swansync', '{}']\ntry:\n"
    run += "    main()\nexcept SystemExit:\n    pass"
    for flag in ("--help", "--version"):
        assert _loaded_after(run.format(flag)) == [], flag


def test_parsing_a_command_line_loads_no_heavy_library():
    run = "import sys\nfrom swansync.cli import main\nsys.argv = ['swansync', 'pull', '--help']"
    run += "\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert _loaded_after(run) == []


def test_the_library_api_loads_on_first_use():
    assert _loaded_after("import swansync") == []
    assert "polars" in _loaded_after("import swansync\nswansync.pull")


def test_the_command_answers_version_without_loading_the_cli():
    """`swansync --version` (the console script's entry) never imports typer or rich."""
    run = "import sys\nsys.argv = ['swansync', '--version']\nfrom swansync.__main__ import main\n"
    run += "main()\nprint(' '.join(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich')))"
    out = subprocess.run(
        [sys.executable, "-c", run], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    assert out[0] == f"swansync {swansync.__version__}"
    assert out[1:] in ([], [""])


def test_a_json_pull_loads_no_console_library(tmp_path):
    """``pull --json`` (what scripts and schedulers run) prints no bars and no rich text: it
    does not pay for importing rich's console and progress modules (issue 15)."""
    from trackersim.swanlab import SimServer, build_world

    with SimServer(build_world("demo", seed=1), port=0) as sim:
        run = (
            "import sys\nfrom swansync.cli import main\n"
            f"sys.argv = ['swansync', 'pull', '--project', {sim.world.projects()[0]!r}, "
            f"'--host', {sim.url!r}, '--db', {str(tmp_path / 'w.duckdb')!r}, '--json']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(' '.join(sorted(sys.modules)))"
        )
        out = subprocess.run(
            [sys.executable, "-c", run],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env={**os.environ, "SWANLAB_API_KEY": sim.api_key, "HOME": str(tmp_path)},
        )
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = out.stdout.split()[-1:] and out.stdout.splitlines()[-1].split()
    assert "rich.console" not in loaded and "rich.progress" not in loaded
