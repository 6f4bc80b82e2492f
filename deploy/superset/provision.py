"""Provision Superset for swansync: metadata DB, admin user, and the dashboards of this folder.

Run by bootstrap.sh with the Superset environment's python (`make bi`, docker compose and the
browser test all go through it). Idempotent: run it on every start; the dashboards, charts,
datasets and the database connection are overwritten from the files in ./dashboards.

Environment:
  SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD  required; the admin is created, or its password
                                                reset to this one
  SUPERSET_ADMIN_EMAIL                          optional (default <user>@localhost)
  SUPERSET_SECRET_KEY                           required (read by superset_config.py)
  SWANSYNC_SERVING                              required: absolute path of the serving copy
                                                (`serving = ...` in swansync's config)
  SWANSYNC_SERVING_WAIT                         seconds to wait for the first copy to appear
                                                (compose: the first pull may still be running);
                                                default 0
  SUPERSET_HOME                                 Superset's data folder (metadata DB, this log)

Exit codes: 0 provisioned; 2 bad set-up (one line on stderr says what and how to fix it);
3 a Superset step failed (one line names it and the log file holding its output).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "dashboards"
REQUIRED = (
    "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_USER",
    "SUPERSET_ADMIN_PASSWORD",
    "SWANSYNC_SERVING",
)


class SetupError(Exception):
    """Bad set-up: the message is the one line the user sees."""


class StepError(Exception):
    """A Superset command failed: the message names it and the log."""


def serving_uri(path: str) -> str:
    """The read-only duckdb-engine URI of the serving copy (four slashes: absolute path)."""
    return f"duckdb:///{path}?access_mode=read_only"


def check_environment(env: dict[str, str]) -> None:
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SetupError(
            f"{', '.join(missing)} not set: put {'them' if len(missing) > 1 else 'it'} in "
            "superset.env (copy superset.env.example) or the environment"
        )
    # superset.env.example's placeholders must never become a live password or key.
    placeholders = [name for name in REQUIRED if env[name].startswith("replace-with")]
    if placeholders:
        raise SetupError(
            f"{', '.join(placeholders)}: still the placeholder of superset.env.example; "
            "set real values"
        )


def check_serving(path_text: str, wait_s: float) -> Path:
    """The serving copy exists (waiting up to wait_s for it) and is a swansync serving copy."""
    path = Path(path_text)
    if not path.is_absolute():
        raise SetupError(f"SWANSYNC_SERVING must be an absolute path, not {path_text!r}")
    deadline = time.monotonic() + wait_s
    announced = False
    while not path.is_file():
        if time.monotonic() >= deadline:
            raise SetupError(
                f'no serving copy at {path}: run a pull with `serving = "{path}"` in swansync\'s '
                "config (or `swansync schedule`), or point SWANSYNC_SERVING at the file it names"
            )
        if not announced:
            print(f"provision: waiting up to {wait_s:.0f}s for {path} ...", file=sys.stderr)
            announced = True
        time.sleep(2)
    import duckdb  # the Superset environment's DuckDB 1.x, the engine the dashboards use

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise SetupError(
            f"{path} cannot be opened by DuckDB {duckdb.__version__} ({first}): point "
            "SWANSYNC_SERVING at the serving copy (`serving = ...`), not the warehouse"
        ) from None
    try:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = '_swansync_snapshot'"
        ).fetchone()
    finally:
        con.close()
    if not found or found[0] == 0:
        raise SetupError(
            f"{path} is not a swansync serving copy (no _swansync_snapshot table): point "
            "SWANSYNC_SERVING at the serving copy (`serving = ...`), not the warehouse"
        )
    return path


def superset(args: list[str], log: Path, env: dict[str, str], what: str) -> None:
    exe = Path(sys.executable).with_name("superset")
    cmd = [str(exe) if exe.exists() else (shutil.which("superset") or "superset"), *args]
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ superset {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        raise StepError(f"{what} failed (exit {proc.returncode}); its output is in {log}")


# Starting values of the dashboards' required filters, by the column they filter, chosen from
# the data when provisioning (the user changes them in the filter bar). Superset's own "select
# first value" option shows a value without applying it, so the defaults are set here.
DEFAULT_QUERIES = {
    # the project with the most runs
    "project": """
        SELECT project FROM runs WHERE deleted_at IS NULL
        GROUP BY project ORDER BY count(*) DESC, project LIMIT 1""",
    # a custom metric most runs of that project logged; validation loss/accuracy first
    "metric": """
        SELECT key FROM metric_summary
        WHERE project = $project AND class = 'CUSTOM' AND kind = 'SCALAR' AND points > 0
        GROUP BY key
        ORDER BY (key ILIKE '%val%' AND (key ILIKE '%loss%' OR key ILIKE '%acc%')) DESC,
                 count(*) DESC, key LIMIT 1""",
    # the config leaf of that project with the most distinct values
    "config_key": """
        SELECT key FROM run_config WHERE project = $project
        GROUP BY key ORDER BY count(DISTINCT value) DESC, key LIMIT 1""",
}


def filter_defaults(serving: Path) -> dict[str, str]:
    """{filtered column: starting value} read from the serving copy (absent when no data)."""
    import duckdb

    out: dict[str, str] = {}
    con = duckdb.connect(str(serving), read_only=True)
    try:
        row = con.execute(DEFAULT_QUERIES["project"]).fetchone()
        if row is None:
            return out
        out["project"] = row[0]
        for column in ("metric", "config_key"):
            found = con.execute(DEFAULT_QUERIES[column], {"project": row[0]}).fetchone()
            if found is not None:
                out[column] = found[0]
    finally:
        con.close()
    return out


def set_filter_defaults(dashboard: dict[str, Any], defaults: dict[str, str]) -> None:
    """Give each required select filter with no default of its own the value for its column."""
    metadata = dashboard.get("metadata") or {}
    for nf in metadata.get("native_filter_configuration") or []:
        controls = nf.get("controlValues") or {}
        mask = nf.setdefault("defaultDataMask", {})
        if not controls.get("enableEmptyFilter") or (mask.get("filterState") or {}).get("value"):
            continue
        column = nf["targets"][0]["column"]["name"]
        if column not in defaults:
            continue
        value = [defaults[column]]
        mask["filterState"] = {"value": value}
        mask["extraFormData"] = {"filters": [{"col": column, "op": "IN", "val": value}]}


def load_bundle(uri: str, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """The bundle's files as {relative path: YAML text}, with the database URI set to ``uri``
    and the required filters starting at ``defaults``."""
    import yaml

    contents: dict[str, str] = {}
    for file in sorted(BUNDLE.rglob("*.yaml")):
        rel = file.relative_to(BUNDLE).as_posix()
        text = file.read_text(encoding="utf-8")
        if rel.startswith(("databases/", "dashboards/")):
            data: dict[str, Any] = yaml.safe_load(text)
            if rel.startswith("databases/"):
                data["sqlalchemy_uri"] = uri
            else:
                set_filter_defaults(data, defaults or {})
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        contents[rel] = text
    if "metadata.yaml" not in contents:
        raise SetupError(f"{BUNDLE} holds no metadata.yaml: restore deploy/superset/dashboards")
    return contents


def admin_and_bundle(contents: dict[str, str], user: str, password: str, email: str) -> int:
    """Create the admin user (or reset its password to the configured one), then import and
    overwrite every database, dataset, chart and dashboard of the bundle. In-process, so the
    password never appears on a command line."""
    from flask import g
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand

        admin = security_manager.find_user(username=user)
        if admin is None:
            role = security_manager.find_role("Admin")
            admin = security_manager.add_user(user, "Admin", "User", email, role, password=password)
            if not admin:
                raise StepError(f"creating the admin user {user!r} failed (email {email!r} taken?)")
        else:
            security_manager.reset_password(admin.id, password)
        g.user = admin
        ImportAssetsCommand(contents).run()
    return sum(1 for name in contents if name.startswith("dashboards/"))


def provision(env: dict[str, str]) -> str:
    check_environment(env)
    serving = check_serving(env["SWANSYNC_SERVING"], float(env.get("SWANSYNC_SERVING_WAIT") or 0))
    home = Path(env.get("SUPERSET_HOME") or Path.home() / ".superset")
    home.mkdir(parents=True, exist_ok=True)
    log = home / "provision.log"
    user, password = env["SUPERSET_ADMIN_USER"], env["SUPERSET_ADMIN_PASSWORD"]
    email = env.get("SUPERSET_ADMIN_EMAIL") or f"{user}@localhost"
    superset(["db", "upgrade"], log, env, "superset db upgrade")
    superset(["init"], log, env, "superset init")
    try:
        contents = load_bundle(serving_uri(str(serving)), filter_defaults(serving))
        count = admin_and_bundle(contents, user, password, email)
    except (SetupError, StepError):
        raise
    except Exception as exc:  # Superset raises many types; the log line names the cause.
        with log.open("a", encoding="utf-8") as out:
            details = getattr(exc, "normalized_messages", lambda: "")()
            out.write(f"\nimport failed: {exc!r}\n{details}\n")
        raise StepError(f"importing {BUNDLE} failed ({type(exc).__name__}); see {log}") from exc
    return f"provisioned {count} dashboards on {serving}"


def main() -> int:
    try:
        print(f"provision: {provision(dict(os.environ))}", file=sys.stderr)
    except SetupError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    except StepError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
