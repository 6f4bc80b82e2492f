"""Superset settings for the swansync stack (mounted at /app/pythonpath/superset_config.py)."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# Superset's own metadata (users, charts, dashboards) lives in its volume.
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"
# Query results are small (the views aggregate); keep the SQL Lab defaults otherwise.
ROW_LIMIT = 50000
