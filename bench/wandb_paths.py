"""Which full-resolution history read is faster against the simulated W&B server: the
step-windowed ``HistoryPage`` (what swansync uses) or the run's parquet export
(``RunParquetHistory`` then a GET of every signed file, read with pyarrow), measured on the same
finished runs, one after another, in this process. Both end as per-key columns."""

from __future__ import annotations

import io
import time
from typing import Any

import requests

from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.history import Batch, RunReader
from trackersim.wandb import SimServer

PARQUET = """
query RunParquetHistory($entity: String!, $project: String!, $run: String!,
                        $liveKeys: [String!]!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) { parquetHistory(liveKeys: $liveKeys) { parquetUrls liveData } }
  }
}
"""


def _parquet_columns(data: bytes) -> int:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    points = 0
    steps = table.column("_step").to_pylist()
    for name in table.column_names:
        if name.startswith("_"):
            continue
        values = table.column(name).to_pylist()
        pairs = [(s, float(v)) for s, v in zip(steps, values, strict=True) if v is not None]
        points += len(pairs)
    return points


def compare_paths(sim: SimServer, runs: list[tuple[str, str, str]]) -> dict[str, Any]:
    """``runs``: (entity, project, run id) of finished runs. Exports them first."""
    sim.world.options.update({"parquet_export": True})
    for _, _, rid in runs:
        sim.world.export(rid)
    client = GraphQLClient(sim.url, sim.api_key, backoff=0.01)
    http = requests.Session()
    try:
        before = sim.counters.snapshot()
        t0 = time.perf_counter()
        windowed = 0
        for entity, project, rid in runs:
            batch = Batch(base=None, history_to=None)
            run = sim.world.run(rid)
            last = run.step_base + run.ticks - 1
            RunReader(client, entity, project, rid).history(batch, last, run.line_count())
            windowed += sum(len(c.steps) for c in batch.history.values())
        t_windows = time.perf_counter() - t0
        mid = sim.counters.snapshot()
        t0 = time.perf_counter()
        parquet = 0
        for entity, project, rid in runs:
            data = client.query(
                "RunParquetHistory",
                PARQUET,
                {"entity": entity, "project": project, "run": rid, "liveKeys": ["_step"]},
                what=f"parquet of {rid}",
            )
            ph = data["project"]["run"]["parquetHistory"]
            for url in ph["parquetUrls"]:
                resp = http.get(url, timeout=60)
                resp.raise_for_status()
                parquet += _parquet_columns(resp.content)
        t_parquet = time.perf_counter() - t0
        after = sim.counters.snapshot()
    finally:
        client.close()
        http.close()

    def diff(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> dict[str, int]:
        req = sum(n for n, _ in b.values()) - sum(n for n, _ in a.values())
        nbytes = sum(x for _, x in b.values()) - sum(x for _, x in a.values())
        return {"requests": req, "bytes": nbytes}

    return {
        "runs": len(runs),
        "history_page": {"seconds": t_windows, "points": windowed, **diff(before, mid)},
        "parquet": {"seconds": t_parquet, "points": parquet, **diff(mid, after)},
    }
