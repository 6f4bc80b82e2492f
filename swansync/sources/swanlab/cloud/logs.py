"""Console logs from the SwanLab metric store (spec 3.10, U11, U16), only what is new.

Pages: ``GET /house/metrics/log?projectId&experimentId&size=1000&epoch=<page>&level=DEBUG&
createdAt[&rootProId&rootExpId]``. The request's ``epoch`` is a page index of 1,000 lines (the
SDK calls it a shard), while each line's ``epoch`` is the run's own line counter, from 1: that is
``seq``. ``level`` is a minimum, so DEBUG asks for every line (the SDK's default, INFO, drops the
DEBUG ones). The answer's ``count`` is the run's line count; a page past the end is empty.

Where to start: with counters 1, 2, 3, ... (what the SDK writes) the line after ``after_seq`` is
line number ``after_seq``, so the page holding line ``after_seq - 1`` is asked first and
``count`` says whether another page exists: a run with nothing new costs one request. Counters
with gaps are found out (a page's first counter above the one wanted) and the start page is then
looked for by bisection, so gaps cost a few requests, never a line.

Long logs come from the export instead (``POST /house/metrics/log/export``, then
``/files/presigned/get`` and a streamed download), 500,000 rows per export, when at least
:data:`EXPORT_MIN_LINES` new lines are waiting after the first page: pages cost one request per
1,000 lines, an export about six whatever its size (bench/log_crossover.py: with a 50 ms round
trip 5,000 lines read in 0.46 s by pages and 0.51 s by export, 10,000 in 1.02 s and 0.59 s).
The export file is read as ``<timestamp> <LEVEL> <message>`` rows (U16: the SDK never downloads
it, so this is our reading) and carries no counter:
row ``i`` of an export from ``start`` is line ``start + i + 1``, which holds only for gap-free
counters, so the export is used only where the pages at both ends of its range show them gap-free.
A row that does not read, a body cut short, or an export that ends early sends the rest back to
pages: nothing is lost, only speed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from swansync.errors import ApiError, DataError, FatalApiError
from swansync.sources.base import MAX_LOG_LINE, LogRecord, RunRecord
from swansync.sources.console import RepairLog, clean_text, decode_line, split_lines
from swansync.sources.swanlab.cloud import parse
from swansync.sources.swanlab.cloud.client import SwanLabClient
from swansync.sources.swanlab.cloud.export import LINK_REFUSED, presign

log = logging.getLogger(__name__)

PAGE = 1000  # lines per page: the only size the SDK sends
LEVEL = "DEBUG"  # the lowest level: every line
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
EXPORT_ROWS = 500_000  # the export's cap
EXPORT_MIN_LINES = 8_000  # fewer new lines: pages are as fast (bench/log_crossover.py)
PAGE_ROUTE = "GET /house/metrics/log"
EXPORT_ROUTE = "POST /house/metrics/log/export"


class Repairs(RepairLog):
    """Console lines repaired during a pull, for ``Source.warnings``: one warning per pull that
    counts them (see :class:`~swansync.sources.console.RepairLog`). Thread-safe."""

    def warner(self, project: str, run_id: str) -> Callable[[int, Sequence[str]], None]:
        """What a run's reader calls with a line's ``seq`` and what was repaired in it."""

        def warn(seq: int, problems: Sequence[str]) -> None:
            self.add(project, run_id, seq, problems)

        return warn


def _seq(obj: Any, what: str) -> int:
    """A line's own counter (its ``epoch``)."""
    if not isinstance(obj, dict):
        raise DataError(f"{what}: a line is a {type(obj).__name__}, not an object")
    seq = obj.get("epoch")
    if isinstance(seq, bool) or not isinstance(seq, int | float) or int(seq) != seq:
        raise DataError(f"{what}: a line has no integer 'epoch' ({seq!r})")
    return int(seq)


