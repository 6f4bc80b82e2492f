"""docker-compose.yml, the Dockerfiles and deploy/ are complete and consistent (Docker cannot run
here, so the files are checked as data: every reference points at something that exists)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from swansync.config import load_settings

from .helpers import REPO


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(source, target, mode) of each short-syntax volume entry."""
    out = []
    for v in service.get("volumes", []):
        parts = v.split(":")
        assert len(parts) in (2, 3), v
        out.append((parts[0], parts[1], parts[2] if len(parts) == 3 else "rw"))
    return out


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_services_and_named_volumes(compose):
    services = compose["services"]
    default = {n for n, svc in services.items() if not svc.get("profiles")}
    assert default == {"swansync", "superset"}  # `docker compose up` without a profile
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for source, target, _ in mounts(svc):
            assert target.startswith("/"), (name, target)
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
    assert "swansync-data" in declared


def test_every_build_context_and_bind_mount_exists(compose):
    for name, svc in compose["services"].items():
        build = svc.get("build")
        if build:
            context = REPO / build["context"]
            assert context.is_dir(), name
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        for source, _, _ in mounts(svc):
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_env_files_are_user_copies_of_committed_examples(compose):
    for name, svc in compose["services"].items():
        for env_file in svc.get("env_file", []):
            example = REPO / f"{env_file}.example"
            assert example.is_file(), f"{name}: no {example.name} to copy {env_file} from"
            # The real file holds secrets: it must not be committed.
            tracked = subprocess.run(
                ["git", "ls-files", "--error-unmatch", env_file],
                cwd=REPO,
                capture_output=True,
            )
            assert tracked.returncode != 0, f"{env_file} is committed"
    example_text = (REPO / "swansync.env.example").read_text(encoding="utf-8")
    assert re.search(r"^SWANLAB_API_KEY=replace-with", example_text, re.M)


