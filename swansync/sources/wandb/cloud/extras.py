"""What ``summaries`` reads ahead for a changed run besides its points: the new tail of its
console (:mod:`.logs`) and the media items of its new history rows (:mod:`.media`), parked
together for ``logs``/``media``.
"""

from __future__ import annotations

from dataclasses import dataclass

from swansync.errors import ApiError, DataError
from swansync.sources.wandb import media
from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.history import Batch, RunReader
from swansync.sources.wandb.cloud.logs import Tail, read_tail
from swansync.sources.wandb.cloud.state import RunState


@dataclass
class Held:
    """What ``summaries`` read ahead besides points, parked for ``media``/``logs``."""

    tail: Tail | None
    console_error: str | None  # why the console could not be read ahead (logs() fails)
    media_from: int | None  # the media items are those of rows after this step (None: all)
    media_last: dict[str, int]  # per key, its last step with a file before ``media_from``
    items: list[tuple[str, int, media.Item]]


def read_ahead(
    client: GraphQLClient,
    reader: RunReader,
    old: RunState | None,
    base: RunState | None,
    batch: Batch,
    state: RunState,
    final: bool,
) -> Held:
    """What to park besides the points of ``batch``: its media items and the console's new
    tail (``state`` gets the console's new position; a console that cannot be read keeps the
    old one, marks the cursor so the run is read again, and fails this pull's ``logs``)."""
    held = Held(None, None, batch.base, dict(base.media_last) if base else {}, batch.media)
    try:
        held.tail, state.console_lines, state.console_bytes = read_tail(
            client, reader.vars, reader.what, old, final
        )
    except (ApiError, DataError) as e:
        held.console_error = f"console of {reader.what}: {e}"
        state.console_failed = True
        state.console_lines = old.console_lines if old else 0
        state.console_bytes = old.console_bytes if old else 0
    return held
