"""The ``swansync`` command: a thin skin over the library.

Each command builds :class:`~swansync.config.Settings`, calls one library function and prints a
summary. Errors are :class:`~swansync.errors.SwansyncError`; they are printed here, once, as one
line on stderr, with exit code 2 for usage/config/auth problems and 1 otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from swansync.errors import ConfigError, SwansyncError

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
    help="Mirror SwanLab experiments (cloud, self-hosted, local logs) into a DuckDB warehouse.",
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
def _out() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True)


@cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _say(text: str) -> None:
    """One line on stderr, printed as is (no markup, no highlighting)."""
    _err().print(text, markup=False, highlight=False)


class _State:
    config: Path | None = None
    debug: bool = False


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
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _settings(config: Path | None, **flags: Any) -> Settings:
    from swansync.config import load_settings

    return load_settings(config_file=config, **flags)


# -- pull ---------------------------------------------------------------------------------


def _print_pull(summary: Any) -> None:
    rows = summary.rows
    _out().print(
        f"pull #{summary.id} {summary.status}: {summary.projects} project(s), {summary.runs} runs "
        f"({summary.runs_fetched} with new metrics), {rows.get('metrics', 0):,} new points, "
        f"{rows.get('logs', 0):,} console lines, {rows.get('media', 0):,} media items"
        + (f" ({summary.media_files:,} files downloaded)" if summary.media_files else "")
        + f", {summary.requests:,} requests, {summary.bytes:,} bytes in {summary.duration_s:.1f}s",
        markup=False,
        highlight=False,
    )
    for f in summary.failures:
        where = f"{f.target} run {f.run_id}" if f.run_id else f.target
        _say(f"failed: {where}: {f.reason}")
    for w in summary.warnings:
        _say(f"warning: {w}")


@app.command()
def pull(
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project", "-p", metavar="WS/PROJ", help="A project to mirror (repeatable)."
        ),
    ] = None,
    workspace: Annotated[
        list[str] | None,
        typer.Option(
            "--workspace",
            "-w",
            metavar="WS",
            help="Mirror every project of a workspace (repeatable).",
        ),
    ] = None,
    logdir: Annotated[
        list[Path] | None,
        typer.Option(
            "--logdir", metavar="PATH", help="A SwanLab local log folder to mirror (repeatable)."
        ),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option("--project-name", metavar="NAME", help="Project name for --logdir runs."),
    ] = None,
    dashboard: Annotated[
        list[str] | None,
        typer.Option(
            "--dashboard",
            metavar="URL",
            help="A running `swanlab watch` dashboard (sampled series; repeatable).",
        ),
    ] = None,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="URL",
            help="SwanLab API host (default: SWANLAB_API_HOST, config, login file, cloud).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="KEY",
            help="SwanLab API key (default: SWANLAB_API_KEY or `swanlab login`).",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", metavar="", help="Re-read everything and reconcile.")
    ] = False,
    system: Annotated[
        bool | None,
        typer.Option(
            "--system/--no-system",
            metavar="",
            help="Include SYSTEM metrics (__swanlab__.*; default: yes).",
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="EXPR",
            help="Select runs, e.g. state=FINISHED, config.optimizer=adam (repeatable).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", metavar="N", help="Concurrent fetches (default 4)."),
    ] = None,
    source_name: Annotated[
        str | None,
        typer.Option(
            "--source-name",
            metavar="NAME",
            help="Value of the `source` column (default: host[:port]).",
        ),
    ] = None,
    wandb: Annotated[
        list[str] | None,
        typer.Option(
            "--wandb", metavar="ENTITY/PROJECT", help="W&B ENTITY/PROJECT to mirror (repeatable)."
        ),
    ] = None,
    wandb_entity: Annotated[
        list[str] | None,
        typer.Option(
            "--wandb-entity",
            metavar="ENTITY",
            help="Mirror every W&B project of an entity (repeatable).",
        ),
    ] = None,
    wandb_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--wandb-dir", metavar="PATH", help="A folder of W&B offline runs (repeatable)."
        ),
    ] = None,
    wandb_host: Annotated[
        str | None,
        typer.Option(
            "--wandb-host", metavar="URL", help="W&B API host (default: WANDB_BASE_URL, the cloud)."
        ),
    ] = None,
    wandb_api_key: Annotated[
        str | None,
        typer.Option(
            "--wandb-api-key",
            metavar="KEY",
            help="W&B API key (default: WANDB_API_KEY or `wandb login`).",
        ),
    ] = None,
    media: Annotated[
        str | None,
        typer.Option(
            "--media",
            help="Media items: none, list (rows with the source's URL; default) or download "
            "(also a local copy under media/ beside the warehouse).",
        ),
    ] = None,
    media_max_bytes: Annotated[
        str | None,
        typer.Option(
            "--media-max-bytes", help="Largest media file downloaded (default 128MiB; 0: any)."
        ),
    ] = None,
    media_max_total_bytes: Annotated[
        str | None,
        typer.Option(
            "--media-max-total-bytes",
            help="Media bytes downloaded per pull (default 4GiB; 0: no bound); the rest waits.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Mirror projects into the warehouse: only what changed since the last pull."""
    from swansync.cli_signals import stop_on_signals
    from swansync.sync import pull as do_pull

    settings = _settings(
        config,
        projects=project,
        workspaces=workspace,
        logdirs=logdir,
        project_name=project_name,
        dashboards=dashboard,
        db=db,
        data_path=data_path,
        host=host,
        api_key=api_key,
        full=full or None,
        system=system,
        filters=filter_,
        workers=workers,
        source_name=source_name,
        wandb=wandb,
        wandb_entity=wandb_entity,
        wandb_dir=wandb_dir,
        wandb_host=wandb_host,
        wandb_api_key=wandb_api_key,
        media=media,
        media_max_bytes=media_max_bytes,
        media_max_total_bytes=media_max_total_bytes,
    )
    stop = threading.Event()
    if _err().is_terminal and not as_json:
        from swansync.cli_progress import RichProgress

        with RichProgress() as bar, stop_on_signals(stop, bar.note) as caught:
            summary = do_pull(settings, progress=bar, stop=stop)
    else:
        from swansync.cli_progress import PlainProgress

        # Progress lines are INFO records, shown without -v (not dressed up as warnings).
        progress_log = logging.getLogger("swansync.progress")
        progress_log.setLevel(min(progress_log.getEffectiveLevel(), logging.INFO))
        with stop_on_signals(stop, _say) as caught:
            summary = do_pull(settings, progress=PlainProgress(), stop=stop)
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        _print_pull(summary)
    # Stopped by a signal: the shell's convention, 128 + its number (130 Ctrl-C, 143 SIGTERM).
    raise typer.Exit(128 + caught[0] if caught else summary.exit_code)


