"""The ``swansync`` command: a thin skin over the library.

Each command builds :class:`~swansync.config.Settings`, calls one library function and prints a
summary. Errors are :class:`~swansync.errors.SwansyncError`; they are printed here, once, as one
line on stderr, with exit code 2 for usage/config/auth problems and 1 otherwise.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from swansync.cli_output import RichProgress, csv_ready, frame_table
from swansync.config import Settings, load_settings
from swansync.errors import ConfigError, SwansyncError

app = typer.Typer(
    name="swansync",
    help="Mirror SwanLab experiments (cloud, self-hosted, local logs) into a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
views_app = typer.Typer(help="SQL views for cross-run analysis.", no_args_is_help=True)
sim_app = typer.Typer(help="The simulated SwanLab cloud (for demos, tests and dashboards).")
app.add_typer(views_app, name="views")
app.add_typer(sim_app, name="sim")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _State:
    config: Path | None = None
    debug: bool = False


STATE = _State()

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML config file (default ./swansync.toml).")
]
DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse file (default: $SWANSYNC_DB, config, ./swansync.duckdb)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary.")]


@app.callback()
def _main(
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="More log output (-vv: debug).")
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    STATE.debug = debug
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _settings(config: Path | None, **flags: Any) -> Settings:
    return load_settings(config_file=config, **flags)


# -- pull ---------------------------------------------------------------------------------


def _log_progress(event: str, **data: Any) -> None:
    logger = logging.getLogger("swansync.progress")
    if event == "project":
        logger.warning(
            "%s: %d runs listed, %d with new metrics",
            data["project"],
            data["runs"],
            data["runs_to_fetch"],
        )


def _print_pull(summary: Any) -> None:
    rows = summary.rows
    out.print(
        f"pull #{summary.id} {summary.status}: {summary.projects} project(s), {summary.runs} runs "
        f"({summary.runs_fetched} with new metrics), {rows.get('metrics', 0):,} new points, "
        f"{rows.get('logs', 0):,} console lines, {rows.get('media', 0):,} media items"
        + (f" ({summary.media_files:,} files downloaded)" if summary.media_files else "")
        + f", {summary.requests:,} requests, {summary.bytes:,} bytes in {summary.duration_s:.1f}s"
    )
    for f in summary.failures:
        where = f"{f.target} run {f.run_id}" if f.run_id else f.target
        err.print(f"failed: {where}: {f.reason}", markup=False, highlight=False)
    for w in summary.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False)


@app.command()
def pull(
    project: Annotated[
        list[str] | None, typer.Option("--project", "-p", help="WS/PROJ to mirror (repeatable).")
    ] = None,
    workspace: Annotated[
        list[str] | None,
        typer.Option("--workspace", "-w", help="Mirror every project of a workspace (repeatable)."),
    ] = None,
    logdir: Annotated[
        list[Path] | None,
        typer.Option("--logdir", help="A SwanLab local log folder to mirror (repeatable)."),
    ] = None,
    project_name: Annotated[
        str | None, typer.Option("--project-name", help="Project name for --logdir runs.")
    ] = None,
    dashboard: Annotated[
        list[str] | None,
        typer.Option("--dashboard", help="URL of a running `swanlab watch` dashboard (sampled)."),
    ] = None,
    db: DbOpt = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="SwanLab API host (default: SWANLAB_API_HOST, login file, cloud)."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="SwanLab API key (default: SWANLAB_API_KEY or `swanlab login`)."
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything and reconcile.")] = False,
    system: Annotated[
        bool | None,
        typer.Option("--system/--no-system", help="Include SYSTEM metrics (__swanlab__.*)."),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", help="Select runs, e.g. state=FINISHED, config.optimizer=adam (repeatable)."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Concurrent fetches (default 4).")
    ] = None,
    source_name: Annotated[
        str | None,
        typer.Option("--source-name", help="Value of the `source` column (default: host[:port])."),
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
    from swansync.sync import pull as do_pull

    settings = _settings(
        config,
        projects=project,
        workspaces=workspace,
        logdirs=logdir,
        project_name=project_name,
        dashboards=dashboard,
        db=db,
        host=host,
        api_key=api_key,
        full=full or None,
        system=system,
        filters=filter_,
        workers=workers,
        source_name=source_name,
        media=media,
        media_max_bytes=media_max_bytes,
        media_max_total_bytes=media_max_total_bytes,
    )
    stop = threading.Event()
    if err.is_terminal and not as_json:
        with RichProgress() as bar:
            summary = do_pull(settings, progress=bar, stop=stop)
    else:
        summary = do_pull(settings, progress=_log_progress, stop=stop)
    if as_json:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        _print_pull(summary)
    raise typer.Exit(summary.exit_code)


# -- status / query -----------------------------------------------------------------------


@app.command()
def status(db: DbOpt = None, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """What the warehouse holds and how the last pulls went."""
    from swansync.status import warehouse_status

    settings = _settings(config, db=db)
    info = warehouse_status(settings.db)
    if as_json:
        out.print_json(json.dumps(info))
        return
    out.print(f"warehouse {info['db']} (schema v{info['schema_version']})")
    table = Table("source", "project", "runs", "running", "deleted", "points", "synced at")
    for p in info["projects"]:
        table.add_row(
            p["source"],
            p["project"],
            str(p["runs"]),
            str(p["running"]),
            str(p["deleted"]),
            f"{p['points']:,}",
            p["synced_at"] or "",
        )
    out.print(table)
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
    sql: Annotated[str, typer.Argument(help="The SQL to run (read-only).")],
    db: DbOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json or parquet.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Run SQL against the warehouse (read-only) and print or save the result."""
    from swansync.warehouse import Warehouse

    if fmt not in ("table", "csv", "json", "parquet"):
        raise ConfigError(f"unknown --format {fmt!r}: use table, csv, json or parquet")
    if fmt == "parquet" and output is None:
        raise ConfigError("--format parquet needs --output FILE")
    settings = _settings(config, db=db)
    with Warehouse(settings.db, read_only=True) as wh:
        frame = wh.query(sql)
    if fmt == "table":
        table = frame_table(frame)
        if output:
            with output.open("w", encoding="utf-8") as f:
                Console(file=f, width=200).print(table)
        else:
            out.print(table)
    elif fmt == "csv":
        _emit(csv_ready(frame).write_csv(), output)
    elif fmt == "json":
        _emit(frame.write_json(), output)
    elif output is not None:
        frame.write_parquet(output)


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


