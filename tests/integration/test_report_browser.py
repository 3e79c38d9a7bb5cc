"""`svcrules report` in a real browser: each built-in pack's example stream, reported as HTML,
opened in headless Chromium (the system's, driven by Playwright) with every network request
blocked and counted. It must load without a console error or a request leaving the file, show
the KPI table with rows and every chart drawn; the power-grid page is saved as the screenshot
the README and docs/report.md show."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from svcrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-11-01T00:00:00+08:00"  # README's first command
PACKS = ("power-grid", "resident-staff", "telecom-field-service")
SCREENSHOT = ROOT / "docs" / "report-power-grid.png"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    found = os.environ.get("SVCRULES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        # .ci/run installs it (apt-get install chromium) and says why when it cannot
        pytest.skip(f"no Chromium at {found}: install the Debian package chromium to run this test")
    return found


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    pages = {}
    for pack in PACKS:
        page = out / f"{pack}.html"
        events = str(ROOT / "examples" / f"{pack}-events.jsonl")
        assert main(["report", pack, events, "--now", NOW, "--out", str(page)]) == 0
        pages[pack] = page
    return pages


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 1800},
        )
        try:
            yield context
        finally:
            context.close()


CHARTS_JS = """els => els.map(e => {
  const svg = e.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
  return {name: e.dataset.chart, width: box ? box.width : 0, height: box ? box.height : 0,
          drawn: svg ? svg.querySelectorAll('path, rect, circle, line, polyline, use').length : 0,
          text: svg ? svg.querySelectorAll('text').length : 0};
})"""


@pytest.mark.parametrize("pack", PACKS)
def test_report_opens_offline_with_kpis_and_every_chart_drawn(
    pack: str, reports: dict[str, Path], browser: object
) -> None:
    from playwright.sync_api import BrowserContext, Route

    assert isinstance(browser, BrowserContext)
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def block(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:  # anything the page would fetch from elsewhere: refused, and counted
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.on(
        "request", lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url)
    )
    page.goto(reports[pack].as_uri(), wait_until="load")

    assert errors == []
    assert outside == [], "the report asked the network for something"
    kpi_rows = page.locator("table.kpi-table tbody tr")
    assert kpi_rows.count() > 0
    assert page.locator("table.kpi-table tbody td.pass, table.kpi-table tbody td.fail").count() > 0
    charts = page.eval_on_selector_all("figure.chart", CHARTS_JS)
    assert len(charts) >= 2  # on-time trends and the breach timeline at least
    for chart in charts:
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["drawn"] > 10 and chart["text"] > 0, chart
    names = {c["name"] for c in charts}
    assert "breach timeline" in names
    assert any(n.startswith("on-time ") for n in names)
    if pack == "resident-staff":  # the one example with deductions: its thresholds are drawn
        assert "scores monthly" in names
        assert page.locator(
            "figure[data-chart='scores monthly'] svg text", has_text="warning"
        ).count()
    assert page.locator("table.clock-table tbody tr").count() > 0
    if pack == "power-grid":
        page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 1280, "height": 1800})
        assert SCREENSHOT.stat().st_size > 10_000
    page.close()