def test_scheduler_service_runs_swansync_schedule_with_the_mounted_config(compose):
    svc = compose["services"]["swansync"]
    command = svc["command"]
    assert "schedule" in command
    config_path = command[command.index("--config") + 1]
    binds = {target: source for source, target, _ in mounts(svc)}
    assert config_path in binds, "the config the command names is not mounted"
    host_config = REPO / binds[config_path]
    settings = load_settings(config_file=host_config, env={})
    assert settings.jobs, "the compose config has no [[jobs]]"
    assert settings.serving is not None
    # Warehouse and serving copy are inside the data volume the service mounts read-write.
    data = next(t for s, t, m in mounts(svc) if s == "swansync-data")
    assert next(m for s, t, m in mounts(svc) if s == "swansync-data") == "rw"
    for path in (settings.db, settings.serving):
        assert PurePosixPath(path).is_relative_to(data), path
    assert "swansync.env" in svc["env_file"]
    # The command is one our CLI accepts.
    args = [a for a in command if a != "--config" and a != config_path]
    help_run = subprocess.run(
        [sys.executable, "-m", "swansync", *args, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "--config" in help_run.stdout
    assert "--once" in help_run.stdout


def test_bi_service_reads_the_serving_copy_read_only(compose):
    svc = compose["services"]["superset"]
    volume = [(t, m) for s, t, m in mounts(svc) if s == "swansync-data"]
    assert volume == [("/data", "ro")]
    settings = load_settings(config_file=REPO / "deploy/swansync.toml", env={})
    assert svc["environment"]["SWANSYNC_SERVING"] == str(settings.serving)
    assert "superset.env" in svc["env_file"]
    # The image runs the one start-up script `make bi` and the browser test also run.
    steps = dockerfile_instructions(REPO / "deploy/superset/Dockerfile")
    assert ("CMD", '["sh", "/app/deploy/superset/bootstrap.sh"]') in steps
    bootstrap = (REPO / "deploy/superset/bootstrap.sh").read_text(encoding="utf-8")
    assert 'python "$here/provision.py"' in bootstrap
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "sh deploy/superset/bootstrap.sh" in makefile
    # Credentials have no defaults: provision.py requires them, the config reads the key.
    provision = (REPO / "deploy/superset/provision.py").read_text(encoding="utf-8")
    for name in ("SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_USER", "SUPERSET_ADMIN_PASSWORD"):
        assert f'"{name}"' in provision.split("REQUIRED = ", 1)[1].split(")", 1)[0]
    assert ":-admin" not in bootstrap and "PASSWORD:-" not in bootstrap
    config = (REPO / "deploy/superset/superset_config.py").read_text(encoding="utf-8")
    assert 'os.environ["SUPERSET_SECRET_KEY"]' in config
    assert (REPO / "superset.env.example").read_text().count("SUPERSET_SECRET_KEY=") == 1


def test_superset_image_is_the_pinned_make_bi_environment(compose):
    steps = dockerfile_instructions(REPO / "deploy/superset/Dockerfile")
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for op, rest in steps if op == "RUN")
    assert "-r /app/deploy/superset/requirements.txt" in runs
    assert "-c /app/deploy/superset/constraints.txt" in runs
    for op, rest in steps:
        if op == "COPY":
            for src in rest.split()[:-1]:
                assert (REPO / "deploy/superset" / src).exists(), f"COPY source {src} missing"
    pinned = dict(
        line.split("==", 1)
        for line in (REPO / "deploy/superset/constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pinned["apache_superset"] == "6.1.0"
    assert pinned["duckdb"].startswith("1."), "the serving copy is read by DuckDB 1.x"
    assert "duckdb_engine" in pinned
    assert pinned["Flask-Caching"] == "2.3.1"


def test_swansync_dockerfile(compose):
    steps = dockerfile_instructions(REPO / "Dockerfile")
    assert steps[0] == ("FROM", "python:3.11-slim")
    for op, rest in steps:
        if op == "COPY":
            for src in rest.split()[:-1]:
                assert (REPO / src).exists(), f"COPY source {src} missing"
        # No secret is baked into the image.
        assert "SWANLAB_API_KEY" not in rest, (op, rest)
    runs = " ".join(rest for op, rest in steps if op == "RUN")
    assert "-c constraints.txt" in runs
    assert ("USER", "swansync") in steps
    entry = next(rest for op, rest in steps if op == "ENTRYPOINT")
    cmd = next(rest for op, rest in steps if op == "CMD")
    assert entry == '["swansync"]'
    assert compose["services"]["swansync"]["command"] == yaml.safe_load(cmd)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "*.duckdb", "*.env"} <= set(ignored)


LAKE = {
    "lake-postgres",
    "lake-s3",
    "lake-bucket",
    "lake-worker-a",
    "lake-worker-b",
    "lake-superset",
}


def test_lake_profile_two_workers_on_one_lake_and_superset_on_its_copy(compose):
    services = compose["services"]
    assert {n for n, svc in services.items() if svc.get("profiles") == ["lake"]} == LAKE
    workers = {}
    for name in ("lake-worker-a", "lake-worker-b"):
        svc = services[name]
        assert svc["image"] == services["swansync"]["image"]
        command = svc["command"]
        assert command[:2] == ["-v", "schedule"]
        config_path = command[command.index("--config") + 1]
        binds = {target: source for source, target, _ in mounts(svc)}
        settings = load_settings(config_file=REPO / binds[config_path], env={})
        assert settings.lake is not None and "host=lake-postgres" in settings.lake
        assert "password" not in settings.lake.lower()
        assert settings.data_path == "s3://swansync/lake/"
        assert settings.maintenance is not None
        assert {"swansync.env", "lake.env"} <= set(svc["env_file"])
        assert svc["environment"]["AWS_ENDPOINT_URL"] == "http://lake-s3:9000"
        assert set(svc["depends_on"]) == {"lake-postgres", "lake-bucket"}
        workers[name] = settings
    a, b = workers["lake-worker-a"], workers["lake-worker-b"]
    assert a.lake == b.lake
    assert [j.name for j in a.jobs] != [j.name for j in b.jobs]  # different jobs, one lake
    # The catalog database and user the workers name are the ones PostgreSQL creates.
    pg = services["lake-postgres"]["environment"]
    assert f"dbname={pg['POSTGRES_DB']}" in str(a.lake) and f"user={pg['POSTGRES_USER']}" in str(
        a.lake
    )
    # The bucket the one-shot creates is the data path's.
    assert "s3/swansync" in " ".join(services["lake-bucket"]["command"])
    # Worker a publishes the serving copy into a volume Superset mounts read-only.
    assert a.serving is not None
    volume, target = next(
        (s, t) for s, t, _ in mounts(services["lake-worker-a"]) if not s.startswith(".")
    )
    assert PurePosixPath(a.serving).parent == PurePosixPath(target)
    sup = services["lake-superset"]
    [(where, mode)] = [(t, m) for s, t, m in mounts(sup) if s == volume]
    assert mode == "ro"
    assert sup["environment"]["SWANSYNC_SERVING"] == f"{where}/{PurePosixPath(a.serving).name}"
    assert sup["image"] == services["superset"]["image"]
    example = (REPO / "lake.env.example").read_text(encoding="utf-8")
    for name in ("POSTGRES_PASSWORD", "PGPASSWORD", "MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY"):
        assert re.search(rf"^{name}=replace-with", example, re.M), name