# -- views --------------------------------------------------------------------------------


@views_app.command("list")
def views_list() -> None:
    """List the views and macros with what each answers."""
    from swansync.warehouse.views import list_views

    table = Table("name", "kind", "what it answers")
    for v in list_views():
        table.add_row(v.name, v.kind, v.description)
    out.print(table)


@views_app.command("apply")
def views_apply(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """(Re)create every view and macro in the warehouse."""
    from swansync.warehouse import Warehouse
    from swansync.warehouse.views import apply_views

    settings = _settings(config, db=db)
    with Warehouse(settings.db, create=False) as wh:
        wh.migrate()
        names = apply_views(wh.con)
    out.print(f"applied {len(names)} views and macros to {settings.db}")


# -- schedule -----------------------------------------------------------------------------


@app.command()
def schedule(
    config: ConfigOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit.")] = False,
    db: DbOpt = None,
) -> None:
    """Run the pulls of the config's [[jobs]] on their schedules until stopped."""
    from swansync.schedule import run_schedule

    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # a daemon logs one line per pull
    settings = _settings(config, db=db)
    raise typer.Exit(run_schedule(settings, once=once))


# -- simulator and demo -------------------------------------------------------------------


@sim_app.command("serve")
def sim_serve(
    world: Annotated[str, typer.Option("--world", help="demo, small or bench.")] = "demo",
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (0 = any free).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="World seed (same seed, same world).")] = 0,
) -> None:
    """Serve a simulated SwanLab cloud on 127.0.0.1 (prints READY <url> <api key>)."""
    from trackersim.errors import SimError
    from trackersim.swanlab import serve

    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # one line per request on stderr
    try:
        serve(world, port, seed)
    except SimError as e:  # the simulator has its own errors: it shares no code with swansync
        raise ConfigError(str(e)) from e


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="Where to write the demo warehouse.")] = Path(
        "demo.duckdb"
    ),
) -> None:
    """Start the simulated cloud, mirror its demo world into DB, and show what landed."""
    from swansync.demo import run_demo

    result = run_demo(db)
    out.print(f"[bold]swansync demo[/bold]: the simulated SwanLab cloud mirrored into {result.db}")
    _print_pull(result.first)
    _print_pull(result.second)
    out.print(frame_table(result.totals, "What landed"))
    out.print(frame_table(result.leaderboard, "Leaderboard: best val/acc per project"))
    out.print(f'Try: swansync query --db {result.db} "SELECT * FROM runs LIMIT 5"')


def main() -> None:
    """Entry point: run the app, turning SwansyncError into one line and an exit code.

    Usage errors are click's: it prints them with the usage line and exits 2 by itself.
    """
    try:
        app()
    except SwansyncError as e:
        if STATE.debug:
            err.print_exception()
        err.print(f"error: {e}", markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
