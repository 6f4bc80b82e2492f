"""Parquet history exports (the ``parquetHistory`` bulk path), built lazily with pyarrow.

A run's export holds its rows with step offset below ``export_offset``, split into files of
``parquet_rows_per_file`` rows. Layout (the real one is unknown, spec section 11): ``_step``
int64, ``_runtime`` and ``_timestamp`` float64, then one column per key in the run's key order:
float64 for number keys (NaN/±inf stored natively), int64 for integer keys, and UTF-8 text for
strings and for media objects (their JSON text). A key missing from a row is null.
"""

from __future__ import annotations

import io
import json
import math
import threading
from collections import OrderedDict
from typing import Any

from trackersim.wandb.model import Run

_LOCK = threading.Lock()
_FILES: OrderedDict[tuple[int, int, int, int, int], bytes] = OrderedDict()
_CAPACITY = 64


def part_count(run: Run, exported: int, per_file: int) -> int:
    rows = run.rows(None, run.step_base + exported)
    return max(1, math.ceil(len(rows) / max(1, per_file))) if rows else 0


def build(run: Run, exported: int, part: int, per_file: int) -> bytes:
    """The bytes of one exported parquet file (cached)."""
    cache_key = (run.uid, run.version, exported, part, per_file)
    with _LOCK:
        data = _FILES.get(cache_key)
        if data is not None:
            _FILES.move_to_end(cache_key)
            return data
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = run.rows(None, run.step_base + exported)[part * per_file : (part + 1) * per_file]
    columns: dict[str, Any] = {
        "_step": pa.array([r["_step"] for r in rows], pa.int64()),
        "_runtime": pa.array([r["_runtime"] for r in rows], pa.float64()),
        "_timestamp": pa.array([r["_timestamp"] for r in rows], pa.float64()),
    }
    for spec in run.keys:
        values = [r.get(spec.name) for r in rows]
        if spec.kind == "number":
            columns[spec.name] = pa.array(values, pa.float64())
        elif spec.kind == "int":
            columns[spec.name] = pa.array(values, pa.int64())
        else:
            text = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
            columns[spec.name] = pa.array(text, pa.string())
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    data = sink.getvalue()
    with _LOCK:
        _FILES[cache_key] = data
        while len(_FILES) > _CAPACITY:
            _FILES.popitem(last=False)
    return data
