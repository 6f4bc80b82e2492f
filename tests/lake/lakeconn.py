"""Connecting DuckDB to a DuckLake the way swansync will: extensions from the wheels (autoinstall
off), the PostgreSQL catalog's password from ``PGPASSWORD`` (libpq reads it), S3 credentials from
the ``AWS_*`` environment variables turned into a DuckDB secret.

Importable by the worker processes the tests start (``python -m tests.lake.worker``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import duckdb

from swansync.warehouse.extensions import load_extensions


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def s3_secret_sql(env: Mapping[str, str], name: str = "swansync_s3") -> str:
    """``CREATE SECRET`` for S3 from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION and,
    for an S3-compatible store, AWS_ENDPOINT_URL (``http://host:port`` -> path-style, no TLS)."""
    parts = ["TYPE s3"]
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        raise ValueError("S3 data path needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    parts += [f"KEY_ID {literal(key_id)}", f"SECRET {literal(secret)}"]
    parts.append(f"REGION {literal(env.get('AWS_REGION') or 'us-east-1')}")
    endpoint = env.get("AWS_ENDPOINT_URL")
    if endpoint:
        url = urlsplit(endpoint)
        parts += [
            f"ENDPOINT {literal(url.netloc)}",
            "URL_STYLE 'path'",
            f"USE_SSL {'true' if url.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE SECRET {name} ({', '.join(parts)})"


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake's extensions loaded and autoinstall/autoload off, so
    nothing is fetched from the network behind our back."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    )
    load_extensions(con, ["ducklake", "postgres_scanner", "httpfs"])
    con.execute("SET TimeZone = 'UTC'")
    return con


def attach_sql(catalog_dsn: str, data_path: str | None, alias: str = "lake") -> str:
    opts = f" (DATA_PATH {literal(data_path)})" if data_path else ""
    return f"ATTACH {literal('ducklake:postgres:' + catalog_dsn)} AS {alias}{opts}"


def connect(
    catalog_dsn: str,
    data_path: str | None,
    *,
    alias: str = "lake",
    env: Mapping[str, str] | None = None,
    use: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A connection with the lake attached as ``alias`` (and selected with USE)."""
    env = os.environ if env is None else env
    con = new_connection()
    # A lake attached without DATA_PATH keeps the one stored in its catalog: S3 credentials
    # in the environment are for it.
    s3 = data_path.startswith("s3://") if data_path else bool(env.get("AWS_ACCESS_KEY_ID"))
    if s3:
        con.execute(s3_secret_sql(env))
    con.execute(attach_sql(catalog_dsn, data_path, alias))
    if use:
        con.execute(f"USE {alias}")
    return con
