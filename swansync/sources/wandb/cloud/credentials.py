"""Where the W&B API host and key come from, the way ``wandb login`` users already have them.

Host, highest first: ``--wandb-host`` > ``WANDB_BASE_URL`` > ``[sources.wandb] host`` >
``https://api.wandb.ai``. Key: ``--wandb-api-key`` > ``WANDB_API_KEY`` > the netrc entry
``wandb login`` writes (``$NETRC``, else ``~/.netrc``, else ``~/_netrc``) whose machine is the
host's ``host[:port]`` (docs/protocols/wandb-public-api.md, sections 1 and 2).
"""

from __future__ import annotations

import netrc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from swansync.errors import AuthError, ConfigError
from swansync.http.hosts import parse_host

DEFAULT_HOST = "https://api.wandb.ai"
_FIX = "run `wandb login`, set WANDB_API_KEY or pass --wandb-api-key"


def normalize_host(value: str) -> str:
    """``scheme://host[:port][/prefix]`` without a trailing slash; https assumed without a
    scheme. A path prefix is kept (a W&B server behind a reverse proxy path)."""
    host = parse_host(value, "W&B", DEFAULT_HOST)
    return host.origin + host.path


def netloc(host: str) -> str:
    """``host[:port]`` of a normalized host: the netrc machine ``wandb login`` writes."""
    return urlsplit(host).netloc


def app_url(host: str) -> str:
    """Where the W&B app shows a host's runs: the public API's app is wandb.ai; a W&B server
    serves the app and the API on one origin."""
    return "https://wandb.ai" if netloc(host) == "api.wandb.ai" else host


@dataclass(frozen=True)
class Credentials:
    host: str
    api_key: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(host={self.host!r}, api_key=***)"


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    text = value.strip()
    return text or None


def netrc_file(env: Mapping[str, str], home: Path) -> Path | None:
    """The netrc the W&B SDK reads: ``$NETRC``, else ``~/.netrc``, else ``~/_netrc``."""
    named = _env(env, "NETRC")
    candidates = [Path(named).expanduser()] if named else [home / ".netrc", home / "_netrc"]
    for path in candidates:
        if path.is_file():
            return path
    return None


def netrc_key(path: Path, machine: str) -> str | None:
    """The password of ``machine`` in ``path`` (None when there is no such entry)."""
    try:
        parsed = netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as e:
        line = getattr(e, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ConfigError(f"cannot read the netrc file {path}{where}: {_FIX}") from None
    entry = parsed.hosts.get(machine)
    if entry is None:
        return None
    password = entry[2]
    return password.strip() or None if password else None


def resolve_credentials(
    api_key: str | None,
    host: str | None,
    *,
    env: Mapping[str, str],
    home: Path,
    config_host: str | None = None,
) -> Credentials:
    """The host and key to use (see the module docstring). A missing or blank key is an
    :class:`AuthError` naming the host; the key itself never appears in a message."""
    if api_key is not None and not api_key.strip():
        raise AuthError(f"the W&B API key given is blank: {_FIX}")
    chosen = (host or "").strip() or _env(env, "WANDB_BASE_URL") or config_host or DEFAULT_HOST
    resolved = normalize_host(chosen)
    key = api_key.strip() if api_key is not None else _env(env, "WANDB_API_KEY")
    if key is None:
        path = netrc_file(env, home)
        if path is not None:
            key = netrc_key(path, netloc(resolved))
    if not key:
        raise AuthError(f"no W&B API key found for {resolved}: {_FIX}")
    return Credentials(host=resolved, api_key=key)
