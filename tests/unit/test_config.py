"""Settings resolution: flags > env > TOML > defaults; bad input is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.config import Secret, load_settings, merged_targets, parse_every
from swansync.errors import ConfigError
from swansync.sources.swanlab.plugin import SwanLabCloud, SwanLabDashboard, SwanLabLogDir


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "swansync.toml"
    p.write_text(text, encoding="utf-8")
    return p


def cloud(settings) -> SwanLabCloud:
    (found,) = [c for c in settings.sources if isinstance(c, SwanLabCloud)]
    return found


def test_precedence_flag_env_toml(tmp_path):
    cfg = write(
        tmp_path,
        'db = "from_toml.duckdb"\nworkers = 3\n[sources.swanlab]\nprojects = ["a/b"]\n',
    )
    s = load_settings(config_file=cfg, env={})
    assert s.db == tmp_path / "from_toml.duckdb" and s.workers == 3
    assert cloud(s).projects == ("a/b",)
    s = load_settings(config_file=cfg, env={"SWANSYNC_DB": "env.duckdb"})
    assert s.db == Path("env.duckdb")
    s = load_settings(config_file=cfg, env={"SWANSYNC_DB": "env.duckdb"}, db=Path("flag.duckdb"))
    assert s.db == Path("flag.duckdb")
    s = load_settings(config_file=cfg, env={}, projects=["c/d"], workers=None)
    assert cloud(s).projects == ("c/d",) and s.workers == 3


def test_target_flags_replace_every_file_target_but_keep_other_keys(tmp_path):
    cfg = write(
        tmp_path,
        "[sources.swanlab]\nhost = 'https://self.hosted'\nprojects = ['a/b']\n"
        "logdirs = ['logs']\nsource_name = 'lab'\n",
    )
    s = load_settings(config_file=cfg, env={})
    assert s.sources == (
        SwanLabCloud(projects=("a/b",), config_host="https://self.hosted", source_name="lab"),
        SwanLabLogDir(tmp_path / "logs"),  # relative to the file's folder
    )
    s = load_settings(config_file=cfg, env={}, dashboards=["http://127.0.0.1:5092"])
    assert s.sources == (SwanLabDashboard("http://127.0.0.1:5092"),)
    s = load_settings(config_file=cfg, env={}, workspaces=["team"], host="http://h:1")
    assert s.sources == (
        SwanLabCloud(
            workspaces=("team",),
            host="http://h:1",  # the flag outranks SWANLAB_API_HOST; the file's host does not
            config_host="https://self.hosted",
            source_name="lab",
        ),
    )


def test_source_name_from_the_environment_outranks_the_file(tmp_path):
    cfg = write(tmp_path, "[sources.swanlab]\nprojects = ['a/b']\nsource_name = 'file'\n")
    s = load_settings(config_file=cfg, env={"SWANSYNC_SOURCE_NAME": "env"})
    assert cloud(s).source_name == "env"
    assert cloud(load_settings(config_file=cfg, env={}, source_name="flag")).source_name == "flag"


SOURCE_NAME_FOR_LOCAL = (
    "--source-name names a SwanLab server's runs; --logdir and --dashboard sources are named "
    "logdir:<path> and dashboard:<host:port>"
)


@pytest.mark.parametrize(
    "targets",
    [
        {"logdirs": ["logs"]},
        {"dashboards": ["http://127.0.0.1:5092"]},
        {"logdirs": ["logs"], "dashboards": ["http://127.0.0.1:5092"]},
    ],
)
def test_a_source_name_flag_for_local_targets_only_is_refused(tmp_path, targets):
    """Local folders and dashboards are named logdir:<path> / dashboard:<host:port>: a source
    name given for them alone would be ignored, so the library refuses it (as the CLI does)."""
    with pytest.raises(ConfigError) as refused:
        load_settings(env={}, source_name="lab", **targets)
    assert str(refused.value) == SOURCE_NAME_FOR_LOCAL
    # with a server to name it applies there; from the file or the environment (a job's
    # folders inherit it) it is not the user's word for these targets: accepted as before
    s = load_settings(env={}, source_name="lab", projects=["a/b"], **targets)
    assert cloud(s).source_name == "lab"
    cfg = write(tmp_path, "[sources.swanlab]\nsource_name = 'lab'\nlogdirs = ['logs']\n")
    assert load_settings(config_file=cfg, env={}).sources == (SwanLabLogDir(tmp_path / "logs"),)
    with pytest.raises(ConfigError, match=r"^--source-name names"):  # the flag, for the file's
        load_settings(config_file=cfg, env={}, source_name="flag")
    assert load_settings(env={"SWANSYNC_SOURCE_NAME": "lab"}, **targets).sources


def test_a_source_name_flag_is_not_refused_for_a_job_of_local_targets_only(tmp_path):
    """The flag refusal is about the pull's own targets: a job of the file that pulls only a
    log folder keeps its folder (the flag's name is for the server targets)."""
    cfg = write(tmp_path, "[[jobs]]\nevery = '5m'\nsources.swanlab.logdirs = ['logs']\n")
    s = load_settings(config_file=cfg, env={}, source_name="lab", projects=["a/b"])
    assert cloud(s).source_name == "lab"
    assert s.jobs[0].sources == (SwanLabLogDir(tmp_path / "logs"),)


def test_legacy_top_level_keys_still_work_with_a_deprecation_line(tmp_path, caplog):
    cfg = write(tmp_path, "projects = ['a/b']\nhost = 'http://h:1'\nlogdirs = ['x']\n")
    s = load_settings(config_file=cfg, env={})
    assert s.sources == (
        SwanLabCloud(projects=("a/b",), config_host="http://h:1"),
        SwanLabLogDir(tmp_path / "x"),
    )
    deprecated = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(deprecated) == 3 and all("[sources.swanlab]" in m for m in deprecated)


def test_api_key_is_secret_and_refused_in_toml(tmp_path):
    s = load_settings(env={}, api_key="abcdefghijklmnopqrstu", projects=["a/b"], config_file=None)
    assert isinstance(cloud(s).api_key, Secret)
    assert s.secrets() == ["abcdefghijklmnopqrstu"]
    assert "abcdefghijklmnopqrstu" not in repr(s) and "abcdefghijklmnopqrstu" not in str(s)
    for text in (
        'api_key = "abcdefghijklmnopqrstu"\n',
        '[sources.swanlab]\napi_key = "abcdefghijklmnopqrstu"\n',
        '[[jobs]]\nevery = "1m"\nsources.swanlab.api_key = "abcdefghijklmnopqrstu"\n',
    ):
        with pytest.raises(ConfigError, match="keep the key out of files") as e:
            load_settings(config_file=write(tmp_path, text), env={})
        assert "abcdefghijklmnopqrstu" not in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workers = 'many'\n", "workers must be an integer"),
        ("nonsense = 1\n", "unknown setting"),
        ("projects = [1]\n", "projects must be a list of strings"),
        ("[[jobs]]\nprojects = ['a/b']\n", "exactly one of every"),
        ("[[jobs]]\nevery = '5x'\nprojects = ['a/b']\n", "invalid interval"),
        ("[[jobs]]\nevery = '5m'\n", "at least one target"),
        ("db = \n", "not valid TOML"),
        ("projects = ['nope']\n", "WORKSPACE/PROJECT"),
        ("[sources.swanlab]\nprojects = ['nope']\n", "WORKSPACE/PROJECT"),
        ("[sources.neptune]\nprojects = ['a/b']\n", "unknown source"),
        ("[sources.swanlab]\nproject = ['a/b']\n", "unknown setting"),
        ("[sources.swanlab]\ncli_host = 'x'\n", "unknown setting"),
        ("sources = 1\n", "sources must be tables"),
        ("[[jobs]]\nevery = '5m'\nsources.swanlab.nope = 1\n", "unknown setting"),
    ],
)
def test_bad_config_is_one_line_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_settings(config_file=write(tmp_path, text), env={})
    assert "\n" not in str(e.value)


