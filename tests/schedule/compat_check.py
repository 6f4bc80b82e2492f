"""Run under another Python (the DuckDB 1.x venv): ``python compat_check.py SERVING QUERIES_JSON``.

Opens the serving copy read-only with that Python's duckdb, runs each query, then runs the
first query again through SQLAlchemy + duckdb-engine when installed (what Superset does), and
prints ``{"duckdb": version, "results": [[row, ...], ...], "sqlalchemy": [...] | null}``.
Values are returned as strings so that both sides compare independently of driver types.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import duckdb


def rows(result: Any) -> list[list[str | None]]:
    return [[None if v is None else str(v) for v in row] for row in result]


def main() -> None:
    serving, queries = sys.argv[1], json.loads(sys.argv[2])
    con = duckdb.connect(serving, read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    results = [rows(con.execute(q).fetchall()) for q in queries]
    con.close()
    via_sqlalchemy = None
    try:
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool
    except ImportError:
        pass
    else:
        engine = sa.create_engine(f"duckdb:///{serving}?access_mode=read_only", poolclass=NullPool)
        with engine.connect() as c:
            via_sqlalchemy = rows(c.execute(sa.text(queries[0])).fetchall())
        engine.dispose()
    out = {"duckdb": duckdb.__version__, "results": results, "sqlalchemy": via_sqlalchemy}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
