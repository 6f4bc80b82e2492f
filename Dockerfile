# swansync: the scheduler image. Build: docker build -t swansync .
# Installs exactly the pinned versions of constraints.txt; the API key is never baked in
# (it comes from the env file at run time, see docker-compose.yml and swansync.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY constraints.txt pyproject.toml README.md ./
COPY swansync ./swansync
COPY trackersim ./trackersim
COPY sql ./sql
# A plain install (no extras), then every product module is imported from outside the source
# tree: a runtime import missing from [project] dependencies fails the build, not the user.
RUN pip install -c constraints.txt . \
 && cd / && python -c "import importlib, pathlib, swansync, trackersim; \
[importlib.import_module(p.__name__ + ''.join('.' + x for x in \
 f.relative_to(pathlib.Path(p.__file__).parent).with_suffix('').parts if x != '__init__')) \
 for p in (swansync, trackersim) for f in sorted(pathlib.Path(p.__file__).parent.rglob('*.py')) \
 if f.stem != '__main__']" \
 && swansync --help > /dev/null \
 && cd /src && useradd --uid 10001 --create-home swansync \
 && mkdir -p /data /config \
 && chown swansync:swansync /data

USER swansync
WORKDIR /data
VOLUME ["/data"]
ENV SWANSYNC_CONFIG=/config/swansync.toml

# SIGTERM (docker stop) ends the pull in progress after its current transaction.
STOPSIGNAL SIGTERM
ENTRYPOINT ["swansync"]
CMD ["-v", "schedule", "--config", "/config/swansync.toml"]
