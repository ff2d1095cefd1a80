"""Strip a notebook down to its source: no outputs, counts, papermill traces or injected cells.

Used as a git clean filter through ``tools/nbclean.py`` (standard library only, run by the
``python3`` that git finds, with a path relative to the repository root), so executing chapters
in place never makes ``git status`` dirty, the filter keeps working when the clone moves or
``.venv`` is gone, and it costs no torch import per notebook. Also ``python -m
lstm_lib.book.nbclean FILE...`` to strip files on disk. This module must import nothing heavy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

VOLATILE_CELL_KEYS = ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime")
VOLATILE_NB_KEYS = ("papermill", "widgets", "language_info", "lstm_lib_stamp")
DROPPED_TAGS = ("injected-parameters", "papermill-error-cell-tag")
"""Cells papermill adds: the injected parameters, and the error banner and anchor of a failed run."""
VOLATILE_TAGS = ("remove-cell",)
"""Tags the runner adds to papermill's cells; a source cell keeps its own ``remove-cell``."""

FILTER = {
    "filter.nbclean.clean": "python3 tools/nbclean.py --stdin --path %f",
    "filter.nbclean.smudge": "cat",
    "filter.nbclean.required": "true",
}
"""The git configuration of the clean filter: relative, so it survives a moved clone; required, so a
notebook the filter cannot read is refused by ``git add`` rather than committed with its outputs."""


class NotANotebook(ValueError):
    """The text is not a notebook's JSON (truncated, or not a notebook)."""


def clean(nb: dict) -> dict:
    """The notebook without outputs, execution counts, papermill metadata and papermill's own cells."""
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        if any(tag in DROPPED_TAGS for tag in meta.get("tags", [])):
            continue
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
        if not meta.get("tags", True):  # papermill adds empty tag lists
            meta.pop("tags")
        cell.pop("id", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    nb["cells"] = cells
    for key in VOLATILE_NB_KEYS:
        nb.get("metadata", {}).pop(key, None)
    nb["nbformat"], nb["nbformat_minor"] = 4, 4
    return nb


def dumps(nb: dict) -> str:
    """nbformat's on-disk layout (indent 1, sorted keys, trailing newline), so output is byte-stable."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def parse(text: str | bytes, name: str = "<notebook>") -> dict:
    """The notebook in ``text``, or :class:`NotANotebook` naming ``name`` and what is wrong."""
    try:
        nb = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NotANotebook(f"{name} is not valid notebook JSON ({str(exc)[:120]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebook(f"{name} is not a notebook (no list of cells)")
    if not all(isinstance(c, dict) and isinstance(c.get("metadata", {}), dict) for c in nb["cells"]):
        raise NotANotebook(f"{name} is not a notebook (a cell is not a mapping)")
    return nb


def clean_text(text: str | bytes, name: str = "<notebook>") -> str:
    return dumps(clean(parse(text, name)))


def is_clean(path: str | Path) -> bool:
    """True if the file on disk is already exactly its cleaned form."""
    text = Path(path).read_text(encoding="utf-8")
    return clean_text(text, str(path)) == text


def filter_stdin(name: str) -> int:
    """The git clean filter: stdin to stdout; a notebook it cannot read is reported and refused (exit 1)."""
    try:
        out = clean_text(sys.stdin.buffer.read(), name)
    except NotANotebook as exc:
        sys.stderr.write(
            f"nbclean: {exc}; git will not stage it. Re-run the chapter "
            f"(python -m lstm_lib book --chapter ...) or restore it: git checkout -- {name}\n"
        )
        return 1
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


def install_filter(root: str | Path) -> None:
    """Point the repository at ``root`` to this filter (see :data:`FILTER`), if it is not already."""
    for key, value in FILTER.items():
        current = subprocess.run(["git", "-C", str(root), "config", "--get", key], capture_output=True, text=True)
        if current.stdout.strip() != value:
            subprocess.run(["git", "-C", str(root), "config", key, value], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nbclean", description=__doc__)
    parser.add_argument("files", nargs="*", help="notebooks to clean in place")
    parser.add_argument("--stdin", action="store_true", help="filter stdin to stdout (git clean filter)")
    parser.add_argument("--path", default="<stdin>", help="the file's name, for messages (git's %%f)")
    parser.add_argument("--install", metavar="REPO", help="configure the git clean filter in this repository")
    args = parser.parse_args(argv)
    if args.install:
        install_filter(args.install)
        return 0
    if args.stdin:
        return filter_stdin(args.path)
    from lstm_lib.files import atomic_write_text  # only here: the filter path imports nothing from lstm_lib

    for name in args.files:
        path = Path(name)
        try:
            text = clean_text(path.read_bytes(), name)
        except NotANotebook as exc:
            print(f"nbclean: {exc}", file=sys.stderr)
            return 1
        atomic_write_text(path, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