# -- status / query -----------------------------------------------------------------------


@app.command()
def status(db: DbOpt = None, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """What the warehouse holds and how the last pulls went."""
    from swansync.cli_output import print_table
    from swansync.status import warehouse_status

    settings = _settings(config, db=db)
    info = warehouse_status(settings.warehouse, env=settings.env)
    if as_json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return
    out = _out()
    out.print(f"warehouse {info['db']} (schema v{info['schema_version']})", markup=False)
    print_table(
        out,
        ["source", "project", "runs", "running", "deleted", "points", "synced at"],
        [
            [
                p["source"],
                p["project"],
                p["runs"],
                p["running"],
                p["deleted"],
                f"{p['points']:,}",
                p["synced_at"],
            ]
            for p in info["projects"]
        ],
    )
    for p in info["pulls"]:
        fails = f", {len(p['failures'])} failure(s)" if p["failures"] else ""
        error = f": {p['error']}" if p["error"] else ""
        out.print(
            f"pull #{p['id']} {p['started_at']} {p['status']}{fails}{error}",
            markup=False,
            highlight=False,
        )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", hidden=True)],  # the docstring says it
    db: DbOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table, csv, json (an array), jsonl (one object per line) or parquet "
            "(needs --output).",
        ),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to this file instead of stdout."
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Run SQL against the warehouse (read-only) and print or save the result.

    SQL is one statement that reads (SELECT, WITH, SHOW, DESCRIBE, ...): it cannot write,
    attach or read other files, or load extensions; only --output writes. csv, json, jsonl and
    parquet stream, whatever the size; in JSON, NaN and infinities are the strings "NaN",
    "Infinity" and "-Infinity".
    """
    from swansync.cli_output import query_table, write_atomically
    from swansync.warehouse.export import FORMATS, Query

    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ConfigError("--format parquet needs --output FILE")
    if output is not None and not output.parent.is_dir():
        raise ConfigError(f"folder {str(output.parent)!r} for --output does not exist")
    settings = _settings(config, db=db)
    with Query(settings.warehouse, sql, env=settings.env) as q:
        if fmt == "table":
            query_table(q, output, _out())
        elif output is None:
            q.write(fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_atomically(output, lambda f: q.write(fmt, f))


# -- views --------------------------------------------------------------------------------


@views_app.command("list")
def views_list() -> None:
    """List the views and macros with what each answers."""
    from swansync.cli_output import print_table
    from swansync.warehouse.views import list_views

    print_table(
        _out(),
        ["name", "kind", "what it answers"],
        [(v.name, v.kind, v.description) for v in list_views()],
    )


@views_app.command("apply")
def views_apply(db: DbOpt = None, data_path: DataPathOpt = None, config: ConfigOpt = None) -> None:
    """(Re)create every view and macro in the warehouse."""
    from swansync.warehouse import open_warehouse

    settings = _settings(config, db=db, data_path=data_path)
    with open_warehouse(
        settings.warehouse, data_path=settings.data_path, create=False, env=settings.env
    ) as wh:
        wh.migrate()
        names = wh.apply_views()
        where = wh.describe()
    _out().print(f"applied {len(names)} views and macros to {where}", markup=False)


# -- lake -------------------------------------------------------------------------------


@lake_app.command("maintain")
def lake_maintain(
    db: DbOpt = None,
    keep: Annotated[
        str,
        typer.Option("--keep", metavar="AGE", help="Time travel kept: snapshots younger stay."),
    ] = "7d",
    orphan_age: Annotated[
        str,
        typer.Option(
            "--orphan-age",
            metavar="AGE",
            help="Delete files no commit names once this old (longer than any pull's commit).",
        ),
    ] = "1d",
    config: ConfigOpt = None,
) -> None:
    """Merge small files, expire old snapshots, delete unused files (one maintainer at a time)."""
    from datetime import timedelta

    from swansync.config import parse_every
    from swansync.warehouse import open_warehouse
    from swansync.warehouse.lake import LakeWarehouse
    from swansync.warehouse.lake.maintain import maintain

    settings = _settings(config, db=db)
    ages = (timedelta(seconds=parse_every(keep)), timedelta(seconds=parse_every(orphan_age)))
    with open_warehouse(settings.warehouse, env=settings.env) as wh:
        if not isinstance(wh, LakeWarehouse):
            raise ConfigError("lake maintain needs --db ducklake:postgres:... (a DuckLake lake)")
        wh.require_current()
        done = maintain(wh, keep=ages[0], orphan_age=ages[1])
    if not done.ran:
        _say("another worker is maintaining the lake; nothing done")
        return
    _out().print(
        f"lake maintained: {done.files_before} data files -> {done.files_after}, "
        f"{done.snapshots_expired} snapshots expired, "
        f"{done.files_deleted + done.orphans_deleted} unused files deleted",
        markup=False,
    )


# -- schedule -----------------------------------------------------------------------------


@app.command()
def schedule(
    config: ConfigOpt = None,
    once: Annotated[
        bool, typer.Option("--once", metavar="", help="Run every job once, then exit.")
    ] = False,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
) -> None:
    """Run the pulls of the config's [[jobs]] on their schedules until stopped."""
    from swansync.schedule import run_schedule

    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # a daemon logs one line per pull
    settings = _settings(config, db=db, data_path=data_path)
    raise typer.Exit(run_schedule(settings, once=once))


