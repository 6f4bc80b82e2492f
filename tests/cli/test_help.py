"""Help text and start-up: every command's help reads as written, and `--help` loads nothing
heavy (the import check is structural; the timing is in bench/startup.py)."""

from __future__ import annotations

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
HEAVY = ("polars", "duckdb", "requests", "pyarrow", "apscheduler", "yaml", "trackersim")


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
