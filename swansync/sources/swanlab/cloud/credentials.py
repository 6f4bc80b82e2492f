"""Where the SwanLab API host and key come from (spec 1.2 and 1.3).

Precedence, highest first. Key: explicit argument > ``SWANLAB_API_KEY`` > the netrc file
``swanlab login`` writes. Host: explicit argument > ``SWANLAB_API_HOST`` > the config file >
that netrc file (only when its key is used) > ``https://api.swanlab.cn``.
"""

from __future__ import annotations

import netrc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from swansync.errors import AuthError, ConfigError
from swansync.http.hosts import parse_host

DEFAULT_API_HOST = "https://api.swanlab.cn"
DEFAULT_WEB_HOST = "https://swanlab.cn"
_FIX = "run `swanlab login` or set SWANLAB_API_KEY"


def normalize_host(value: str) -> str:
    """``scheme://host[:port]`` from any host value (spec 1.2): https assumed without a scheme,
    path/query/trailing slash dropped, host lower-cased, plain-http official host upgraded."""
    host = parse_host(value, "SwanLab", DEFAULT_API_HOST)
    scheme = "https" if host.hostname == "api.swanlab.cn" else host.scheme
    return f"{scheme}://{host.netloc}"


def web_host_for(api_host: str) -> str:
    """The web host for browser links: the official API maps to swanlab.cn, anything else
    (self-hosted) serves UI and API on one origin."""
    api = normalize_host(api_host)
    return DEFAULT_WEB_HOST if api == DEFAULT_API_HOST else api


@dataclass(frozen=True)
class Credentials:
    api_host: str
    web_host: str
    api_key: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(api_host={self.api_host!r}, web_host={self.web_host!r}, api_key=***)"


@dataclass(frozen=True)
class _NetrcEntry:
    path: Path
    machine: str
    login: str | None
    password: str = field(repr=False)


def _env(env: Mapping[str, str], name: str) -> str | None:
    """An environment value the way pydantic-settings reads it: case-insensitive name, paired
    surrounding quotes stripped; blank counts as unset."""
    raw = env.get(name)
    if raw is None:
        lowered = name.lower()
        for k, v in env.items():
            if k.lower() == lowered:
                raw = v
                break
    if raw is None:
        return None
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text or None


def netrc_path(env: Mapping[str, str], cwd: Path, home: Path) -> Path | None:
    """The login file the SDK would read: ``./.swanlab/.netrc`` first, then ``<root>/.netrc``
    with root = ``$SWANLAB_ROOT`` | ``$SWANLAB_SAVE_DIR`` | ``~/.swanlab`` (never ``~/.netrc``)."""
    local = cwd / ".swanlab" / ".netrc"
    if local.is_file():
        return local
    root_env = _env(env, "SWANLAB_ROOT") or _env(env, "SWANLAB_SAVE_DIR")
    root = Path(root_env).expanduser() if root_env else home / ".swanlab"
    if not root.is_absolute():
        root = cwd / root
    candidate = root / ".netrc"
    return candidate if candidate.is_file() else None


def _read_netrc(path: Path) -> _NetrcEntry | None:
    """The first machine entry of ``path``. A legacy ``/api`` suffix is stripped by
    :func:`normalize_host`; the file itself is never rewritten."""
    try:
        parsed = netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as e:
        line = getattr(e, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ConfigError(
            f"cannot read the SwanLab login file {path}{where}: run `swanlab login` again"
        ) from None
    for machine, (login, _account, password) in parsed.hosts.items():
        if not password:
            continue
        return _NetrcEntry(path, machine, login or None, password)
    return None


def resolve_credentials(
    api_key: str | None,
    host: str | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    home: Path,
    config_host: str | None = None,
) -> Credentials:
    """Resolve the API host, web host and key as the SwanLab SDK does (spec 1.3), without its
    quirks: a netrc key is used only for the netrc's own host."""
    if api_key is not None and not api_key.strip():
        raise AuthError(f"the API key given is blank: {_FIX}")
    key = api_key.strip() if api_key is not None else _env(env, "SWANLAB_API_KEY")

    host_value = host if host is not None and host.strip() else None
    host_value = host_value or _env(env, "SWANLAB_API_HOST") or (config_host or None)
    api_host = normalize_host(host_value) if host_value else None
    web_host = _env(env, "SWANLAB_WEB_HOST")

    if key is None:
        path = netrc_path(env, cwd, home)
        entry = _read_netrc(path) if path is not None else None
        if entry is not None:
            machine = normalize_host(entry.machine)
            if api_host is None or api_host == machine:
                key = entry.password
                api_host = machine
                if web_host is None and entry.login:
                    web_host = entry.login

    api_host = api_host or DEFAULT_API_HOST
    if not key:
        raise AuthError(f"no SwanLab API key found for {api_host}: {_FIX}")
    web = normalize_host(web_host) if web_host else web_host_for(api_host)
    return Credentials(api_host=api_host, web_host=web, api_key=key)
