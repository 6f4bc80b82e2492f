"""Where the W&B host and key come from, highest first, and that the key never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.errors import AuthError, ConfigError
from swansync.sources.wandb.cloud.credentials import (
    DEFAULT_HOST,
    app_url,
    normalize_host,
    resolve_credentials,
)
from swansync.sources.wandb.cloud.source import WandbCloudSource

KEY_FLAG = "local-" + "f" * 40
KEY_ENV = "local-" + "e" * 40
KEY_NETRC = "local-" + "n" * 40


def netrc(home: Path, *entries: tuple[str, str]) -> Path:
    path = home / ".netrc"
    path.write_text("".join(f"machine {m}\n  login user\n  password {k}\n" for m, k in entries))
    path.chmod(0o600)
    return path


def test_key_flag_then_env_then_netrc(tmp_path: Path) -> None:
    netrc(tmp_path, ("api.wandb.ai", KEY_NETRC))
    env = {"WANDB_API_KEY": KEY_ENV}
    assert resolve_credentials(KEY_FLAG, None, env=env, home=tmp_path).api_key == KEY_FLAG
    assert resolve_credentials(None, None, env=env, home=tmp_path).api_key == KEY_ENV
    creds = resolve_credentials(None, None, env={}, home=tmp_path)
    assert (creds.host, creds.api_key) == (DEFAULT_HOST, KEY_NETRC)


def test_host_flag_then_env_then_config_then_cloud(tmp_path: Path) -> None:
    env = {"WANDB_BASE_URL": "https://wandb.example.com/", "WANDB_API_KEY": KEY_ENV}

    def host(flag: str | None, env: dict[str, str], config: str | None) -> str:
        return resolve_credentials(None, flag, env=env, home=tmp_path, config_host=config).host

    assert host("http://127.0.0.1:8080", env, "https://cfg.example.com") == "http://127.0.0.1:8080"
    assert host(None, env, "https://cfg.example.com") == "https://wandb.example.com"
    env.pop("WANDB_BASE_URL")
    assert host(None, env, "https://cfg.example.com") == "https://cfg.example.com"
    assert host(None, env, None) == "https://api.wandb.ai"


def test_the_netrc_entry_is_the_hosts_own(tmp_path: Path) -> None:
    netrc(tmp_path, ("api.wandb.ai", KEY_FLAG), ("127.0.0.1:9000", KEY_NETRC))
    creds = resolve_credentials(None, "http://127.0.0.1:9000", env={}, home=tmp_path)
    assert creds.api_key == KEY_NETRC
    with pytest.raises(AuthError, match=r"no W&B API key found for http://127.0.0.1:9001"):
        resolve_credentials(None, "http://127.0.0.1:9001", env={}, home=tmp_path)


def test_netrc_env_names_the_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    path = netrc(other, ("api.wandb.ai", KEY_NETRC))
    creds = resolve_credentials(None, None, env={"NETRC": str(path)}, home=tmp_path)
    assert creds.api_key == KEY_NETRC


def test_no_key_blank_key_and_bad_netrc_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match=r"no W&B API key found for https://api\.wandb\.ai: run"):
        resolve_credentials(None, None, env={}, home=tmp_path)
    with pytest.raises(AuthError, match="blank"):
        resolve_credentials("  ", None, env={}, home=tmp_path)
    (tmp_path / ".netrc").write_text(f"machine api.wandb.ai password {KEY_NETRC} bogus\n")
    with pytest.raises(ConfigError) as e:
        resolve_credentials(None, None, env={}, home=tmp_path)
    assert KEY_NETRC not in str(e.value) and "\n" not in str(e.value)


def test_hosts() -> None:
    assert normalize_host("api.wandb.ai") == "https://api.wandb.ai"
    assert normalize_host("HTTP://LocalHost:8080/wandb/") == "http://localhost:8080/wandb"
    assert app_url("https://api.wandb.ai") == "https://wandb.ai"
    assert app_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    with pytest.raises(ConfigError):
        normalize_host("ftp://x")


def test_the_key_never_shows() -> None:
    creds = resolve_credentials(KEY_FLAG, None, env={}, home=Path("/nonexistent"))
    source = WandbCloudSource(creds.host, creds.api_key)
    try:
        for text in (repr(creds), str(creds), repr(source), repr(source.client)):
            assert KEY_FLAG not in text
    finally:
        source.close()
