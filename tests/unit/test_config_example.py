"""config.example.toml is what users copy: copying it must not change where swansync connects."""

from __future__ import annotations

from pathlib import Path

from swansync.config import Settings, load_settings
from swansync.sources.swanlab.cloud.credentials import resolve_credentials
from swansync.sources.swanlab.plugin import SwanLabCloud

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def _cloud(settings: Settings) -> SwanLabCloud:
    (cloud,) = [c for c in settings.sources if isinstance(c, SwanLabCloud)]
    return cloud


def test_the_example_config_sets_no_host() -> None:
    cloud = _cloud(load_settings(config_file=EXAMPLE, env={}))
    assert cloud.host is None
    assert cloud.config_host is None


def test_a_copied_example_keeps_the_host_of_swanlab_login(tmp_path: Path) -> None:
    """A self-hosted user who ran `swanlab login --host ...` and copied the example config is
    still sent to their own server, not to the cloud."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    netrc = home / ".swanlab" / ".netrc"
    netrc.parent.mkdir(parents=True)
    cwd.mkdir()
    netrc.write_text("machine http://10.0.0.5:8000\n\tlogin http://10.0.0.5:8000\n\tpassword k\n")
    netrc.chmod(0o600)
    cloud = _cloud(load_settings(config_file=EXAMPLE, env={}))
    creds = resolve_credentials(
        None, cloud.host, env={}, cwd=cwd, home=home, config_host=cloud.config_host
    )
    assert creds.api_host == "http://10.0.0.5:8000"


def test_a_project_name_is_checked_like_a_project(tmp_path: Path) -> None:
    import pytest

    from swansync.errors import ConfigError

    for bad in ("a/b/c", "a/", "/b", " "):
        with pytest.raises(ConfigError, match="WORKSPACE/NAME"):
            load_settings(logdirs=[tmp_path], project_name=bad, env={})
    for good in ("proj", "team/proj"):
        load_settings(logdirs=[tmp_path], project_name=good, env={})
