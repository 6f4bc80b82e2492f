"""Bad warehouse paths at the command line: one line, exit 2, nothing created or changed."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture
def foreign(tmp_path):
    db = tmp_path / "app.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE runs (id INTEGER)")
    return db


def run(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """Through the real entry point (which turns errors into one line and an exit code)."""
    from swansync.cli import main

    monkeypatch.setattr("sys.argv", ["swansync", *args])
    with pytest.raises(SystemExit) as e:
        main()
    captured = capsys.readouterr()
    return int(e.value.code or 0), captured.err


@pytest.mark.parametrize("command", [["status"], ["views", "apply"], ["demo"]])
def test_another_applications_file_is_refused_with_one_line(command, foreign, capsys, monkeypatch):
    before = foreign.read_bytes()
    code, err = run(capsys, monkeypatch, *command, "--db", str(foreign))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "is not a swansync" in lines[0], err
    assert foreign.read_bytes() == before


@pytest.mark.parametrize("command", [["status"], ["views", "apply"]])
def test_a_missing_warehouse_is_not_created(command, tmp_path, capsys, monkeypatch):
    db = tmp_path / "missing.duckdb"
    code, err = run(capsys, monkeypatch, *command, "--db", str(db))
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not db.exists()


def test_pull_without_targets_is_a_usage_error_that_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no swansync.toml here
    monkeypatch.delenv("SWANSYNC_CONFIG", raising=False)
    code, err = run(capsys, monkeypatch, "pull", "--db", str(tmp_path / "w.duckdb"))
    assert code == 2 and "nothing to pull" in err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("command", [["status"], ["views", "apply"], ["pull", "--logdir", "."]])
def test_a_file_that_is_not_a_duckdb_database_is_refused_with_one_line(
    command, tmp_path, capsys, monkeypatch
):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    code, err = run(capsys, monkeypatch, *command, "--db", str(notes))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "not a DuckDB database" in lines[0], err
    assert "IO Error" not in err
    assert notes.read_text() == "my notes\n"


@pytest.mark.parametrize("command", [["status"], ["query", "SELECT 1"], ["demo"]])
def test_a_sqlite_file_is_refused_without_loading_an_extension(
    command, tmp_path, capsys, monkeypatch
):
    """DuckDB opens a SQLite file through its sqlite extension, which it would try to download
    (a hang where the network drops packets): refused by its header first."""
    import sqlite3

    db = tmp_path / "app.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (x)")
    con.close()
    before = db.read_bytes()
    code, err = run(capsys, monkeypatch, *command, "--db", str(db))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "not a DuckDB database" in lines[0], err
    assert "extension" not in err
    assert db.read_bytes() == before


def test_a_warehouse_in_a_missing_folder_is_a_usage_error(tmp_path, capsys, monkeypatch):
    db = tmp_path / "no" / "such" / "w.duckdb"
    code, err = run(capsys, monkeypatch, "demo", "--db", str(db))
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: folder {str(db.parent)!r} for the warehouse does not exist: create it or give "
        "another --db path"
    ]
    assert not db.parent.exists()
