"""The package's layers: imports only go down, the science never needs the book, and what a result
depends on is exactly the code it reaches (editing the CLI re-executes and retrains nothing)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_lib import sources
from lstm_lib.book import runner
from lstm_lib.runs import experiments

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["model", "training", "stats", "runs", "port", "settings", "study", "chaos", "figures", "book", "cli"]
"""From the bottom up: a module may import its own layer and those below (and the base modules)."""
BOOK_PACKAGES = ("papermill", "myst_nb", "jupyter_book", "IPython", "nbformat", "sphinx")


PLACED = {"theano_reference": "training", "settings": "settings", "__main__": "cli"}
"""Top-level modules that belong to a layer: the PyTensor reference of the article's training, the entry point."""


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    top = PLACED.get(parts[1], parts[1])
    return LAYERS.index(top) if top in LAYERS else None


def test_import_lstm_lib_loads_no_book_package():
    code = f"import sys, lstm_lib; print([m for m in sys.modules if m.split('.')[0] in {BOOK_PACKAGES!r}])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


MODULES = sorted(p for p in sources.PACKAGE.rglob("*.py") if p != sources.PACKAGE / "__init__.py")
"""Every module but the top-level namespace, which re-exports the science (and, by the test above, no book)."""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_only_go_down_the_layers(path):
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    own = layer_of(name)
    if own is None:  # the base modules (validation, files, sources) import nothing above them
        assert all(layer_of(m) is None for m in sources.imported_modules(path.read_text())), name
        return
    for imported in sources.imported_modules(path.read_text()):
        other = layer_of(imported)
        assert other is None or other <= own, f"{name} imports {imported}, a layer above it"


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of lstm_lib that the test may edit; hashes read it instead of the real one."""
    package = tmp_path / "lstm_lib"
    shutil.copytree(sources.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "PACKAGE", package)
    return package


def _stamps(chapters: list[Path]) -> list[str]:
    return [runner.stamp(path, {"profile": "quick"}) for path in chapters]


def test_editing_the_cli_or_the_runner_re_executes_and_retrains_nothing(package_copy):
    chapters = runner.chapters(ROOT)
    before, key = _stamps(chapters), experiments.source_hash()
    for edited in ("cli.py", "book/runner.py", "book/publish.py", "__main__.py"):
        with open(package_copy / edited, "a") as fh:
            fh.write("# an edit that cannot change a result\n")
    assert _stamps(chapters) == before
    assert experiments.source_hash() == key


def test_editing_reached_code_re_executes_what_reaches_it(package_copy):
    chapters = {p.stem: p for p in runner.chapters(ROOT)}
    before, key = {s: runner.stamp(p, {"profile": "quick"}) for s, p in chapters.items()}, experiments.source_hash()
    with open(package_copy / "study" / "claims.py", "a") as fh:  # only the conclusion draws the claims table
        fh.write("# the claims table changed\n")
    after = {s: runner.stamp(p, {"profile": "quick"}) for s, p in chapters.items()}
    assert after["07_conclusion"] != before["07_conclusion"] and after["01_lstm_cell"] == before["01_lstm_cell"]
    assert experiments.source_hash() == key  # drawing verdicts cannot change a trained run
    with open(package_copy / "model" / "cell.py", "a") as fh:
        fh.write("# the kernel changed\n")
    assert experiments.source_hash() != key
    assert all(runner.stamp(p, {"profile": "quick"}) != before[s] for s, p in chapters.items())
