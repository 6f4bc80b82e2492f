"""SwanLab's wide export CSV (spec 3.7) as a wide frame: ``step``, then ``v{i}``/``t{i}``
(value, timestamp in ms) per requested key, by position, as the SDK reads it. Pure: no I/O.

The header row labels columns ``{run name}-{key}_step`` / ``..._timestamp``; run names and keys
may hold any character, so the header is a real CSV record (quoted fields, even line breaks
inside quotes). It is found by a quote-aware scan and its fields counted by an RFC 4180
tokenizer (lenient only about a bare carriage return inside a field, which Python's own CSV
writer emits unquoted); the
data rows, which hold only numbers, go to polars' CSV reader with an explicit schema (the fast
path: it reads every number spelling a server may use -- ``1e-05``, ``1E5``, ``-0.0``,
``NaN``/``nan``, ``Infinity``/``inf``/``-inf``, ``+1.5`` -- quoted or not, CRLF or LF). Rows that
path refuses are read again as text and converted exactly as Python's ``float()`` would (spaces,
underscores), so nothing the SDK accepts is refused here. Empty cells are gaps; a UTF-8 BOM is
skipped; timestamps written as floats (``1700000000000.0``) are whole milliseconds.

Integrity: the header must have ``1 + 2 * keys`` fields; a data row with more is an error; the
last data row must have exactly as many (a body cut short ends in a short row, which polars would
otherwise read as gaps). Truncation is caught earlier too: the HTTP layer checks the length.
"""

from __future__ import annotations

import re

import polars as pl

from swansync.errors import DataError
from swansync.sources.base import CsvPoints

BOM = b"\xef\xbb\xbf"
# One CSV field: quoted (with doubled quotes and any byte inside, line breaks included) or bare.
# UTF-8 never uses the bytes of '"' or ',' inside a multi-byte character, so bytes are enough.
_FIELD = re.compile(rb'"(?:[^"]|"")*"|[^,"]*')


_EXACT = float(2**53)  # floats are exact integers below this


