"""Every page of the built book, read by headless Chromium over a closed network.

Needs ``_build/html`` (``make test`` builds it first; the test fails naming the command otherwise)
and ``/usr/bin/chromium`` (``make test`` installs it with apt-get). Per page it checks: no console
errors, no request leaving localhost, every image loaded, all math typeset by the local MathJax,
every internal link answers 200 and every fragment names an existing id. A full-page screenshot
of each page goes to ``screenshots/`` (git-ignored) for a human look.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from _site import ROOT, require_html, serve, toc_pages

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = ROOT / "screenshots"

WAIT_FOR_PAGE = """async () => {
  for (const img of document.images) { img.loading = "eager"; }
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
}"""

INSPECT = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, mjx-container, .highlight, textarea").forEach(e => e.remove());
  return {
    broken_images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                       .map(i => i.getAttribute("src")),
    math: document.querySelectorAll(".math").length,
    untypeset: [...document.querySelectorAll(".math")].filter(e => !e.querySelector("mjx-container"))
                                                      .map(e => e.textContent.slice(0, 60)),
    mjx: document.querySelectorAll("mjx-container").length,
    text: clone.textContent,
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  };
}"""

RAW_MATH = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)")
ID = re.compile(r"""\s(?:id|name)=["']([^"']+)["']""")


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            text = body.decode("utf-8", "replace") if url.endswith((".html", "/")) else ""
            return response.status, text
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does this)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_every_page_reads_offline(browser) -> None:
    html = require_html()
    pages = toc_pages()
    SCREENSHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    links: dict[str, set[str]] = {}  # target URL without fragment -> fragments wanted
    with serve(html) as base:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        outside: list[str] = []

        def route(route, request) -> None:
            if urlsplit(request.url).hostname in LOCAL_HOSTS or request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                outside.append(request.url)
                route.abort()

        context.route("**/*", route)
        for name in pages:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.on(
                "response",
                lambda r, errors=errors: errors.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None,
            )
            outside.clear()
            url = f"{base}/{name}.html"
            response = page.goto(url, wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{name}: page answered {response.status if response else 'nothing'}")
                page.close()
                continue
            page.evaluate(WAIT_FOR_PAGE)
            info = page.evaluate(INSPECT)
            page.screenshot(path=str(SCREENSHOTS / f"{name.replace('/', '__')}.png"), full_page=True)
            page.close()
            for error in errors:
                problems.append(f"{name}: console error: {error}")
            for request in outside:
                problems.append(f"{name}: request outside localhost: {request}")
            for src in info["broken_images"]:
                problems.append(f"{name}: image did not load: {src}")
            for snippet in info["untypeset"]:
                problems.append(f"{name}: math not typeset by MathJax: {snippet!r}")
            if info["math"] and not info["mjx"]:
                problems.append(f"{name}: has {info['math']} math elements but MathJax produced none")
            raw = RAW_MATH.search(info["text"])
            if raw:
                at = raw.start()
                problems.append(f"{name}: raw TeX left in the text: {info['text'][max(0, at - 40) : at + 40]!r}")
            for href in info["links"]:
                if urlsplit(href).netloc == urlsplit(base).netloc:
                    target, fragment = urldefrag(href)
                    links.setdefault(target, set())
                    if fragment:
                        links[target].add(unquote(fragment))
        context.close()
        for target, fragments in sorted(links.items()):
            status, text = _fetch(target)
            if status != 200:
                problems.append(f"internal link {target} answered HTTP {status}")
                continue
            ids = set(ID.findall(text))
            for fragment in sorted(fragments - ids):
                problems.append(f"internal link {target}#{fragment}: no element with that id")
    problems = list(dict.fromkeys(problems))
    assert not problems, f"{len(problems)} problem(s) in the built book:\n" + "\n".join(problems)
