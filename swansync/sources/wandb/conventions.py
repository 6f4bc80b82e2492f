"""How W&B's data maps onto the contract tables: known only inside ``sources/wandb``, shared by
the cloud and the offline-folder source so both give the same rows for the same run.

==================  ===========================================================================
contract            W&B
==================  ===========================================================================
project             ``entity/project``
run_id              the W&B run id (the 8-character id in URLs, ``wandb.init(id=...)``)
slug                the run id too (what W&B URLs use); name = the display name
state               :data:`STATES` (the raw state stays in ``runs.raw``)
cluster / job       ``group`` / ``job_type``; labels = tags; username = the run's user
config              nested config, ``{value, desc}`` wrappers removed, ``_wandb`` kept apart
                    (in ``runs.raw``), flattened into ``run_config`` like SwanLab's
step / ts           history ``_step`` / ``_timestamp`` (seconds, fractional -> ms: :func:`ts_ms`)
metric keys         every history key but the reserved ones (:func:`is_reserved`); a value that
                    is an object with ``_type`` (image, table, histogram, ...) makes its key
                    kind ``MEDIA``
system metrics      the system-metrics stream (cloud ``events``, offline ``stats`` records):
                    keys ``system.*``, class ``SYSTEM``, step = the sample's 0-based position in
                    the stream (W&B indexes them by time, not by ``_step``), ts = its timestamp
summaries           per scalar key: last step/value from history; min/max over the history
                    (finite values; the summary W&B keeps is in ``raw``)
==================  ===========================================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from swansync.sources.base import MetricClass

RESERVED = frozenset({"_step", "_timestamp", "_runtime", "_wandb"})
SYSTEM_PREFIX = "system."
# W&B run states -> the contract's. A run W&B still calls running may have died (its heartbeat
# stops); the cloud marks it crashed after a while, and so does the contract, not sooner.
STATES: Mapping[str, str] = {
    "running": "RUNNING",
    "pending": "RUNNING",
    "preempting": "RUNNING",
    "finished": "FINISHED",
    "crashed": "CRASHED",
    "failed": "CRASHED",
    "killed": "ABORTED",
    "preempted": "ABORTED",
}


def state(raw: str | None) -> str | None:
    """The contract state of a W&B state (case-insensitive); unknown states pass upper-cased."""
    if raw is None:
        return None
    return STATES.get(raw.lower(), raw.upper())


def metric_class(key: str) -> MetricClass:
    return "SYSTEM" if key.startswith(SYSTEM_PREFIX) else "CUSTOM"


def is_media(value: Any) -> bool:
    """A history value W&B stores as a file or a structured object (image, table, ...)."""
    return isinstance(value, Mapping) and "_type" in value


def is_reserved(key: str) -> bool:
    """A history column W&B writes for itself: :data:`RESERVED`, and ``_wandb`` flattened
    (``_wandb.runtime``) by readers that join nested keys with ``.``."""
    return key in RESERVED or key.startswith("_wandb.")


def ts_ms(seconds: Any) -> int | None:
    """A ``_timestamp`` (Unix seconds, fractional) in Unix milliseconds, rounded to the nearest
    (``1796019019.7422938`` -> ``1796019019742``); None for anything but a finite number."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    if not math.isfinite(seconds):
        return None
    return round(seconds * 1000)


def unwrap_config(config: Mapping[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """``{key: {"value": v, "desc": d}}`` -> ``({key: v}, wandb_internals)``; unwrapped keys
    (offline logs hold plain values) pass unchanged; ``_wandb`` is returned apart."""
    out: dict[str, Any] = {}
    internals: Any = None
    for key, item in (config or {}).items():
        if key == "_wandb":
            internals = item.get("value", item) if isinstance(item, Mapping) else item
            continue
        if isinstance(item, Mapping) and "value" in item and set(item) <= {"value", "desc"}:
            out[str(key)] = item["value"]
        else:
            out[str(key)] = item
    return out, internals