def _short(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")


class _Export:
    """One export being read; ``fail`` builds its one-line errors."""

    def __init__(self, points: CsvPoints) -> None:
        self.points = points
        self.keys = list(points.keys)
        self.names = ["step"] + [f"{c}{i}" for i in range(len(self.keys)) for c in "vt"]

    def fail(self, what: str) -> DataError:
        return DataError(f"metric export for run {self.points.run_id!r} {what}")

    def header_end(self, data: bytes, start: int) -> int:
        """Offset just past the header record (its line break included): the first line break
        outside double quotes (a doubled quote inside a field toggles twice, harmlessly)."""
        pos = start
        while True:
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl
            quote = data.find(b'"', pos, end)
            if quote < 0:
                return end if nl < 0 else nl + 1
            close = data.find(b'"', quote + 1)
            if close < 0:
                raise self.fail("is malformed: unterminated quote in the header")
            pos = close + 1

    def check_header(self, header: bytes) -> None:
        """The header's field count, read as RFC 4180 does (quoted fields may hold commas,
        doubled quotes and line breaks), must be ``1 + 2 * keys``."""
        record = header[:-1] if header.endswith(b"\n") else header
        record = record[:-1] if record.endswith(b"\r") else record
        pos, n = 0, 0
        while True:
            m = _FIELD.match(record, pos)  # never None: the pattern matches the empty string
            n, pos = n + 1, (m.end() if m else pos)
            if pos >= len(record):
                break
            if record[pos : pos + 1] != b",":
                raise self.fail(f"is malformed: header field {n} is not valid CSV")
            pos += 1
            if pos == len(record):  # a trailing comma: one more, empty, field
                n += 1
                break
        if n != len(self.names):
            raise self.fail(
                f"has {n} columns, expected {len(self.names)} for {len(self.keys)} key(s)"
            )

    def read(self) -> pl.DataFrame:
        """The wide frame (blank lines dropped)."""
        data = self.points.data
        start = len(BOM) if data.startswith(BOM) else 0
        end = self.header_end(data, start)
        if not data[start:end].strip():
            return self._empty()
        self.check_header(data[start:end])
        stop = _content_end(data, end)
        if stop == end:  # no data rows
            return self._empty()
        skip = data.count(b"\n", 0, end)
        try:
            wide = self._read(data, skip, fast=True)
        except pl.exceptions.PolarsError:
            try:
                text = self._read(data, skip, fast=False)
            except pl.exceptions.PolarsError as e:
                self._check_rows(data, end)  # names the bad row when one is off
                first = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise self.fail(f"is malformed: {first[:200]}") from None
            wide = self._slow(text)
        self._check_last_row(data, end, stop)
        return self._drop_blank(wide)

    def _empty(self) -> pl.DataFrame:
        schema = {"step": pl.Int64, **{n: pl.Float64 for n in self.names[1:]}}
        return pl.DataFrame(schema=schema)

    def _read(self, data: bytes, skip: int, *, fast: bool) -> pl.DataFrame:
        schema: dict[str, pl.DataType] = (
            {"step": pl.Int64(), **{n: pl.Float64() for n in self.names[1:]}}
            if fast
            else {n: pl.String() for n in self.names}
        )
        return pl.read_csv(
            data,
            has_header=False,
            skip_lines=skip,
            new_columns=self.names,
            schema=schema,
            null_values=[""],
            quote_char='"',
        )

    def _slow(self, text: pl.DataFrame) -> pl.DataFrame:
        """Text columns -> numbers exactly as Python's ``float()`` reads them (spaces and
        underscores included); blank cells are gaps. Only the cells polars cannot read go
        through Python, once per distinct spelling."""
        cols: list[pl.Series] = []
        for name in self.names:
            raw = text.get_column(name).str.strip_chars()
            raw = pl.select(pl.when(raw.str.len_bytes() > 0).then(raw)).to_series().alias(name)
            num = raw.cast(pl.Float64, strict=False)
            bad = raw.filter(num.is_null() & raw.is_not_null()).unique().to_list()
            if bad:
                fixed = {b: self._float(b, name, text, raw) for b in bad}
                extra = raw.replace_strict(fixed, default=None, return_dtype=pl.Float64)
                num = num.fill_null(extra)
            cols.append(self._step(num, raw) if name == "step" else num.alias(name))
        return pl.DataFrame(cols)

    def _float(self, cell: str, name: str, text: pl.DataFrame, raw: pl.Series) -> float:
        try:
            return float(cell)
        except ValueError:
            pass
        if name == "step":
            raise self.fail(f"has step {_short(cell)}, not a whole number") from None
        row = raw.to_list().index(cell)
        step = text.get_column("step")[row]
        key = self.keys[int(name[1:])]
        what = "value" if name[0] == "v" else "timestamp"
        raise self.fail(
            f"is malformed: key {_short(key)} at step {step}: {_short(cell)} is not a {what}"
        )

    def _step(self, num: pl.Series, raw: pl.Series) -> pl.Series:
        """Integer spellings exactly (a float would round steps past 2**53); other spellings
        (``5.0``, ``1e3``) only when they are whole and small enough to be exact."""
        ints = raw.cast(pl.Int64, strict=False)
        other = ints.is_null() & raw.is_not_null()
        if other.any():
            ok = num.is_finite() & (num.floor() == num) & (num.abs() < _EXACT)
            bad = other & ~ok.fill_null(False)
            if bad.any():
                cell = raw.filter(bad)[0]
                raise self.fail(f"has step {_short(str(cell))}, not a whole number BIGINT holds")
            ints = pl.select(pl.when(other).then(num.cast(pl.Int64)).otherwise(ints)).to_series()
        return ints.alias("step")

    def _drop_blank(self, wide: pl.DataFrame) -> pl.DataFrame:
        no_step = wide.get_column("step").is_null()
        if not no_step.any():
            return wide
        values = pl.all_horizontal(pl.col(self.names[1:]).is_null())
        blank = wide.select(pl.col("step").is_null() & values).to_series()
        if (no_step & ~blank).any():
            raise self.fail("is malformed: a row without a step")
        return wide.filter(~blank)

    def _check_last_row(self, data: bytes, end: int, stop: int) -> None:
        """The last data row must have every field: a body cut short ends in a short row, and
        polars would read the missing cells as gaps. (Counting every row's delimiters would
        cost ~10 % of the parse; a short row elsewhere is read as trailing gaps.)"""
        first = max(data.rfind(b"\n", end, stop) + 1, end)
        n = data.count(b",", first, stop) + 1
        if n != len(self.names):
            self._check_rows(data, end)  # names the first short row (the last one at worst)

    def _check_rows(self, data: bytes, end: int) -> None:
        """Raise naming the first data row whose field count is off (slow; only broken exports
        get here)."""
        row = 0
        for line in data[end:].decode("utf-8", errors="replace").split("\n"):
            if not line.strip():
                continue
            row += 1
            n = line.count(",") + 1
            if n != len(self.names):
                raise self.fail(
                    f"is malformed: row {row} has {n} fields, expected {len(self.names)}"
                )


def _content_end(data: bytes, start: int) -> int:
    """Offset after the last byte of ``data[start:]`` that is not whitespace (``start`` when
    there is none), without copying the (possibly large) body."""
    stop = len(data)
    while stop > start and data[stop - 1 : stop] in (b"\n", b"\r", b"\t", b" "):
        stop -= 1
    return stop


def read_wide(points: CsvPoints) -> pl.DataFrame:
    """``step`` (Int64), then ``v{i}``/``t{i}`` (Float64) per key of ``points``; blank lines
    dropped. Raises :class:`DataError` (one line naming the run) for a malformed export."""
    return _Export(points).read()


def finite_ms(col: str) -> pl.Expr:
    """A Float64 ms column as Int64 milliseconds; NaN, infinities and values whose microseconds
    would not fit 64 bits (beyond the year 294,000) become null."""
    c = pl.col(col)
    return pl.when(c.is_finite() & (c.abs() < 9.2e15)).then(c).cast(pl.Int64, strict=False)