def line_time(value: Any) -> datetime | None:
    """A line's ``timestamp`` (U12: ISO-8601 seen so far): the C parser first (a console has
    millions of lines), the lenient one for what it refuses; None when unreadable."""
    if isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    try:
        return parse.parse_time(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Page:
    number: int
    seqs: list[int]  # every line's counter, in page order
    lines: list[LogRecord]  # the lines read: those above the page's ``keep_above``
    count: int  # the run's line count when this page was answered
    repaired: dict[int, list[str]]  # seq -> what had to be repaired in that line

    @property
    def first(self) -> int | None:
        return self.seqs[0] if self.seqs else None

    def gap_free(self) -> bool:
        """Every line's counter equals its position + 1."""
        base = self.number * PAGE
        return all(seq == base + j + 1 for j, seq in enumerate(self.seqs))


class ConsoleReader:
    """The console of one run. ``warn`` receives each line's ``seq`` and what was repaired in
    it (nothing, mostly)."""

    def __init__(
        self,
        client: SwanLabClient,
        ref: dict[str, Any],
        project: str,
        run: RunRecord,
        warn: Callable[[int, Sequence[str]], None],
        *,
        export_min: int = EXPORT_MIN_LINES,
    ) -> None:
        self.client = client
        self.ref = ref
        self.project = project
        self.run = run
        self.rid = run["run_id"]
        self.warn = warn
        self.export_min = export_min

    # -- pages -----------------------------------------------------------------------------

    def page(self, number: int, keep_above: int = 0) -> Page:
        """Page ``number``; lines numbered ``keep_above`` or lower are only counted, not read
        (a running run's no-op pull asks for the page it already holds, to see what is new)."""
        params = {
            "projectId": self.ref["projectId"],
            "experimentId": self.ref["experimentId"],
            "size": PAGE,
            "epoch": number,
            "level": LEVEL,
        }
        for k in ("rootProId", "rootExpId"):
            if k in self.ref:
                params[k] = self.ref[k]
        params["createdAt"] = self.ref["createdAt"]
        what = f"console page {number} of run {self.rid!r}"
        body = self.client.call(
            "GET", "/house/metrics/log", params=params, route=PAGE_ROUTE, what=what, lenient=True
        )
        if not isinstance(body, dict):
            raise DataError(f"{what}: expected an object with 'logs', got {type(body).__name__}")
        raw = body.get("logs") or []
        count = body.get("count")
        if not isinstance(raw, list):
            raise DataError(f"{what}: 'logs' should be a list")
        if isinstance(count, bool) or not isinstance(count, int | float):
            count = number * PAGE + len(raw)  # no count: as many as seen (U11)
        seqs: list[int] = []
        lines: list[LogRecord] = []
        repaired: dict[int, list[str]] = {}
        for obj in raw:
            seq = _seq(obj, what)
            seqs.append(seq)
            if seq <= keep_above:
                continue
            rec, problems = self._line(obj, seq)
            lines.append(rec)
            if problems:
                repaired[seq] = problems
        for a, b in pairwise(seqs):
            if b <= a:
                raise DataError(f"{what}: line counters go backwards ({a}, {b})")
        return Page(number, seqs, lines, int(count), repaired)

    def _line(self, obj: dict[str, Any], seq: int) -> tuple[LogRecord, list[str]]:
        message = obj.get("message")
        text, problems = clean_text(message if isinstance(message, str) else str(message or ""))
        level = obj.get("level")
        tag = obj.get("tag")
        ts = line_time(obj.get("timestamp"))
        rec = LogRecord(
            project=self.project,
            run_id=self.rid,
            seq=seq,
            ts=ts,
            level=level.upper() if isinstance(level, str) and level else None,
            stream=None,  # the cloud does not say stdout or stderr
            text=text,
            tag=tag if isinstance(tag, str) and tag else None,
        )
        return rec, problems

    def _start(self, after: int) -> Page:
        """The page to read from: it holds the first line above ``after``, or is the last."""
        guess = max(0, (after - 1) // PAGE)
        page = self.page(guess, after)
        if not page.seqs and guess > 0:
            if page.count <= 0:
                return page
            guess = min(guess - 1, (page.count - 1) // PAGE)
            page = self.page(guess, after)
        first = page.first
        if first is None or first <= after + 1 or guess == 0:
            return page
        # Gaps in the counters: the wanted line sits on an earlier page. Bisect for the last
        # page whose first counter is <= after + 1 (counters grow with the position).
        lo, hi, best = 0, guess - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            probe = self.page(mid, after)
            if probe.first is not None and probe.first <= after + 1:
                best, lo = probe, mid + 1
            else:
                hi = mid - 1
        return best or self.page(0, after)

    # -- the whole read --------------------------------------------------------------------

    def lines(self, after_seq: int | None) -> Iterator[LogRecord]:
        """Every line with ``seq > after_seq``, in order, read by pages and exports."""
        after = after_seq or 0
        page = self._start(after)
        exports = True  # off once an export could not be used: pages from then on
        while True:
            for ln in page.lines:
                if ln["seq"] > after:
                    if ln["seq"] in page.repaired:
                        self.warn(ln["seq"], page.repaired[ln["seq"]])
                    yield ln
                    after = ln["seq"]
            if len(page.seqs) < PAGE or page.count <= (page.number + 1) * PAGE:
                return  # the last page, as far as the latest count knows
            nxt = page.number + 1
            if (
                exports
                and page.count - nxt * PAGE >= self.export_min
                and after == nxt * PAGE
                and page.gap_free()
            ):
                reached = yield from self._exported(after, page.count)
                exports = reached == page.count  # stopped short: the rest by pages
                after = reached
                page = self._start(after)  # what the exports did not give, or came since
                continue
            page = self.page(nxt, after)

    # -- exports ---------------------------------------------------------------------------

    def _exported(self, start: int, count: int) -> Generator[LogRecord, None, int]:
        """Lines ``start + 1 .. count`` through exports of at most 500,000 rows, each used only
        when the page holding its last row is gap-free too. Returns the last counter yielded;
        stops early (the caller goes on with pages) on anything unexpected."""
        while start < count:
            rows = min(EXPORT_ROWS, count - start)
            end_page = self.page((start + rows - 1) // PAGE, start + rows)  # counted only
            if not end_page.gap_free() or end_page.count < start + rows:
                log.info("run %s: console counters have gaps; reading pages", self.rid)
                return start
            got = 0
            try:
                for rec in self._export_rows(start, rows):
                    yield rec
                    got += 1
            except (ApiError, DataError) as e:
                log.info(
                    "run %s: console export stopped after %d of %d rows (%s); reading pages",
                    self.rid,
                    got,
                    rows,
                    e,
                )
                return start + got
            start += got
            if got < rows:
                log.info("run %s: console export ended early; reading pages", self.rid)
                return start
        return start

    def _export_rows(self, start: int, rows: int) -> Iterator[LogRecord]:
        """Rows ``start .. start + rows - 1`` of one export (lines ``start + 1 ..``)."""
        what = f"console export of run {self.rid!r}"
        body = self.client.call(
            "POST",
            "/house/metrics/log/export",
            body={
                "projectId": self.ref["projectId"],
                "experimentId": self.ref["experimentId"],
                "start": start,
                "rows": rows,
                **{k: self.ref[k] for k in ("rootProId", "rootExpId") if k in self.ref},
                "createdAt": self.ref["createdAt"],
            },
            route=EXPORT_ROUTE,
            what=what,
        )
        cos = body.get("cosKey") if isinstance(body, dict) else None
        if not isinstance(cos, str) or not cos:
            raise DataError(f"{what}: answer has no cosKey")
        try:
            _, pieces = self.client.open_stream(presign(self.client, [cos], what)[0], **_GET)
        except FatalApiError as e:
            if e.status not in LINK_REFUSED:
                raise
            # Refused on first use (expired on the way): the same object, a fresh link.
            _, pieces = self.client.open_stream(presign(self.client, [cos], what)[0], **_GET)
        try:
            seq = start
            for raw in split_lines(pieces, keep=MAX_LOG_LINE + 1024):
                if seq - start >= rows:
                    return  # rows appended after the export was asked for: pages read them
                head, _, rest = raw.head.partition(b" ")
                level, _, message = rest.partition(b" ")
                lvl = level.decode("ascii", "replace")
                ts = line_time(head.decode("ascii", "replace"))
                if ts is None or lvl not in LEVELS:
                    raise DataError(f"{what}: row {seq - start + 1} is not '<time> <LEVEL> <text>'")
                text, problems = decode_line(message, raw.total - len(head) - len(level) - 2)
                seq += 1
                if problems:
                    self.warn(seq, problems)
                yield LogRecord(
                    project=self.project,
                    run_id=self.rid,
                    seq=seq,
                    ts=ts,
                    level=lvl,
                    stream=None,
                    text=text,
                    tag=None,
                )
        finally:
            pieces.close()  # type: ignore[attr-defined]


_GET: dict[str, Any] = {"route": "GET <presigned log>", "what": "console export download"}
