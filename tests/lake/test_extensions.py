"""The lake's extensions load from their PyPI wheels, by path, with autoinstall off."""

from __future__ import annotations

from pathlib import Path

import duckdb

from swansync.warehouse.extensions import load_extension, load_extensions, wheel_file


def test_lake_extensions_load_from_the_wheels_with_autoinstall_off(tmp_path):
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            # Nothing may be installed into (or read from) the user's extension folder.
            "extension_directory": str(tmp_path / "ext"),
        }
    )
    loaded = load_extensions(con, ["ducklake", "postgres", "httpfs"])
    assert [(x.name, x.origin) for x in loaded] == [
        ("ducklake", "wheel"),
        ("postgres_scanner", "wheel"),
        ("httpfs", "wheel"),
    ]
    for x in loaded:
        assert x.path == wheel_file(x.name)
        assert x.path is not None and x.path.parts[-2] == f"v{duckdb.__version__}"
        assert "site-packages" in x.path.parts
    assert load_extension(con, "ducklake").origin == "loaded"
    got = con.execute(
        "SELECT extension_name, loaded, installed FROM duckdb_extensions() "
        "WHERE extension_name IN ('ducklake', 'postgres_scanner', 'httpfs') ORDER BY 1"
    ).fetchall()
    assert got == [(n, True, False) for n in ("ducklake", "httpfs", "postgres_scanner")]
    assert not Path(tmp_path / "ext").exists()
