"""Loading DuckDB extensions: from their PyPI wheels when installed, else the normal way.

The PyPI packages ``duckdb-extension-<name>`` (for example ``duckdb-extension-ducklake==1.5.5``)
carry one file, ``duckdb_extension_<name>/extensions/v<duckdb version>/<name>.duckdb_extension``,
and no code that loads it. A machine without access to DuckDB's extension repository (offline,
or a locked-down CI) can still load such a file by path with ``LOAD '<path>'``, with
autoinstall off. Where no wheel for the running DuckDB is installed, ``INSTALL <name>`` then
``LOAD <name>`` fetch it from the repository as DuckDB always does.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from swansync.errors import WarehouseError

# Names DuckDB accepts for an extension, mapped to the name of its file and wheel.
_ALIASES = {"postgres": "postgres_scanner", "sqlite": "sqlite_scanner", "mysql": "mysql_scanner"}

Origin = Literal["loaded", "built-in", "wheel", "repository"]


@dataclass(frozen=True)
class Loaded:
    """Which extension was loaded and from where (``path`` for a wheel's file)."""

    name: str
    origin: Origin
    path: Path | None = None


def canonical_name(name: str) -> str:
    """``postgres`` -> ``postgres_scanner``: the name of the extension's file and wheel."""
    low = name.strip().lower()
    return _ALIASES.get(low, low)


def wheel_file(name: str, version: str | None = None) -> Path | None:
    """The extension file shipped by the installed ``duckdb-extension-<name>`` wheel for DuckDB
    ``version`` (default: the running one), or None when no such wheel is installed."""
    name = canonical_name(name)
    version = version or duckdb.__version__
    try:
        spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
        if path.is_file():
            return path
    return None


def _state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[bool, bool, str] | None:
    row = con.execute(
        "SELECT loaded, installed, coalesce(install_path, '') FROM duckdb_extensions() "
        "WHERE extension_name = ? OR list_contains(aliases, ?)",
        [name, name],
    ).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), str(row[2]))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> Loaded:
    """Load extension ``name`` into ``con``: nothing to do when it is loaded or built in; from
    its wheel's file when one for this DuckDB is installed; else ``INSTALL`` + ``LOAD``.

    Raises :class:`WarehouseError` with one line naming the extension and the fix.
    """
    name = canonical_name(name)
    state = _state(con, name)
    if state is not None and state[0]:
        return Loaded(name, "built-in" if state[2] == "(BUILT-IN)" else "loaded")
    path = wheel_file(name)
    if path is not None:
        try:
            con.execute(f"LOAD {_literal(str(path))}")
        except duckdb.Error as e:
            raise WarehouseError(
                f"cannot load DuckDB extension {name!r} from {path}: {e}".splitlines()[0]
            ) from e
        return Loaded(name, "wheel", path)
    try:
        if state is None or not state[1]:
            con.execute(f"INSTALL {name}")
        con.execute(f"LOAD {name}")
    except duckdb.Error as e:
        pkg = f"duckdb-extension-{name.replace('_', '-')}=={duckdb.__version__}"
        raise WarehouseError(
            f"DuckDB extension {name!r} is not available ({str(e).splitlines()[0]}): "
            f"pip install {pkg}, or let DuckDB reach its extension repository"
        ) from e
    return Loaded(name, "repository")


def load_extensions(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[Loaded]:
    """:func:`load_extension` for each of ``names``, in order."""
    return [load_extension(con, n) for n in names]


__all__ = ["Loaded", "canonical_name", "load_extension", "load_extensions", "wheel_file"]
