"""swansync.warehouse.extensions on whatever DuckDB this environment has (the wheel-backed
loads are checked in tests/lake/test_extensions.py, inside .venv-lake)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from swansync.errors import WarehouseError
from swansync.warehouse.extensions import canonical_name, load_extension, wheel_file


def fake_wheel(root: Path, name: str, version: str, content: bytes = b"not a library") -> Path:
    """The layout a duckdb-extension-<name> wheel installs."""
    folder = root / f"duckdb_extension_{name}" / "extensions" / f"v{version}"
    folder.mkdir(parents=True)
    (root / f"duckdb_extension_{name}" / "__init__.py").write_text("")
    path = folder / f"{name}.duckdb_extension"
    path.write_bytes(content)
    return path


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for mod in [m for m in sys.modules if m.startswith("duckdb_extension_swansyncfake")]:
        del sys.modules[mod]


def test_aliases_name_the_file_and_wheel():
    assert canonical_name("postgres") == "postgres_scanner"
    assert canonical_name(" DuckLake ") == "ducklake"


def test_wheel_file_only_for_the_running_duckdb_version(site):
    path = fake_wheel(site, "swansyncfake", duckdb.__version__)
    assert wheel_file("swansyncfake") == path
    assert wheel_file("swansyncfake", version="0.0.1") is None
    assert wheel_file("swansyncfake_absent") is None


def test_a_broken_wheel_file_is_one_clear_error(site):
    path = fake_wheel(site, "swansyncfake", duckdb.__version__)
    con = duckdb.connect()
    with pytest.raises(WarehouseError) as caught:
        load_extension(con, "swansyncfake")
    message = str(caught.value)
    assert message.startswith(f"cannot load DuckDB extension 'swansyncfake' from {path}")
    assert "\n" not in message


def test_without_a_wheel_it_installs_from_the_repository_and_says_how_to_fix_a_failure(tmp_path):
    con = duckdb.connect(config={"autoinstall_known_extensions": "false"})
    # A repository that does not exist stands for "no network": the failure names the wheel.
    con.execute(f"SET custom_extension_repository = '{tmp_path / 'nowhere'}'")
    con.execute(f"SET extension_directory = '{tmp_path / 'ext'}'")
    with pytest.raises(WarehouseError) as caught:
        load_extension(con, "swansyncfake_absent")
    message = str(caught.value)
    assert "DuckDB extension 'swansyncfake_absent' is not available" in message
    assert f"pip install duckdb-extension-swansyncfake-absent=={duckdb.__version__}" in message
    assert "\n" not in message


def test_built_in_extensions_need_nothing():
    con = duckdb.connect()
    assert load_extension(con, "json").origin in ("built-in", "loaded")