# -- simulator and demo -------------------------------------------------------------------


@sim_app.command("serve")
def sim_serve(
    world: Annotated[
        str, typer.Option("--world", metavar="NAME", help="demo, small or bench.")
    ] = "demo",
    port: Annotated[
        int,
        typer.Option("--port", metavar="N", help="TCP port on 127.0.0.1 (0 = any free)."),
    ] = 0,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="World seed (same seed, same world).")
    ] = 0,
) -> None:
    """Serve a simulated SwanLab cloud on 127.0.0.1.

    Prints one line, READY followed by the URL and the API key, then serves until stopped.
    """
    from trackersim.errors import SimError
    from trackersim.swanlab import serve

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port: use 0-65535 (0 = any free port)")
    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # one line per request on stderr
    try:
        serve(world, port, seed)
    except SimError as e:  # the simulator has its own errors: it shares no code with swansync
        raise ConfigError(str(e)) from e
    except OSError as e:  # the port is taken, or not ours to bind
        why = e.strerror or str(e)
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port}: {why} (pick another --port, or 0 for any free one)"
        ) from e


@app.command()
def demo(
    db: Annotated[
        Path, typer.Option("--db", metavar="PATH", help="Where to write the demo warehouse.")
    ] = Path("demo.duckdb"),
) -> None:
    """Start the simulated cloud, mirror its demo world into DB, and show what landed."""
    from swansync.cli_output import frame_rows, print_table
    from swansync.demo import run_demo

    result = run_demo(db)
    out = _out()
    out.print(f"[bold]swansync demo[/bold]: the simulated SwanLab cloud mirrored into {result.db}")
    _print_pull(result.first)
    _print_pull(result.second)
    print_table(out, *frame_rows(result.totals), title="What landed")
    print_table(out, *frame_rows(result.leaderboard), title="Leaderboard: best val/acc per project")
    out.print(f'Try: swansync query --db {result.db} "SELECT * FROM runs LIMIT 5"', markup=False)


def main() -> None:
    """Entry point: run the app, turning SwansyncError into one line and an exit code.

    Usage errors are click's: it prints them with the usage line and exits 2 by itself.
    File errors (a folder that does not exist, a full disk) are one line and exit 1.
    """
    try:
        app()
    except SwansyncError as e:
        if STATE.debug:
            _err().print_exception()
        _say(f"error: {e}")
        sys.exit(e.exit_code)
    except OSError as e:
        from swansync.cli_output import stdout_gone

        if isinstance(e, BrokenPipeError) or stdout_gone():
            # The reader left (`swansync query ... | head`): stop without a message and exit 1,
            # as click does for the broken pipes it sees first.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        if STATE.debug:
            _err().print_exception()
        _say(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(130)
