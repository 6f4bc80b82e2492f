"""`python -m tests.lake.reader URI STOPFILE`: a BI-like reader of a lake, in a process of its own.

It queries the lake in a loop until STOPFILE exists, then prints one JSON line: how many reads
it made, how many saw data, the reads that broke the per-run invariant (a half-applied pull) and
the errors it met. The invariant: a pull commits a series' points together with its bookmark,
so for every scalar key shown in ``metric_keys`` the number of its rows in ``metrics`` equals its
``points`` -- in every snapshot a reader can see. Each check is one statement, so one snapshot.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from swansync.warehouse import open_warehouse

TORN = """
WITH counted AS (
    SELECT source, project, run_id, key, count(*) AS n FROM metrics GROUP BY ALL
)
SELECT k.source, k.project, k.run_id, k.key, coalesce(k.points, 0), coalesce(c.n, 0)
FROM metric_keys k
LEFT JOIN counted c USING (source, project, run_id, key)
WHERE k.kind = 'SCALAR' AND coalesce(k.points, 0) <> coalesce(c.n, 0)
LIMIT 5
"""
SEEN = "SELECT count(*) FROM metric_keys"
PAUSE = 0.05  # seconds between reads: a throttle so the reader leaves the workers some CPU


def main(uri: str, stop: Path) -> None:
    reads = nonempty = 0
    torn: list[list[object]] = []
    errors: list[str] = []
    with open_warehouse(uri, read_only=True) as wh:
        while not stop.exists():
            try:
                bad = wh.rows(TORN)
                seen = wh.rows(SEEN)[0][0]
            except Exception as e:  # every error is a finding, reported
                errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")
                if len(errors) > 20:
                    break
                continue
            reads += 1
            nonempty += bool(seen)
            torn.extend([list(r) for r in bad][: max(0, 20 - len(torn))])
            time.sleep(PAUSE)
    print(json.dumps({"reads": reads, "nonempty": nonempty, "torn": torn, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
