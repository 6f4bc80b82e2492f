"""What every command shares: the typer apps, the consoles, the common options, settings."""

from __future__ import annotations

import logging
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # heavy modules load inside the commands that use them: `--help` stays fast
    from rich.console import Console

    from swansync.config import Settings

# Help is plain text (rich_markup_mode=None): no markup to eat `[[jobs]]`, no rich import for
# `--help`, and it wraps to the terminal instead of a fixed 80-column box.
_TYPER: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}
app = typer.Typer(
    name="swansync",
    help="Mirror SwanLab and Weights & Biases experiments (cloud, self-hosted, local folders) "
    "into a DuckDB warehouse.",
    **_TYPER,
)
views_app = typer.Typer(help="SQL views for cross-run analysis.", **_TYPER)
sim_app = typer.Typer(
    help="The simulated SwanLab cloud (for demos, tests and dashboards).", **_TYPER
)
lake_app = typer.Typer(help="A DuckLake warehouse (PostgreSQL catalog, Parquet files).", **_TYPER)
app.add_typer(views_app, name="views")
app.add_typer(sim_app, name="sim")
app.add_typer(lake_app, name="lake")


@cache
def out_console() -> Console:
    from swansync.cli.output import OutConsole

    return OutConsole(soft_wrap=True)


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def say(text: str) -> None:
    """One line on stderr, printed as is (no markup, no highlighting)."""
    err_console().print(text, markup=False, highlight=False)


class _State:
    config: Path | None = None
    debug: bool = False
    verbose: int = 0


STATE = _State()

# Every option names its value (typer would print <str>, <path>, <list[str]>); flags take none.
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", metavar="FILE", help="TOML config file (default ./swansync.toml)."),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH|URI",
        help="Warehouse file, or a DuckLake lake ducklake:postgres:dbname=... host=... "
        "(default: $SWANSYNC_DB, config, ./swansync.duckdb).",
    ),
]
DataPathOpt = Annotated[
    str | None,
    typer.Option(
        "--data-path",
        metavar="PATH",
        help="A lake's data files: a folder or s3://bucket/prefix/ "
        "(default: $SWANSYNC_DATA_PATH, config).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", metavar="", help="Print a machine-readable JSON summary.")
]


def _version(value: bool) -> None:
    if value:
        from swansync import __version__

        print(f"swansync {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[
        int,
        typer.Option(
            "-v", "--verbose", count=True, metavar="", help="More log output (-vv: debug)."
        ),
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", metavar="", help="Show tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            is_eager=True,
            callback=_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    STATE.debug = debug
    STATE.verbose = verbose
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


# Path flags arrive as str: an empty value is refused here (Path("") would mean ".").
_PATH_FLAGS = {"db": "--db", "logdirs": "--logdir", "wandb_dir": "--wandb-dir"}


def settings_for(config: Path | None, **flags: Any) -> Settings:
    from swansync.config import load_settings
    from swansync.errors import ConfigError

    for key, flag in _PATH_FLAGS.items():
        value = flags.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if any(not str(v).strip() for v in values):
            raise ConfigError(f"{flag} is empty: give a path")
        paths = [Path(v) for v in values]
        flags[key] = paths if isinstance(value, list) else paths[0]
    return load_settings(config_file=config, **flags)
