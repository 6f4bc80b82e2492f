"""One place for HTTP policy: timeouts, one retry budget per logical request (statuses,
dropped connections and broken bodies alike) with backoff honouring ``Retry-After``,
accounting, and redaction of secrets. See :mod:`.policy` for what is retried and why."""

from swansync.http.accounting import Accounting
from swansync.http.agent import user_agent
from swansync.http.hosts import Host, parse_host
from swansync.http.policy import (
    RETRY_STATUSES,
    BadBody,
    HttpFault,
    RetryPolicy,
    parse_retry_after,
)
from swansync.http.redact import RedactingFilter, redact, register_secret
from swansync.http.session import PolicySession, make_session
from swansync.http.urllib3_logs import route_urllib3_logs

__all__ = [
    "RETRY_STATUSES",
    "Accounting",
    "BadBody",
    "Host",
    "HttpFault",
    "PolicySession",
    "RedactingFilter",
    "RetryPolicy",
    "make_session",
    "parse_host",
    "parse_retry_after",
    "redact",
    "register_secret",
    "route_urllib3_logs",
    "user_agent",
]
