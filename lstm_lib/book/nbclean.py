"""Strip a notebook down to its source: no outputs, counts, papermill traces or injected cells.

Used as a git clean filter (the Makefile installs it), so executing chapters in place with
papermill never makes ``git status`` dirty, and as ``python -m lstm_lib.book.nbclean FILE...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

VOLATILE_CELL_KEYS = ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime")
VOLATILE_NB_KEYS = ("papermill", "widgets", "language_info", "lstm_lib_stamp")


def clean(nb: dict) -> dict:
    """The notebook without outputs, execution counts, papermill metadata and injected-parameters cells."""
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        if "injected-parameters" in meta.get("tags", []):
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


def is_clean(path: str | Path) -> bool:
    """True if the file on disk is already exactly its cleaned form."""
    text = Path(path).read_text(encoding="utf-8")
    return dumps(clean(json.loads(text))) == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_lib.book.nbclean", description=__doc__)
    parser.add_argument("files", nargs="*", help="notebooks to clean in place")
    parser.add_argument("--stdin", action="store_true", help="filter stdin to stdout (git clean filter)")
    args = parser.parse_args(argv)
    if args.stdin:
        sys.stdout.write(dumps(clean(json.load(sys.stdin))))
        return 0
    for name in args.files:
        path = Path(name)
        path.write_text(dumps(clean(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
