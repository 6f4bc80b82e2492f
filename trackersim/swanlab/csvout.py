"""The metric export CSV (spec 3.7), written by a real CSV writer.

Layout: a header row (``step``, then ``{experimentName}-{key}_step`` and ``..._timestamp`` per
column), then one row per step, ascending, with empty cells where a column has no point. The
header is written by :mod:`csv` (so a run name or key holding ``,``, ``"``, a newline or a
carriage return is quoted); the plain body keeps a fast path of pre-formatted cells for big
worlds.

The hostile form (world options ``csv_*``) is still valid CSV meaning the same numbers, but:
every field may be quoted (``"0","0.5","1735689600000"``, ``""`` for an empty cell), rows may end
with CRLF, the file may start with a UTF-8 BOM, values come in every spelling
(:func:`~trackersim.swanlab.spell.spell_float`) and millisecond timestamps are sometimes floats.
Spellings are chosen per cell from the job's salt, so one export mixes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from trackersim.swanlab.options import WorldOptions
from trackersim.swanlab.series import CHUNK, Series
from trackersim.swanlab.spell import mix, spell_float, spell_ms

ROWS_PER_BLOCK = 4096
BOM = "\ufeff".encode()


@dataclass(frozen=True)
class CsvFormat:
    quote_all: bool = False
    crlf: bool = False
    bom: bool = False
    spell_values: bool = False
    float_timestamps: bool = False
    salt: int = 0

    @property
    def plain(self) -> bool:
        return not (
            self.quote_all or self.crlf or self.bom or self.spell_values or self.float_timestamps
        )

    @classmethod
    def of(cls, options: WorldOptions, salt: int) -> CsvFormat:
        quoting = options.csv_quoting
        quote_all = quoting == "all" or (quoting == "mixed" and mix(salt, 1) % 2 == 1)
        return cls(
            quote_all=quote_all,
            crlf=options.csv_crlf,
            bom=options.csv_bom,
            spell_values=options.csv_number_spellings,
            float_timestamps=options.csv_float_timestamps,
            salt=salt,
        )


@dataclass(frozen=True)
class CsvJob:
    header: list[str]
    columns: list[tuple[Series | None, int]]  # series (None = no data) and snapshot count
    fmt: CsvFormat = CsvFormat()


def csv_blocks(job: CsvJob) -> Iterator[bytes]:
    """The export CSV in blocks: header, then one row per step (ascending)."""
    fmt = job.fmt
    yield (BOM if fmt.bom else b"") + _header_text(job.header, fmt).encode()
    present = [(s, n) for s, n in job.columns if s is not None and n > 0]
    if not present:
        return
    if not fmt.plain:
        yield from _hostile(job.columns, fmt)
        return
    grids = {(s.step_base + s.first_t, s.every) for s, _ in present}
    if len(grids) == 1:
        yield from _aligned(job.columns, present[0][0])
    else:
        yield from _merged(job.columns)


def _header_text(header: list[str], fmt: CsvFormat) -> str:
    """The header row. Python's writer quotes a field holding a bare ``\\r`` only when ``\\r``
    is part of the line terminator, so the row is written with CRLF and its terminator (always
    the last two characters) swapped for LF afterwards when the export uses LF."""
    text = _rows_text([header], CsvFormat(quote_all=fmt.quote_all, crlf=True))
    return text if fmt.crlf else text[:-2] + "\n"


def _rows_text(rows: list[list[str]], fmt: CsvFormat) -> str:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        quoting=csv.QUOTE_ALL if fmt.quote_all else csv.QUOTE_MINIMAL,
        lineterminator="\r\n" if fmt.crlf else "\n",
    )
    writer.writerows(rows)
    return buf.getvalue()


def _hostile(columns: list[tuple[Series | None, int]], fmt: CsvFormat) -> Iterator[bytes]:
    """Every row through ``csv.writer`` with cells in mixed spellings."""
    cells: dict[int, list[str]] = {}
    width = len(columns)
    for col, (series, n) in enumerate(columns):
        if series is None or n <= 0:
            continue
        for step, value, ts in series.iter_points(n):
            row = cells.get(step)
            if row is None:
                row = cells[step] = [""] * (2 * width)
            h = mix(fmt.salt, col, step)
            row[2 * col] = spell_float(value, h) if fmt.spell_values else _plain(value)
            row[2 * col + 1] = spell_ms(ts, h >> 8) if fmt.float_timestamps else str(ts)
    steps = sorted(cells)
    for b in range(0, len(steps), ROWS_PER_BLOCK):
        rows = [[str(st), *cells[st]] for st in steps[b : b + ROWS_PER_BLOCK]]
        yield _rows_text(rows, fmt).encode()


def _plain(value: float) -> str:
    return "NaN" if value != value else repr(value)


# -- the plain fast paths -------------------------------------------------------------------------
def _aligned(columns: list[tuple[Series | None, int]], ref: Series) -> Iterator[bytes]:
    n_max = max(n for _, n in columns)
    s0, every = ref.step(0), ref.every
    for c in range((n_max + CHUNK - 1) // CHUNK):
        i0 = c * CHUNK
        m = min(CHUNK, n_max - i0)
        steps = range(s0 + i0 * every, s0 + (i0 + m) * every, every)
        single = columns[0][0] if len(columns) == 1 else None
        if single is not None:
            yield ("\n".join(single.rows_chunk(c, m)) + "\n").encode()
            continue
        cols: list[list[str]] = []
        for series, n in columns:
            k = 0 if series is None else max(0, min(m, n - i0))
            cells = series.cells_chunk(c)[:k] if series is not None and k else []
            if k < m:
                cells = cells + [","] * (m - k)
            cols.append(cells)
        rows = [f"{st},{','.join(cs)}" for st, *cs in zip(steps, *cols, strict=True)]
        yield ("\n".join(rows) + "\n").encode()


def _merged(columns: list[tuple[Series | None, int]]) -> Iterator[bytes]:
    maps: list[dict[int, str]] = []
    for series, n in columns:
        cells: dict[int, str] = {}
        if series is not None:
            for c in range((n + CHUNK - 1) // CHUNK):
                chunk = series.cells_chunk(c)
                for j in range(min(CHUNK, n - c * CHUNK)):
                    cells[series.step(c * CHUNK + j)] = chunk[j]
        maps.append(cells)
    steps = sorted(set().union(*maps))
    for b in range(0, len(steps), ROWS_PER_BLOCK):
        rows = [
            f"{st}," + ",".join(mp.get(st, ",") for mp in maps)
            for st in steps[b : b + ROWS_PER_BLOCK]
        ]
        yield ("\n".join(rows) + "\n").encode()