def test_jobs_parse(tmp_path):
    cfg = write(
        tmp_path,
        "[sources.swanlab]\nhost = 'http://h:1'\nprojects = ['top/level']\n"
        "[[jobs]]\nname = 'nightly'\nsources.swanlab.workspaces = ['team']\n"
        "cron = '0 3 * * *'\n"
        "[[jobs]]\nevery = '15m'\nfilters = ['state=FINISHED']\n"
        "[jobs.sources.swanlab]\nprojects = ['a/b']\nlogdirs = ['logs']\n",
    )
    s = load_settings(config_file=cfg, env={})
    assert [j.name for j in s.jobs] == ["nightly", "job2"]
    assert s.jobs[0].cron == "0 3 * * *" and s.jobs[1].every == 900
    assert s.jobs[1].filters == ("state=FINISHED",)
    # A job's sources keep the top-level section's other keys, never its targets.
    assert s.jobs[0].sources == (SwanLabCloud(workspaces=("team",), config_host="http://h:1"),)
    assert s.jobs[1].sources == (
        SwanLabCloud(projects=("a/b",), config_host="http://h:1"),
        SwanLabLogDir(tmp_path / "logs"),
    )
    job = merged_targets(s, s.jobs[1])
    assert job.sources == s.jobs[1].sources and job.filters == ("state=FINISHED",)


def test_legacy_job_keys_still_work(tmp_path):
    cfg = write(tmp_path, "[[jobs]]\nprojects = ['a/b']\nevery = '15m'\n")
    assert load_settings(config_file=cfg, env={}).jobs[0].sources == (
        SwanLabCloud(projects=("a/b",)),
    )


def test_parse_every():
    assert parse_every("30s") == 30 and parse_every("2h") == 7200 and parse_every("1d") == 86400
    with pytest.raises(ConfigError):
        parse_every("0m")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=tmp_path / "nope.toml", env={})
