"""Small synthetic W&B run folders, written with the independent test-side writer
(``tests/wandb/writer.py``), for cases the real SDK will not produce on demand: damage at a
chosen byte, runs without an entity, keys that turn up late, min/max in different pieces."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.wandb import writer as w

T0 = 1_790_000_000  # seconds: the synthetic runs start here


def run_body(run_id: str, entity: str, project: str, name: str = "") -> bytes:
    body = w.f_bytes(1, run_id) + w.f_bytes(3, project) + w.timestamp(17, T0)
    if entity:
        body += w.f_bytes(2, entity)
    if name:
        body += w.f_bytes(8, name)
    return body


def history(step: int, values: Mapping[str, Any]) -> bytes:
    items = [
        w.item(["_step"], step, nested=True),
        w.item(["_timestamp"], T0 + step + 0.25, nested=True),
    ]
    items += [w.item(key.split("/"), v, nested=True) for key, v in values.items()]
    return w.record(w.HISTORY, w.history(items), num=step + 10)


def payloads(
    run_id: str,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    entity: str = "ent",
    project: str = "proj",
    exit_code: int | None = 0,
    config: Mapping[str, Any] | None = None,
    stats: Iterable[Mapping[str, Any]] = (),
) -> list[bytes]:
    """The record payloads of a run: run record, config, history rows, system samples, exit."""
    out = [w.record(w.RUN, run_body(run_id, entity, project, name=f"{run_id} name"), num=1)]
    if config:
        items = [w.item([k], v, nested=False) for k, v in config.items()]
        out.append(w.record(w.CONFIG, w.update(items), num=2))
    out += [history(step, values) for step, values in rows]
    for i, sample in enumerate(stats):
        out.append(w.record(w.STATS, w.stats_body(T0 + 10 * i, dict(sample)), num=1000 + i))
    if exit_code is not None:
        out.append(w.record(w.EXIT, w.exit_body(exit_code, 7), num=9999))
    return out


def write_run(root: Path, run_id: str, data: bytes, stamp: str = "20260101_000000") -> Path:
    """``root/wandb/offline-run-<stamp>-<run_id>/run-<run_id>.wandb`` holding ``data``."""
    folder = root / "wandb" / f"offline-run-{stamp}-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"run-{run_id}.wandb"
    log.write_bytes(data)
    return log


def loss_rows(n: int, start: int = 0) -> list[tuple[int, dict[str, Any]]]:
    return [(s, {"loss": 1.0 / (s + 1)}) for s in range(start, start + n)]
