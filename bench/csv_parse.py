"""How fast the wide SwanLab export CSV becomes long metric rows: ``python -m bench.csv_parse``.

The CSV parse is the hot path of a big pull (a 10 M-point world downloads ~220 MB of CSV). This
writes synthetic exports (16 keys per file as the client batches them, ascending steps, a few
gaps, timestamps in ms) and times :func:`swansync.transform.points.points_frame` on them, best of
``--repeat``. ``--spellings`` writes values in every spelling a server may use (``1E5``,
``+1.5``, ``NaN``, ``Infinity``, ms timestamps as floats) and quoted, CRLF-terminated rows with a
BOM, to time the parser's slower paths too.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time

from swansync.sources.base import CsvPoints
from swansync.transform.points import points_frame

SPELLINGS = ["1e-05", "1E5", "-0.0", "NaN", "nan", "Infinity", "inf", "-inf", "+1.5"]


def make_csv(rows: int, keys: int, *, spellings: bool, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    if spellings:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n" if spellings else "\n")
    header = ["step"]
    for k in range(keys):
        label = f'run, "quoted"-key{k}' if spellings else f"run-key{k}"
        header += [f"{label}_step", f"{label}_timestamp"]
    writer.writerow(header)
    t0 = 1_700_000_000_000
    for step in range(rows):
        row: list[str] = [str(step)]
        for _ in range(keys):
            if rng.random() < 0.02:
                row += ["", ""]
                continue
            if spellings and rng.random() < 0.1:
                value = rng.choice(SPELLINGS)
            else:
                value = repr(rng.random())
            ts = f"{t0 + step * 10}.0" if spellings else str(t0 + step * 10)
            row += [value, ts]
        writer.writerow(row)
    return out.getvalue().encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=625_000, help="steps per file")
    ap.add_argument("--keys", type=int, default=16, help="keys per file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--spellings", action="store_true")
    args = ap.parse_args()
    data = make_csv(args.rows, args.keys, spellings=args.spellings)
    keys = tuple(f"key{k}" for k in range(args.keys))
    points = CsvPoints(project="ws/p", run_id="r", keys=keys, data=data)
    best = float("inf")
    n = 0
    for _ in range(args.repeat):
        t = time.perf_counter()
        n = points_frame("src", points).height
        best = min(best, time.perf_counter() - t)
    mb = len(data) / 1e6
    print(
        f"{args.rows} rows x {args.keys} keys ({mb:.1f} MB, {n:,} points): best {best:.3f} s, "
        f"{n / best / 1e6:.1f} M points/s, {mb / best:.0f} MB/s"
    )


if __name__ == "__main__":
    main()
