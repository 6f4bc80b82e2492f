"""Credential resolution (spec 1.2/1.3): every precedence rule and netrc variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.errors import AuthError, ConfigError
from swansync.sources.swanlab.cloud.credentials import (
    normalize_host,
    resolve_credentials,
    web_host_for,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://api.swanlab.cn", "https://api.swanlab.cn"),
        ("api.swanlab.cn", "https://api.swanlab.cn"),
        ("http://api.swanlab.cn", "https://api.swanlab.cn"),
        ("http://api.swanlab.cn/api", "https://api.swanlab.cn"),
        ("127.0.0.1:8000", "https://127.0.0.1:8000"),
        ("http://h:8000/api", "http://h:8000"),
        ("http://h:8000/api/", "http://h:8000"),
        ("http://h:8000/foo/bar?x=1", "http://h:8000"),
        ("  HTTP://My.Host.Example:9000/  ", "http://my.host.example:9000"),
        ("https://swanlab.cn", "https://swanlab.cn"),
    ],
)
def test_normalize_host(value: str, expected: str) -> None:
    assert normalize_host(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "ftp://x", "http://"])
def test_normalize_host_rejects(value: str) -> None:
    with pytest.raises(ConfigError):
        normalize_host(value)


def test_web_host_for() -> None:
    assert web_host_for("https://api.swanlab.cn") == "https://swanlab.cn"
    assert web_host_for("http://h:8000/api") == "http://h:8000"
    assert web_host_for("https://swanlab.cn") == "https://swanlab.cn"


def write_netrc(path: Path, machine: str, login: str, password: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"machine {machine}\n\tlogin {login}\n\tpassword {password}\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    return cwd, home


def test_explicit_wins_over_env(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    env = {"SWANLAB_API_KEY": "envkey", "SWANLAB_API_HOST": "http://env:1"}
    c = resolve_credentials("argkey", "http://arg:2/api", env=env, cwd=cwd, home=home)
    assert (c.api_key, c.api_host, c.web_host) == ("argkey", "http://arg:2", "http://arg:2")


def test_env_wins_over_config_and_netrc(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://env:1", "http://web:1", "netrckey")
    env = {"SWANLAB_API_KEY": "envkey", "SWANLAB_API_HOST": "http://env:1"}
    c = resolve_credentials(None, None, env=env, cwd=cwd, home=home, config_host="http://cfg:3")
    assert (c.api_key, c.api_host) == ("envkey", "http://env:1")


def test_env_names_case_insensitive_and_quotes_stripped(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    env = {"swanlab_api_key": '"quoted"', "Swanlab_Api_Host": "'http://h:5'"}
    c = resolve_credentials(None, None, env=env, cwd=cwd, home=home)
    assert (c.api_key, c.api_host) == ("quoted", "http://h:5")


def test_config_host_used_before_default(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    c = resolve_credentials("k", None, env={}, cwd=cwd, home=home, config_host="http://cfg:3")
    assert c.api_host == "http://cfg:3"


def test_default_host_and_web(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    c = resolve_credentials("k", None, env={}, cwd=cwd, home=home)
    assert (c.api_host, c.web_host) == ("https://api.swanlab.cn", "https://swanlab.cn")


def test_env_web_host(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    env = {"SWANLAB_WEB_HOST": "https://ui.example"}
    c = resolve_credentials("k", "http://h:1", env=env, cwd=cwd, home=home)
    assert c.web_host == "https://ui.example"


def test_netrc_home(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://127.0.0.1:18080", "http://web:9", "nk")
    c = resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert (c.api_key, c.api_host, c.web_host) == ("nk", "http://127.0.0.1:18080", "http://web:9")


def test_netrc_local_before_root(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://home:1", "http://home:1", "homekey")
    write_netrc(cwd / ".swanlab" / ".netrc", "http://local:1", "http://local:1", "localkey")
    c = resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert (c.api_key, c.api_host) == ("localkey", "http://local:1")


def test_netrc_swanlab_root_then_save_dir(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    cwd, home = dirs
    write_netrc(tmp_path / "root" / ".netrc", "http://root:1", "http://root:1", "rootkey")
    write_netrc(tmp_path / "save" / ".netrc", "http://save:1", "http://save:1", "savekey")
    write_netrc(home / ".swanlab" / ".netrc", "http://home:1", "http://home:1", "homekey")
    env = {"SWANLAB_ROOT": str(tmp_path / "root"), "SWANLAB_SAVE_DIR": str(tmp_path / "save")}
    assert resolve_credentials(None, None, env=env, cwd=cwd, home=home).api_key == "rootkey"
    env = {"SWANLAB_SAVE_DIR": str(tmp_path / "save")}
    assert resolve_credentials(None, None, env=env, cwd=cwd, home=home).api_key == "savekey"


def test_plain_home_netrc_is_not_read(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".netrc", "http://h:1", "http://h:1", "wrongfile")
    with pytest.raises(AuthError, match="swanlab login"):
        resolve_credentials(None, None, env={}, cwd=cwd, home=home)


def test_netrc_first_machine_used(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    p = home / ".swanlab" / ".netrc"
    p.parent.mkdir(parents=True)
    p.write_text(
        "machine http://first:1\n  login http://first:1\n  password k1\n"
        "machine http://second:2\n  login http://second:2\n  password k2\n"
    )
    c = resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert (c.api_key, c.api_host) == ("k1", "http://first:1")


def test_netrc_legacy_api_suffix_stripped_file_untouched(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    p = write_netrc(
        home / ".swanlab" / ".netrc", "https://api.swanlab.cn/api", "https://swanlab.cn", "lk"
    )
    before = p.read_bytes()
    c = resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert (c.api_key, c.api_host) == ("lk", "https://api.swanlab.cn")
    assert p.read_bytes() == before


def test_netrc_key_ignored_for_other_host(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://y:1", "http://y:1", "ykey")
    with pytest.raises(AuthError):
        resolve_credentials(None, None, env={"SWANLAB_API_HOST": "http://x:1"}, cwd=cwd, home=home)
    with pytest.raises(AuthError):
        resolve_credentials(None, "http://x:1", env={}, cwd=cwd, home=home)
    with pytest.raises(AuthError):
        resolve_credentials(None, None, env={}, cwd=cwd, home=home, config_host="http://x:1")


def test_netrc_key_used_when_host_equals_machine(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://y:1/api", "http://yweb:1", "ykey")
    c = resolve_credentials(None, "http://y:1/", env={}, cwd=cwd, home=home)
    assert (c.api_key, c.api_host, c.web_host) == ("ykey", "http://y:1", "http://yweb:1")
    # Without a scheme https is assumed, which is another host than the netrc's http one.
    with pytest.raises(AuthError):
        resolve_credentials(None, "y:1", env={}, cwd=cwd, home=home)


def test_netrc_not_consulted_when_env_key(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    write_netrc(home / ".swanlab" / ".netrc", "http://y:1", "http://y:1", "ykey")
    c = resolve_credentials(None, None, env={"SWANLAB_API_KEY": "ek"}, cwd=cwd, home=home)
    # The env key does not borrow the netrc host (an SDK quirk not copied): default host.
    assert (c.api_key, c.api_host) == ("ek", "https://api.swanlab.cn")


def test_missing_key_is_one_line_auth_error(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    with pytest.raises(AuthError) as e:
        resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert "\n" not in str(e.value)
    assert "SWANLAB_API_KEY" in str(e.value)


def test_blank_explicit_key(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    with pytest.raises(AuthError):
        resolve_credentials("  ", None, env={"SWANLAB_API_KEY": "ek"}, cwd=cwd, home=home)


def test_broken_netrc_is_config_error_without_secret(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    p = home / ".swanlab" / ".netrc"
    p.parent.mkdir(parents=True)
    p.write_text("machine http://h:1 login x password secretvalue123 bogus\n")
    with pytest.raises(ConfigError) as e:
        resolve_credentials(None, None, env={}, cwd=cwd, home=home)
    assert "secretvalue123" not in str(e.value)


def test_repr_hides_key(dirs: tuple[Path, Path]) -> None:
    cwd, home = dirs
    c = resolve_credentials("supersecretkey999", "http://h:1", env={}, cwd=cwd, home=home)
    assert "supersecretkey999" not in repr(c)
    assert "supersecretkey999" not in str(c)
