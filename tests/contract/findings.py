"""What the real SDK (swanlab 0.10.3) gets wrong on hostile worlds, checked and set aside.

The simulator's hostile worlds are valid SwanLab answers; where the real SDK misreads them the
misreading is a *finding* (documented in :mod:`trackersim.swanlab`), not a simulator bug. Each
finding is recognised exactly here, counted, and undone in a copy of the dump, so that the
comparison with the truth stays exact for everything else. A test asserts every finding still
occurs: when a newer SDK fixes one, the pin fails and this file shrinks.

1. **Float timestamps are dropped.** ``stream_export_csv`` reads a timestamp cell with ``int()``;
   ``1735689601500.0`` or ``1.7356896015E12`` raise, and the point comes back without a
   timestamp. The step and value must still be exact.
2. **A newline in a run name invents points.** The SDK skips the header as one *physical* line
   (``next(resp.iter_lines())``); the rest of a header whose run name holds a newline is parsed
   as data. The run named ``"grid\\n1,2,3"`` gets an extra first point ``step 1, value 2.0, no
   timestamp`` on its first exported key.

Findings 3-5 concern byte-level faults on the CSV download and are pinned by
``test_sdk_loses_whole_series_on_download_faults`` (nothing to set aside: the data is gone):

3. **No retry of a download**: a reset mid-body or a truncated body loses the whole export
   batch (up to 16 series), logged as "Failed to download CSV".
4. **No fresh link for an expired one**: a 403 from the object store loses the batch (logged).
5. **An HTML page with status 200 is read as an empty CSV**: the batch's series come back empty
   and nothing is logged at all.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from tests.contract.compare import _truth_series, decode
from trackersim.swanlab.hostile import RUN_NAMES

TRAP_NAME = "grid\n1,2,3"
TRAP_POINT = [1, 2.0, None]
assert TRAP_NAME in RUN_NAMES


@dataclass
class Findings:
    dropped_timestamps: int = 0  # finding 1: points read without their timestamp
    invented_points: int = 0  # finding 2: header fragments read as points
    unexplained: list[str] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) and isinstance(a, float) == isinstance(b, float)


def set_aside(
    dump: dict[str, Any], truth: dict[str, dict[str, list[Any]]]
) -> tuple[dict[str, Any], Findings]:
    """A copy of ``dump`` with the known SDK misreadings undone, and what was undone.

    Only exact matches of a finding are undone (an invented point must be exactly the trap's,
    a point without timestamp must have the truth's step and value); anything else is left for
    the comparison to report."""
    out = copy.deepcopy(dump)
    found = Findings()
    want = _truth_series(truth)
    names = {
        run_id: name
        for run_id, name in zip(truth["runs"]["run_id"], truth["runs"]["name"], strict=True)
    }
    for run in out["runs"]:
        if not run.get("ok"):
            continue
        trap = names.get(run["ref"]) == TRAP_NAME
        for position, (key, points) in enumerate(run.get("metrics", {}).items()):
            truth_points = want.get((run["ref"], key), [])
            if trap and position == 0:
                if points[:1] == [TRAP_POINT] and len(points) == len(truth_points) + 1:
                    del points[0]
                    found.invented_points += 1
                else:
                    found.unexplained.append(f"trap run {run['ref']} {key!r}: {points[:2]}")
            if len(points) != len(truth_points):
                continue
            for p, (step, value, ts) in zip(points, truth_points, strict=True):
                if p[2] is None and ts is not None and p[0] == step and _same(decode(p[1]), value):
                    p[2] = ts
                    found.dropped_timestamps += 1
    return out, found
