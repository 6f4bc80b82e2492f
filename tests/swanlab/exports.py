"""Export CSVs as a server we did not write may send them, and names that attack them."""

from __future__ import annotations

import csv
import io
import math

# Names a SwanLab user may legally give a run or a metric key.
HOSTILE = [
    "loss",
    "a,b",
    'say "hi"',
    "it's",
    "line\nbreak",
    "cr\r\nlf",
    "tab\there",
    "semi;colon",
    " padded ",
    "train/loss",
    "100%",
    "back\\slash",
    "ünïcödé 损失",
    "🔥 emoji 🚀",
    "x" * 300,
    "Loss",  # differs from "loss" only in case
    "1e5",  # looks like a number
    "step",  # looks like the step column
    '",",',  # only specials
    "",  # empty
]
Point = tuple[int, float, int]  # step, value, ts_ms


def write_export(
    label: str,
    series: dict[str, list[tuple[int, str, str]]],
    *,
    crlf: bool = False,
    bom: bool = False,
    quote_all: bool = False,
) -> bytes:
    """An export as a real CSV writer writes it; ``series`` maps key -> (step, value text,
    ts text); steps missing from a key are empty cells."""
    out = io.StringIO(newline="")
    w = csv.writer(
        out,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    w.writerow(
        ["step"] + [h for k in series for h in (f"{label}-{k}_step", f"{label}-{k}_timestamp")]
    )
    steps = sorted({s for pts in series.values() for s, _, _ in pts})
    cells = {k: {s: (v, t) for s, v, t in pts} for k, pts in series.items()}
    for step in steps:
        row = [str(step)]
        for k in series:
            row += list(cells[k].get(step, ("", "")))
        w.writerow(row)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def same(a: float, b: float) -> bool:
    """Equal as IEEE values: NaN equals NaN, and -0.0 differs from 0.0."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)
