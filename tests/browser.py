"""Headless Chromium for the tests of pages people open (the client's page, a batch's index).

Playwright drives the system's Chromium (``executable_path``: Debian's ``chromium``, which
``make setup`` installs through scripts/install-chromium.sh); Playwright's own browser download is
never used. Without a system Chromium, or without Playwright, the tests that ask for the
``browser`` fixture are skipped with the reason.

A :class:`Visit` records what a page did while it loaded: console messages, uncaught errors,
failed requests and every URL it requested, so a test can assert that the page is self-contained
and quiet. :func:`check_links` resolves every ``<a href>`` of a page to a file inside a folder;
:func:`tab_through` presses Tab and records where the focus goes; :func:`screenshots` saves full
page screenshots at the widths of a desktop and a phone.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

#: the names Debian and Ubuntu give the system browser
CHROMIUM_NAMES = ("chromium", "chromium-browser")
#: a desktop and a phone (CSS pixels)
WIDTHS = (1280, 390)


def system_chromium() -> str | None:
    """The system Chromium's path, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless system Chromium (skipped, with the reason, where there is none)."""
    path = system_chromium()
    if path is None:
        pytest.skip(f"no system Chromium ({' or '.join(CHROMIUM_NAMES)} on PATH): `make setup` installs Debian's "
                    "chromium where apt-get is available (scripts/install-chromium.sh)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """A page opened at one width, with what happened while it loaded."""

    page: Any
    console: list[str] = field(default_factory=list)  # "type: text" of every console message
    errors: list[str] = field(default_factory=list)  # uncaught exceptions
    failed: list[str] = field(default_factory=list)  # requests that failed
    requested: list[str] = field(default_factory=list)  # every URL the page requested

    @property
    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught errors, failed requests."""
        return ([m for m in self.console if m.split(":", 1)[0] in ("error", "warning")]
                + [f"page error: {e}" for e in self.errors] + [f"failed request: {r}" for r in self.failed])

    def close(self) -> None:
        self.page.context.close()


def visit(browser: Any, url: str, *, width: int = WIDTHS[0], height: int = 900) -> Visit:
    """Open ``url`` in a fresh context ``width`` CSS pixels wide and wait until it has loaded."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    seen = Visit(page)
    page.on("console", lambda msg: seen.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("requestfailed", lambda req: seen.failed.append(f"{req.url} ({req.failure})"))
    page.on("request", lambda req: seen.requested.append(req.url))
    page.goto(url, wait_until="load")
    return seen


def outside(requested: list[str], root: Path) -> list[str]:
    """The requested URLs that are neither ``data:`` nor a file inside ``root``."""
    bad = []
    for url in requested:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        if parts.scheme != "file" or not Path(unquote(parts.path)).resolve().is_relative_to(root.resolve()):
            bad.append(url)
    return bad


def check_links(page: Any, page_file: Path, root: Path) -> list[str]:
    """Every ``<a href>`` of the page, checked: a fragment names an element of the page; anything
    else is a relative link to a file that exists inside ``root``. Returns the hrefs checked;
    fails (assert) on the first that does not resolve."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs, "the page has no links"
    for href in hrefs:
        if href.startswith("#"):
            assert page.locator(f"[id='{href[1:]}']").count() == 1, f"{href}: no element with that id"
            continue
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not href.startswith("/"), f"{href}: not a relative link"
        target = (page_file.parent / unquote(parts.path)).resolve()
        assert target.is_relative_to(root.resolve()), f"{href} leaves {root}"
        assert target.is_file(), f"{href}: {target} does not exist"
    return hrefs


def tab_through(page: Any, presses: int = 80) -> list[dict[str, Any]]:
    """Press Tab ``presses`` times from the top of the page; for each stop, the focused element's
    tag, href, text, whether it is inside a ``.downloads`` section and its computed outline."""
    page.keyboard.press("Home")
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => {
            const e = document.activeElement;
            const s = getComputedStyle(e);
            return {tag: e.tagName.toLowerCase(), href: e.getAttribute('href'), text: (e.textContent || '').trim(),
                    download: !!e.closest('.downloads'), outline: s.outlineStyle + ' ' + s.outlineWidth,
                    visible: !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)};
        }"""))
    return stops


def screenshots(browser: Any, url: str, folder: Path, name: str) -> list[Path]:
    """Full-page screenshots at each of :data:`WIDTHS`, saved as ``folder/<name>-<width>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for width in WIDTHS:
        seen = visit(browser, url, width=width)
        try:
            path = folder / f"{name}-{width}.png"
            seen.page.screenshot(path=str(path), full_page=True)
            assert seen.problems == [], seen.problems
            # nothing wider than the viewport: no sideways scrolling on a phone
            overflow = seen.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
        finally:
            seen.close()
        print(f"screenshot: {path}")
        paths.append(path)
    return paths
