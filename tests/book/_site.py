"""Helpers for the tests that read the built book: its pages and a local web server for them."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = Path(os.environ.get("LSTM_BOOK_ROOT", ROOT))
"""The book's source folder (the repository; ``LSTM_BOOK_ROOT`` points the tests at another one)."""
HTML = BOOK / "_build" / "html"
BUILD_HINT = "build it first: `.venv/bin/python -m lstm_lib book --profile quick` (`make test` does this before pytest)"


def toc_pages(root: Path = BOOK) -> list[str]:
    """Every page of the book in reading order: the ``root`` of ``_toc.yml`` then each ``file`` entry."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [p.removesuffix(".ipynb").removesuffix(".md") for p in pages]


def require_html() -> Path:
    """``_build/html``, or fail the test with what to run."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} is missing: {BUILD_HINT}", pytrace=False)
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on localhost in a thread; yields the base URL (``http://127.0.0.1:PORT``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
