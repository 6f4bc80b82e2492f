"""The commands besides ``pull``: status, query, views, schedule, the simulator and the demo."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from swansync.cli.common import (
    ConfigOpt,
    DataPathOpt,
    DbOpt,
    JsonOpt,
    app,
    lake_app,
    out_console,
    settings_for,
    sim_app,
    views_app,
)
from swansync.cli.pull import print_pull
from swansync.errors import ConfigError

# -- status / query -----------------------------------------------------------------------


@app.command()
def status(db: DbOpt = None, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """What the warehouse holds and how the last pulls went."""
    from swansync.cli.output import reader_may_leave
    from swansync.status import warehouse_status

    settings = settings_for(config, db=db)
    info = warehouse_status(settings.warehouse, env=settings.env)
    with reader_may_leave():  # `swansync status | head -1`: exit 0, quietly
        _print_status(info, as_json)


def _print_status(info: dict[str, Any], as_json: bool) -> None:
    from swansync.cli.output import print_table

    if as_json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return
    out = out_console()
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
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table, csv, json (an array), jsonl (one object per line) or parquet "
            "(needs --output). Default: --output's extension (.csv, .json, .jsonl, .parquet), "
            "else table.",
        ),
    ] = None,
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
    from swansync.cli.output import query_table, reader_may_leave, write_atomically
    from swansync.warehouse.export import FORMATS, Query

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = suffix if suffix in FORMATS and suffix != "table" else "table"
    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ConfigError("--format parquet needs --output FILE")
    if output is not None and not output.parent.is_dir():
        raise ConfigError(f"folder {str(output.parent)!r} for --output does not exist")
    settings = settings_for(config, db=db)
    with Query(settings.warehouse, sql, env=settings.env) as q, reader_may_leave():
        if fmt == "table":
            query_table(q, output, out_console())
        elif output is None:
            q.write(fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_atomically(output, lambda f: q.write(fmt, f))


# -- views --------------------------------------------------------------------------------


@views_app.command("list")
def views_list() -> None:
    """List the views and macros with what each answers."""
    from swansync.cli.output import print_table
    from swansync.warehouse.views import list_views

    print_table(
        out_console(),
        ["name", "kind", "what it answers"],
        [(v.name, v.kind, v.description) for v in list_views()],
    )


@views_app.command("apply")
def views_apply(db: DbOpt = None, data_path: DataPathOpt = None, config: ConfigOpt = None) -> None:
    """(Re)create every view and macro in the warehouse."""
    from swansync.warehouse import open_warehouse

    settings = settings_for(config, db=db, data_path=data_path)
    with open_warehouse(
        settings.warehouse, data_path=settings.data_path, create=False, env=settings.env
    ) as wh:
        wh.migrate()
        names = wh.apply_views()
        where = wh.describe()
    out_console().print(f"applied {len(names)} views and macros to {where}", markup=False)


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

    from swansync.cli.common import say
    from swansync.config import parse_every
    from swansync.warehouse import open_warehouse
    from swansync.warehouse.lake import LakeWarehouse
    from swansync.warehouse.lake.maintain import maintain

    settings = settings_for(config, db=db)
    ages = (timedelta(seconds=parse_every(keep)), timedelta(seconds=parse_every(orphan_age)))
    with open_warehouse(settings.warehouse, env=settings.env) as wh:
        if not isinstance(wh, LakeWarehouse):
            raise ConfigError("lake maintain needs --db ducklake:postgres:... (a DuckLake lake)")
        wh.require_current()
        done = maintain(wh, keep=ages[0], orphan_age=ages[1])
    if not done.ran:
        say("another worker is maintaining the lake; nothing done")
        return
    out_console().print(
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
    import threading

    from swansync.cli.common import STATE, say
    from swansync.cli.signals import StopNow, exit_now, stop_on_signals
    from swansync.schedule import run_schedule

    # Quiet by default: the one JSON line per pull (and the daemon's start and stop); -v adds
    # the rest (migrations, views, serving copy), -vv apscheduler's own chatter.
    schedule_log = logging.getLogger("swansync.schedule")
    schedule_log.setLevel(min(schedule_log.getEffectiveLevel(), logging.INFO))
    if STATE.verbose < 2:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = settings_for(config, db=db, data_path=data_path)
    stop = threading.Event()
    caught: list[int] = []
    try:
        with stop_on_signals(stop, say) as caught:
            code = run_schedule(settings, once=once, stop=stop, install_signals=False)
    except BaseException as e:  # a second Ctrl-C / SIGTERM: stop at once, as pull does
        if isinstance(e, StopNow) or len(caught) > 1:
            exit_now(caught[0] if caught else getattr(e, "signum", 2))
        raise
    # --once is a batch job, like pull: stopped by a signal it exits 130 / 143. The daemon's
    # normal end is SIGTERM: it exits 0 (systemd and docker call that a clean stop); the pull
    # it interrupted is recorded `interrupted` and the next start carries on.
    raise typer.Exit(128 + caught[0] if caught and once else code)


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
    from swansync.cli.output import frame_rows, print_table
    from swansync.demo import run_demo

    result = run_demo(db)
    out = out_console()
    out.print(f"[bold]swansync demo[/bold]: the simulated SwanLab cloud mirrored into {result.db}")
    print_pull(result.first)
    print_pull(result.second)
    print_table(out, *frame_rows(result.totals), title="What landed")
    print_table(out, *frame_rows(result.leaderboard), title="Leaderboard: best val/acc per project")
    out.print(
        f'Try: {_command()} query --db {result.db} "SELECT * FROM runs LIMIT 5"', markup=False
    )


def _command() -> str:
    """How to run swansync from this shell: ``swansync`` when it is on PATH, else the console
    script beside this interpreter (``make demo`` runs from a virtual environment)."""
    import shutil

    beside = Path(sys.executable).parent / "swansync"
    if shutil.which("swansync") or not beside.exists():
        return "swansync"
    return str(beside)
