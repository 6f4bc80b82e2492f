"""Where a lake is: its catalog URI and its data path, and the SQL that attaches it.

``ducklake:postgres:dbname=... host=... port=... user=...`` names a DuckLake whose catalog is a
PostgreSQL database (a libpq connection string after ``ducklake:postgres:``). The catalog's
password never travels in it: libpq reads ``PGPASSWORD`` or ``~/.pgpass``, because DuckDB's
connection errors repeat the connection string verbatim (docs/ducklake.md F13). The data path is
a folder or ``s3://bucket/prefix/``; S3 credentials come from the standard ``AWS_*`` variables
and become a DuckDB secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from swansync.errors import ConfigError

PREFIX = "ducklake:"
_CATALOG = "ducklake:postgres:"
# libpq keyword=value pairs; values may be single-quoted.
_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def is_lake_uri(db: object) -> bool:
    """True for a ``ducklake:...`` warehouse address (anything else is a DuckDB file)."""
    return isinstance(db, str) and db.startswith(PREFIX)


@dataclass(frozen=True)
class LakeAddress:
    """A lake's catalog (a libpq connection string without a password) and data path."""

    dsn: str
    data_path: str | None = None

    @property
    def uri(self) -> str:
        return _CATALOG + self.dsn

    def __str__(self) -> str:
        return self.uri


def parse(uri: str, data_path: str | None = None) -> LakeAddress:
    """Check a ``ducklake:postgres:...`` URI and a data path; one clear line when wrong."""
    if not uri.startswith(_CATALOG):
        raise ConfigError(
            f"unsupported lake {uri.split(' ')[0]!r}: swansync supports "
            "ducklake:postgres:dbname=... host=... port=... user=... (a PostgreSQL catalog)"
        )
    dsn = uri[len(_CATALOG) :].strip()
    keys = [m.group(1).lower() for m in _PAIR.finditer(dsn)]
    if not keys:
        raise ConfigError(
            "the lake URI names no catalog database: give "
            "ducklake:postgres:dbname=... host=... port=... user=..."
        )
    if "password" in keys:
        raise ConfigError(
            "the lake URI holds a password: remove password=... and give it in PGPASSWORD or "
            "~/.pgpass (connection errors would repeat the URI in logs)"
        )
    if "dbname" not in keys:
        raise ConfigError("the lake URI names no database: add dbname=... after ducklake:postgres:")
    return LakeAddress(dsn, normalize_data_path(data_path) if data_path else None)


def normalize_data_path(data_path: str) -> str:
    """``s3://bucket/prefix`` or a folder, ending in ``/`` (a folder made absolute)."""
    path = data_path.strip()
    if not path:
        raise ConfigError("data_path is empty: give a folder or s3://bucket/prefix/")
    if "://" in path:
        scheme = path.split("://", 1)[0].lower()
        if scheme not in ("s3", "r2", "gcs", "gs"):
            raise ConfigError(
                f"data_path {path!r}: use a folder or s3://bucket/prefix/ (not {scheme}://)"
            )
        if not urlsplit(path).netloc:
            raise ConfigError(f"data_path {path!r} names no bucket: use s3://bucket/prefix/")
        return path if path.endswith("/") else path + "/"
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"data_path folder {str(folder)!r} does not exist: create it first")
    return str(folder) + "/"


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def s3_secret_sql(env: Mapping[str, str], name: str = "swansync_s3") -> str | None:
    """``CREATE SECRET`` for S3 from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
    ``AWS_SESSION_TOKEN`` / ``AWS_REGION`` and, for an S3-compatible store,
    ``AWS_ENDPOINT_URL`` (``http://host:port``: path-style URLs); None without credentials."""
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        return None
    parts = ["TYPE s3", f"KEY_ID {literal(key_id)}", f"SECRET {literal(secret)}"]
    if env.get("AWS_SESSION_TOKEN"):
        parts.append(f"SESSION_TOKEN {literal(env['AWS_SESSION_TOKEN'])}")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    parts.append(f"REGION {literal(region)}")
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        url = urlsplit(endpoint)
        parts += [
            f"ENDPOINT {literal(url.netloc or url.path)}",
            "URL_STYLE 'path'",
            f"USE_SSL {'true' if url.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE SECRET {name} ({', '.join(parts)})"


def attach_sql(address: LakeAddress, alias: str, *, read_only: bool = False) -> str:
    options = []
    if address.data_path:
        options.append(f"DATA_PATH {literal(address.data_path)}")
    if read_only:
        options.append("READ_ONLY")
    opts = f" ({', '.join(options)})" if options else ""
    return f"ATTACH {literal(address.uri)} AS {alias}{opts}"


__all__ = [
    "PREFIX",
    "LakeAddress",
    "attach_sql",
    "is_lake_uri",
    "literal",
    "normalize_data_path",
    "parse",
    "s3_secret_sql",
]
