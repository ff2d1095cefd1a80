"""Sphinx extension: keep the built book readable offline.

* Fails the build (a warning, and the book builds with ``-W``) if a page would load a script or
  style sheet from another host: readers and the browser test work without a network.
* Fails the build if the MathJax that ``mathjax_path`` names is not in the HTML: the pip package
  sphinx-mathjax-offline copies it there when the build finishes (no npm, no CDN).
* Drops repeated ``<script>`` entries: sphinx-thebe and sphinx-togglebutton register their inline
  configuration twice under Sphinx 7 (``const THEBE_JS_URL`` declared twice is a console error).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _filename(asset: object) -> str:
    return str(getattr(asset, "filename", asset) or "")


def check_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    scripts = context.get("script_files", [])
    seen: set = set()
    unique: list = []
    for script in scripts:  # an inline script's filename is None or "", depending on who added it
        key = (_filename(script), getattr(script, "priority", 0), sorted(getattr(script, "attributes", {}).items()))
        if repr(key) not in seen:
            seen.add(repr(key))
            unique.append(script)
    scripts[:] = unique
    for asset in [*scripts, *context.get("css_files", [])]:
        name = _filename(asset)
        if "://" in name or name.startswith("//"):
            logger.warning(f"{pagename} would load {name} from outside: the book must read offline", type="offline")


def check_mathjax(app: Sphinx, exc: Exception | None) -> None:
    """Runs after sphinx-mathjax-offline's copy (a higher priority number runs later)."""
    if exc is not None or app.builder.format != "html":
        return
    path = app.config.mathjax_path
    if "://" in path or path.startswith("//"):
        logger.warning(f"mathjax_path {path} is on another host: the book must read offline", type="offline")
    elif not (Path(app.outdir) / "_static" / path).is_file():
        logger.warning(f"MathJax is missing from the HTML ({path}): install sphinx-mathjax-offline", type="offline")


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", check_page)
    app.connect("build-finished", check_mathjax, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
