"""Offline reading with pip alone: MathJax comes from the ``sphinx-mathjax-offline`` package, which
copies it into the HTML; no npm, no CDN (the browser test checks the typeset math in Chromium)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from _site import HTML, require_html

from lstm_lib.book import runner as book

ROOT = Path(__file__).resolve().parents[2]


def test_config_uses_the_pip_mathjax_and_the_offline_check() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]
    assert "mathjax_path" not in sphinx["config"] and "html_extra_path" not in sphinx["config"]
    assert config["launch_buttons"].get("thebe") is False
    assert "offline_book" in sphinx["local_extensions"]


def test_the_mathjax_package_ships_the_bundle_and_its_fonts() -> None:
    package = Path(importlib.import_module("sphinx-mathjax-offline").__file__).parent / "static" / "mathjax"
    assert (package / "tex-chtml.js").is_file()
    assert list((package / "output" / "chtml" / "fonts").rglob("*.woff"))


def test_no_npm_code_path_is_left() -> None:
    for path in [*(ROOT / "lstm_lib").rglob("*.py"), ROOT / "Makefile", ROOT / "_config.yml"]:
        assert "npm" not in path.read_text(encoding="utf-8").lower().split(), f"{path} still mentions npm"
    assert not hasattr(book, "install_mathjax")


@pytest.mark.book
def test_the_built_site_serves_mathjax_itself() -> None:
    html = require_html()
    mathjax = HTML / "_static" / "mathjax"
    scripts = list(mathjax.glob("tex-*.js"))
    assert scripts, f"no MathJax under {mathjax}"
    page = (html / "chapters" / "01_lstm_cell.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-" in page
