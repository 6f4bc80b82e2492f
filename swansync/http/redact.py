"""Redaction of secrets in any text swansync logs or raises: API keys, session ids and the
signatures of presigned object-storage URLs."""

from __future__ import annotations

import logging
import re
import threading

# Query parameters that carry a credential or a signature (S3, COS, OSS, generic tokens).
_SECRET_QUERY = re.compile(
    r"(?i)((?<![\w-])(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|q-signature|"
    r"q-sign-algorithm|q-ak|q-key-time|q-header-list|q-url-param-list|Expires|OSSAccessKeyId|"
    r"x-oss-signature|x-oss-credential|x-cos-security-token|token|access_token|api_key|apikey)=)"
    r"[^&#\s'\"]*"
)
# A URL whose query is signed: the whole query goes (a signature may hide under any name).
_SIGNED_URL = re.compile(
    r"(?i)(\bhttps?://[^\s?#'\"<>]+)\?([^\s#'\"<>]*(?:signature|x-amz-|q-sign|x-oss-|x-cos-|"
    r"ossaccesskeyid|expires=|token=|sig=)[^\s#'\"<>]*)"
)
_SID = re.compile(r"(?i)(\bsid\s*[=:]\s*\"?)[^;,\s'\"&]+")
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:authorization|x-api-key)\s*[:=]\s*['\"]?)(?:ApiKey\s+|Bearer\s+)?[^\s,'\"}]+"
)
_extra_secrets: set[str] = set()
_extra_lock = threading.Lock()


def register_secret(secret: str) -> None:
    """Make :func:`redact` remove this literal value (an API key, a session id) wherever it
    appears. Short strings are ignored so that redaction cannot mangle ordinary text."""
    if secret and len(secret) >= 6:
        with _extra_lock:
            _extra_secrets.add(secret)


def redact(text: str) -> str:
    """Remove API keys, ``sid`` cookies and presigned URL signatures (the whole query string of
    a signed URL) from ``text``."""
    with _extra_lock:
        secrets = sorted(_extra_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    text = _SIGNED_URL.sub(r"\1?<signed query redacted>", text)
    text = _SECRET_QUERY.sub(r"\1***", text)
    text = _SID.sub(r"\1***", text)
    return _AUTH_HEADER.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
