"""Open Superset dashboards in headless Chromium and report what every chart shows.

Run by the Superset environment's python (it ships Selenium), never by the project's:
``python browse.py BASE_URL OUT_DIR SLUG [SLUG ...]``; the admin user and password come in
SUPERSET_ADMIN_USER / SUPERSET_ADMIN_PASSWORD. For each dashboard it logs in once, loads
``/superset/dashboard/<slug>/``, waits until every chart has finished (rendered, error or
"No results"), saves ``<slug>.png`` in OUT_DIR and writes ``OUT_DIR/report.json``:
``{slug: {"charts": [{"name", "viz", "state", "text"}], "seconds": float}}``.

Chromium stays local: no background networking, and every host but 127.0.0.1 resolves to
nothing (Superset's pages reference outside hosts).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1600,1300",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
DASHBOARD_TIMEOUT_S = 240

# Classifies each chart of the page: "loading" until it settles, then "error", "empty" or "ok".
CHART_STATES = """
const out = [];
for (const el of document.querySelectorAll('[data-test="chart-grid-component"]')) {
  const text = el.innerText || '';
  const body = el.querySelector('[data-test="chart-container"], .chart-container') || el;
  let state = 'loading';
  if (el.querySelector('.loading, [aria-label="Loading"]') || /Waiting on|Loading/.test(text)) {
    state = 'loading';
  } else if (el.querySelector('[role="alert"], .ant-alert-error, [data-test="alert"]')
             || /Unexpected error|error occurred|Error:/i.test(text)) {
    state = 'error';
  } else if (/No results/i.test(text)) {
    state = 'empty';
  } else if (body.querySelector('svg, canvas, table, .header-line, .big_number')) {
    state = 'ok';
  }
  out.push({name: el.getAttribute('data-test-chart-name'),
            viz: el.getAttribute('data-test-viz-type'), state: state, text: text});
}
return out;
"""


def browser() -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={os.environ['BROWSE_PROFILE']}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def login(driver: webdriver.Chrome, base: str) -> None:
    driver.get(f"{base}/login/")
    driver.find_element(By.ID, "username").send_keys(os.environ["SUPERSET_ADMIN_USER"])
    password = driver.find_element(By.ID, "password")
    password.send_keys(os.environ["SUPERSET_ADMIN_PASSWORD"])
    password.submit()
    deadline = time.monotonic() + 60
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise SystemExit("browse: login did not succeed (wrong admin user or password?)")
        time.sleep(0.25)


def settle(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Poll the page until it shows charts and none is loading (or the time is up)."""
    deadline = time.monotonic() + DASHBOARD_TIMEOUT_S
    charts: list[dict[str, Any]] = []
    stable = 0
    while time.monotonic() < deadline:
        charts = driver.execute_script(CHART_STATES)
        done = bool(charts) and all(c["state"] != "loading" for c in charts)
        # two settled polls in a row: a chart re-queries when a filter default lands
        stable = stable + 1 if done else 0
        if stable >= 2:
            return charts
        time.sleep(0.5)
    return charts


def main(base: str, out: Path, slugs: list[str]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    driver = browser()
    try:
        login(driver, base)
        for slug in slugs:
            started = time.monotonic()
            driver.get(f"{base}/superset/dashboard/{slug}/")
            charts = settle(driver)
            time.sleep(1)  # let chart animations finish before the screenshot (not a sync point)
            driver.save_screenshot(str(out / f"{slug}.png"))
            report[slug] = {"charts": charts, "seconds": round(time.monotonic() - started, 1)}
    except WebDriverException as exc:
        print(f"browse: Chromium failed: {exc.msg}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:]))
