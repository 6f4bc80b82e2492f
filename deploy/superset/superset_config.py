"""Superset settings for swansync's dashboards, the same for `make bi` and docker compose.

Superset finds this file through SUPERSET_CONFIG_PATH (set by bootstrap.sh). Everything
site-specific comes from the environment; there is no default secret.

- SUPERSET_SECRET_KEY (required): signs sessions and encrypts stored connection secrets.
- SUPERSET_HOME: folder of Superset's own metadata database (users, charts, dashboards),
  `superset.db` in it. compose: the volume /app/superset_home; `make bi`: a throwaway folder.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

_HOME = os.environ.get("SUPERSET_HOME") or os.path.expanduser("~/.superset")
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.path.abspath(_HOME), "superset.db")

# Query results are small (the views aggregate); keep the SQL Lab defaults otherwise.
ROW_LIMIT = 50000
# No data cache: every chart query opens a new DuckDB connection (NullPool), so a reload shows
# the newest serving copy the scheduler published. (These are Superset's defaults, kept explicit
# because refresh depends on them.)
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
RATELIMIT_STORAGE_URI = "memory://"

# The stock content security policy, minus the outside hosts (usage pixel, map tiles, fonts):
# the dashboards need none of them, and the browser then never calls home.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
