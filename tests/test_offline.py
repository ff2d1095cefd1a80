"""Offline reading set-up: MathJax is installed locally by ``lstm_lib.book.install_mathjax`` and the
book's configuration points at that copy (the browser test checks the result in Chromium)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import yaml

from lstm_lib.book import runner as book

ROOT = Path(__file__).resolve().parent.parent


def _fake_tarball(root: Path) -> Path:
    """A stand-in for ``npm pack mathjax@VERSION`` (no network in tests)."""
    path = root / ".cache" / "npm" / f"mathjax-{book.MATHJAX_VERSION}.tgz"
    path.parent.mkdir(parents=True)
    files = {
        "package/es5/tex-chtml-full.js": b"window.MathJax = window.MathJax || {};",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"wOF2",
        "package/es5/ui/menu.js": b"",
        "package/es5/tex-svg.js": b"not needed",
        "package/README.md": b"not needed",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_install_mathjax_extracts_what_the_pages_need(tmp_path: Path) -> None:
    _fake_tarball(tmp_path)
    target = book.install_mathjax(tmp_path)
    assert target == tmp_path / book.VENDOR / "_static" / "mathjax"
    assert (target / "tex-chtml-full.js").is_file()
    assert (target / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert (target / "ui/menu.js").is_file()
    assert not (target / "tex-svg.js").exists() and not (target / "README.md").exists()
    assert (target / ".version").read_text().strip() == book.MATHJAX_VERSION
    before = (target / "tex-chtml-full.js").stat().st_mtime_ns
    assert book.install_mathjax(tmp_path) == target  # already there: nothing redone
    assert (target / "tex-chtml-full.js").stat().st_mtime_ns == before
    assert not list((tmp_path / ".cache").glob("mathjax-*")), "staging folder left behind"


def test_install_mathjax_without_npm_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(book.ChapterError, match="npm is missing"):
        book.install_mathjax(tmp_path)


def test_config_points_at_the_local_copy() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"]
    assert book.VENDOR in sphinx["html_extra_path"]
    # html_extra_path copies _vendor/ into the HTML root; mathjax_path is relative to _static/
    assert sphinx["mathjax_path"] == "mathjax/tex-chtml-full.js"
    assert config["launch_buttons"].get("thebe") is False
    assert "offline_book" in config["sphinx"]["local_extensions"]
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert f"{book.VENDOR}/" in gitignore
