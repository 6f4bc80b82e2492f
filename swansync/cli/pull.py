"""``swansync pull``: its flags, its progress and its one-line summary."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Annotated, Any

import typer

from swansync.cli.common import (
    ConfigOpt,
    DataPathOpt,
    DbOpt,
    JsonOpt,
    app,
    err_console,
    out_console,
    say,
    settings_for,
)

# -- pull ---------------------------------------------------------------------------------


def print_pull(summary: Any) -> None:
    rows = summary.rows
    out_console().print(
        f"pull #{summary.id} {summary.status}: {summary.projects} project(s), {summary.runs} runs "
        f"({summary.runs_fetched} with new metrics), {rows.get('metrics', 0):,} new points, "
        f"{rows.get('logs', 0):,} console lines, {rows.get('media', 0):,} media items"
        + (f" ({summary.media_files:,} files downloaded)" if summary.media_files else "")
        + f", {summary.requests:,} requests, {summary.bytes:,} bytes in {summary.duration_s:.1f}s",
        markup=False,
        highlight=False,
    )
    for f in summary.failures:
        say(f"failed: {f}")
    for w in summary.warnings:
        say(f"warning: {w}")


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
        list[str] | None,
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
        list[str] | None,
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
            metavar="MODE",
            help="Media items: none, list (rows with the source's URL; default) or download "
            "(also a local copy under media/ beside the warehouse).",
        ),
    ] = None,
    media_max_bytes: Annotated[
        str | None,
        typer.Option(
            "--media-max-bytes",
            metavar="SIZE",
            help="Largest media file downloaded (default 128MiB; 0: any).",
        ),
    ] = None,
    media_max_total_bytes: Annotated[
        str | None,
        typer.Option(
            "--media-max-total-bytes",
            metavar="SIZE",
            help="Media bytes downloaded per pull (default 4GiB; 0: no bound); the rest waits.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Mirror projects into the warehouse: only what changed since the last pull."""
    from swansync.cli.signals import StopNow, exit_now, stop_on_signals
    from swansync.sync import pull as do_pull

    settings = settings_for(
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
    caught: list[int] = []  # the signals received, bound by stop_on_signals
    try:
        if not as_json and err_console().is_terminal:
            from swansync.cli.progress_bars import RichProgress

            with RichProgress() as bar, stop_on_signals(stop, bar.note) as caught:
                summary = do_pull(settings, progress=bar, stop=stop)
        else:
            from swansync.cli.progress import PlainProgress

            # Progress lines are INFO records, shown without -v (not dressed up as warnings).
            progress_log = logging.getLogger("swansync.progress")
            progress_log.setLevel(min(progress_log.getEffectiveLevel(), logging.INFO))
            with stop_on_signals(stop, say) as caught:
                summary = do_pull(settings, progress=PlainProgress(), stop=stop)
    except BaseException as e:
        # A second Ctrl-C / SIGTERM: no summary, no waiting. (DuckDB may have turned it into
        # its own error when it landed in a query: the count of signals tells.)
        if isinstance(e, StopNow) or len(caught) > 1:
            exit_now(caught[0] if caught else getattr(e, "signum", signal.SIGINT))
        raise
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        print_pull(summary)
    # Stopped by a signal: the shell's convention, 128 + its number (130 Ctrl-C, 143 SIGTERM).
    raise typer.Exit(128 + caught[0] if caught else summary.exit_code)
