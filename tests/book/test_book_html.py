"""The built HTML, read without a browser: every chapter has a page, every image exists and decodes,
and no page asks another host for a script, style sheet or image.

Needs ``_build/html``: ``make test`` builds the book (quick profile) before pytest; run
``.venv/bin/python -m lstm_lib book --profile quick`` yourself otherwise.
"""

from __future__ import annotations

import html.parser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from _site import HTML, require_html, toc_pages
from PIL import Image

pytestmark = pytest.mark.book


LOADED_RELS = {"stylesheet", "preload", "modulepreload", "icon"}
"""``<link rel=...>`` kinds the browser fetches on its own (not ``canonical`` or plain links)."""


class _Assets(html.parser.HTMLParser):
    """Collects ``<img src>``, ``<script src>`` and ``<link rel=stylesheet href>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
            self.loads.append(a["src"])
        elif tag == "script" and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "link" and a.get("href") and LOADED_RELS & set((a.get("rel") or "").split()):
            self.loads.append(a["href"])


def _assets(page: Path) -> _Assets:
    parser = _Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_toc_entry_has_a_page() -> None:
    html = require_html()
    missing = [name for name in toc_pages() if not (html / f"{name}.html").is_file()]
    assert not missing, f"_toc.yml lists pages the build did not produce: {missing}"


@pytest.mark.parametrize("name", toc_pages())
def test_images_exist_decode_and_nothing_loads_from_outside(name: str) -> None:
    page = require_html() / f"{name}.html"
    if not page.is_file():
        pytest.fail(f"{page} is missing (see test_every_toc_entry_has_a_page)", pytrace=False)
    assets = _assets(page)
    outside = [url for url in assets.loads if urlsplit(url).scheme in ("http", "https") or url.startswith("//")]
    assert not outside, f"{name} loads from other hosts: {outside}"
    problems = []
    for src in assets.images:
        if src.startswith("data:"):
            continue
        path = (page.parent / unquote(urlsplit(src).path)).resolve()
        if not path.is_relative_to(HTML.resolve()) or not path.is_file():
            problems.append(f"{src}: no such file under {HTML}")
            continue
        if path.suffix.lower() == ".svg":
            if b"<svg" not in path.read_bytes()[:4096]:
                problems.append(f"{src}: not an SVG image")
            continue
        try:
            with Image.open(path) as image:
                image.load()
                if image.width < 1 or image.height < 1:
                    problems.append(f"{src}: empty image {image.size}")
        except Exception as exc:  # PIL raises many kinds for a damaged file
            problems.append(f"{src}: does not decode ({exc})")
    assert not problems, f"{name}: " + "; ".join(problems)
