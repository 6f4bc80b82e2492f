"""Lake maintenance passes run by the scheduler (the ``[maintenance]`` table)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from swansync.config import Settings
from swansync.schedule.jobs import redact

log = logging.getLogger("swansync.schedule")  # one logger name for the whole package


def run_maintenance(settings: Settings) -> bool:
    """One lake maintenance pass for ``settings.maintenance``; logs one JSON line (event
    ``maintain``) and returns whether it went well. Never raises: the daemon carries on."""
    from datetime import timedelta

    from swansync.warehouse import open_warehouse
    from swansync.warehouse.lake import LakeWarehouse
    from swansync.warehouse.lake.maintain import maintain

    m = settings.maintenance
    assert m is not None
    record: dict[str, Any] = {"event": "maintain"}
    t0 = time.monotonic()
    try:
        with open_warehouse(settings.warehouse, env=settings.env) as wh:
            assert isinstance(wh, LakeWarehouse)
            wh.require_current()
            done = maintain(
                wh, keep=timedelta(seconds=m.keep), orphan_age=timedelta(seconds=m.orphan_age)
            )
    except Exception as e:  # logged; the next pass tries again
        record.update(status="failed", error=redact(f"{type(e).__name__}: {e}", settings))
    else:
        record.update(status="ok" if done.ran else "skipped", **vars(done))
    record["seconds"] = round(time.monotonic() - t0, 3)
    ok: bool = record["status"] != "failed"
    log.log(logging.INFO if ok else logging.WARNING, json.dumps(record, sort_keys=True))
    return ok
