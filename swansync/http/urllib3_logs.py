"""urllib3's own log lines, routed to ours at DEBUG and redacted."""

from __future__ import annotations

import logging
import threading

from swansync.http.redact import redact

_urllib3_log = logging.getLogger("swansync.http.urllib3")


class _ToOurLog(logging.Filter):
    """Drop every urllib3 record and log it again, redacted, on ``swansync.http.urllib3`` at
    DEBUG: its warnings ("Retrying ...", "Connection pool is full", header parse errors) are
    not for the user's terminal, and they can carry presigned URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _urllib3_log.isEnabledFor(logging.DEBUG):
            try:
                text = record.getMessage()
            except Exception:  # a broken format string: keep its template
                text = str(record.msg)
            _urllib3_log.debug("%s: %s", record.name, redact(text))
        return False


_URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.poolmanager",
    "urllib3.util.retry",
)
_routed = False
_route_lock = threading.Lock()


def route_urllib3_logs() -> None:
    """Install :class:`_ToOurLog` on urllib3's loggers (once per process)."""
    global _routed
    with _route_lock:
        if _routed:
            return
        flt = _ToOurLog()
        for name in _URLLIB3_LOGGERS:
            logging.getLogger(name).addFilter(flt)
        _routed = True
