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
RUN pip install -c constraints.txt . \
 && useradd --uid 10001 --create-home swansync \
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
