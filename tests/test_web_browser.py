"""The dashboard end to end in a real headless Chromium (Debian's ``chromium`` driven by
Playwright's Python package): a store built from examples/, a real uvicorn server on
loopback, and the browser doing what an analyst does. Screenshots go to
``test-artifacts/browser/``."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from conftest import ROOT, has_model

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.server]

CHROMIUM = os.environ.get("DETENTE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-dev-shm-usage"]
SHOTS = ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 60_000


def _need(ok: bool, why: str) -> None:
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must install it: see .ci/run)")
        pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need(has_model(), "the spaCy model is not installed")
    _need(Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)),
          f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    import uvicorn

    from detente import api
    from detente.server import ServerConfig, create_app

    db = tmp_path_factory.mktemp("web") / "web.duckdb"
    api.ingest([ROOT / "examples"], db=db)
    config = ServerConfig(db=db, rate_limit=0)
    store = api.open_for_serving(db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, store=store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need(Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)),
          f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh page at 1280 px that records console errors, page errors and every request
    that leaves the server (none may: the dashboard works offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    outside: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    host = urlparse(base_url).netloc

    def gate(route: Any) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https") and url.netloc != host:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    pg.route("**/*", gate)
    pg.problems = problems
    yield pg
    context.close()
    assert not outside, f"requests left the server: {outside}"
    assert not problems, problems


def shot(pg: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ready(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("body[data-ready='1']")


def test_web_dyad_chart_event_article(page: Any, base_url: str) -> None:
    ready(page, base_url + "/")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator(".event").count() > 0
    shot(page, "01-overview")

    # keyboard only: the nav link, then the dyad form
    page.get_by_role("link", name="Dyads").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Dyad timeline')")
    page.get_by_label("Actor", exact=True).focus()
    page.keyboard.type("USA")
    page.keyboard.press("Tab")
    page.keyboard.type("TUR")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chart[data-rendered='1'] .main-svg")
    bars = page.locator("#chart g.trace.bars g.point path")
    assert bars.count() > 0, "the chart drew no bars"
    shot(page, "02-dyad-usa-tur")

    # click a period on the chart: its events are listed
    boxes = [b for b in (bars.nth(i).bounding_box() for i in range(bars.count()))
             if b is not None and b["height"] > 2]
    assert boxes, "no bar has a height"
    box = boxes[0]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#chart .hoverlayer .legend, #chart .hoverlayer .hovertext",
                           state="attached")
    page.mouse.down()
    page.mouse.up()
    page.wait_for_selector("#period-events li.event")
    first = page.locator("#period-events li.event").first
    assert first.locator("mark.trigger").count() == 1
    assert "USA" in first.inner_text()
    shot(page, "03-dyad-period-events")

    # open the event, then follow to its article
    first.get_by_role("link", name="Event details").click()
    page.wait_for_selector("#to-article")
    assert page.locator("blockquote.evidence mark.trigger").count() == 1
    assert page.locator("blockquote.evidence mark.actor").count() >= 1
    shot(page, "04-event")
    page.locator("#to-article").click()
    page.wait_for_selector("#article-text mark.trigger")
    triggers = page.locator("#article-text mark.trigger").count()
    assert triggers == page.locator("ul.events li.event").count() or triggers > 1
    shot(page, "05-article")

    # the actor page
    ready(page, base_url + "/#/actor/TUR")
    page.wait_for_selector("h1:has-text('TUR —')")
    assert "Top partners" in page.inner_text("main")
    shot(page, "06-actor-tur")


def test_web_ingest_pasted_article_escapes_markup(page: Any, base_url: str) -> None:
    ready(page, base_url + "/#/ingest")
    page.wait_for_selector("#paste-form")
    form = page.locator("#paste-form")
    form.get_by_label("Title").fill("Moscow and Beijing <img src=x onerror=\"window.pwned=1\">")
    form.get_by_label("Publication date").fill("2024-05-16")
    form.get_by_label("Text").fill(
        "Russia and China signed a trade agreement in Beijing on Thursday. "
        "<script>window.pwned = 2</script> The European Union criticised Iran over its "
        "nuclear programme.")
    shot(page, "07-ingest-form")
    form.get_by_role("button", name="Ingest text").click()
    link = page.locator("#ingest-result a").first
    link.wait_for()
    assert "1 new article" in page.inner_text("#ingest-result")
    link.click()
    page.wait_for_selector("#article-text")
    page.wait_for_selector("ul.events li.event")
    text = page.inner_text("#article-text")
    assert "<script>window.pwned = 2</script>" in text  # shown as text, not run
    assert page.locator("#article-text img, #article-text script, main img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.locator("#article-text mark.trigger").count() >= 1
    shot(page, "08-ingested-article")


def test_web_narrow_screen_and_offline_docs(page: Any, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    ready(page, base_url + "/#/dyad?a=USA&r=TUR&by=year")
    page.wait_for_selector("#chart[data-rendered='1'] .main-svg")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"horizontal overflow on a narrow screen: {width}"
    shot(page, "09-dyad-narrow")
    ready(page, base_url + "/#/events?actor=USA")
    page.wait_for_selector("li.event")
    shot(page, "10-events-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    shot(page, "11-api-docs")
