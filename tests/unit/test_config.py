"""Settings resolution: flags > env > TOML > defaults; bad input is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.config import Secret, load_settings, parse_every
from swansync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "swansync.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_precedence_flag_env_toml(tmp_path):
    cfg = write(tmp_path, 'db = "from_toml.duckdb"\nworkers = 3\nprojects = ["a/b"]\n')
    s = load_settings(config_file=cfg, env={})
    assert s.db == tmp_path / "from_toml.duckdb" and s.workers == 3 and s.projects == ("a/b",)
    s = load_settings(config_file=cfg, env={"SWANSYNC_DB": "env.duckdb"})
    assert s.db == Path("env.duckdb")
    s = load_settings(config_file=cfg, env={"SWANSYNC_DB": "env.duckdb"}, db=Path("flag.duckdb"))
    assert s.db == Path("flag.duckdb")
    s = load_settings(config_file=cfg, env={}, projects=["c/d"], workers=None)
    assert s.projects == ("c/d",) and s.workers == 3


def test_api_key_is_secret_and_refused_in_toml(tmp_path):
    s = load_settings(env={}, api_key="abcdefghijklmnopqrstu", config_file=None)
    assert isinstance(s.api_key, Secret)
    assert "abcdefghijklmnopqrstu" not in repr(s) and "abcdefghijklmnopqrstu" not in str(s)
    cfg = write(tmp_path, 'api_key = "abcdefghijklmnopqrstu"\n')
    with pytest.raises(ConfigError, match="keep the key out of files") as e:
        load_settings(config_file=cfg, env={})
    assert "abcdefghijklmnopqrstu" not in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workers = 'many'\n", "workers must be an integer"),
        ("nonsense = 1\n", "unknown setting"),
        ("projects = [1]\n", "projects must be a list of strings"),
        ("[[jobs]]\nprojects = ['a/b']\n", "exactly one of every"),
        ("[[jobs]]\nevery = '5x'\nprojects = ['a/b']\n", "invalid interval"),
        ("[[jobs]]\nevery = '5m'\n", "at least one project"),
        ("db = \n", "not valid TOML"),
        ("projects = ['nope']\n", "WORKSPACE/PROJECT"),
    ],
)
def test_bad_config_is_one_line_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_settings(config_file=write(tmp_path, text), env={})
    assert "\n" not in str(e.value)


def test_jobs_parse(tmp_path):
    cfg = write(
        tmp_path,
        "[[jobs]]\nname = 'nightly'\nworkspaces = ['team']\ncron = '0 3 * * *'\n"
        "[[jobs]]\nprojects = ['a/b']\nevery = '15m'\nfilters = ['state=FINISHED']\n",
    )
    s = load_settings(config_file=cfg, env={})
    assert [j.name for j in s.jobs] == ["nightly", "job2"]
    assert s.jobs[0].cron == "0 3 * * *" and s.jobs[1].every == 900
    assert s.jobs[1].filters == ("state=FINISHED",)


def test_parse_every():
    assert parse_every("30s") == 30 and parse_every("2h") == 7200 and parse_every("1d") == 86400
    with pytest.raises(ConfigError):
        parse_every("0m")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=tmp_path / "nope.toml", env={})
