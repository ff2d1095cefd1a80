"""nbclean strips notebooks to their source; committed chapters carry no outputs."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_lib.book import nbclean

ROOT = Path(__file__).resolve().parents[2]


def executed_notebook() -> dict:
    """A notebook as papermill leaves it after running in place."""
    return {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "m1",
                "metadata": {"tags": ["intro"]},
                "source": ["# Title\n", "Text."],
            },
            {
                "cell_type": "code",
                "id": "p1",
                "metadata": {"tags": ["parameters"], "papermill": {"duration": 0.1}},
                "execution_count": 1,
                "outputs": [],
                "source": ["iterations = 1000"],
            },
            {
                "cell_type": "code",
                "id": "inj",
                "metadata": {"tags": ["injected-parameters", "remove-cell"], "papermill": {}},
                "execution_count": 2,
                "outputs": [],
                "source": ["# Parameters\n", "iterations = 10\n"],
            },
            {
                "cell_type": "code",
                "id": "c2",
                "metadata": {
                    "papermill": {"status": "completed", "duration": 1.5},
                    "execution": {"iopub.status.busy": "2024-01-01T00:00:00"},
                    "ExecuteTime": {"end_time": "x"},
                    "collapsed": False,
                    "scrolled": True,
                    "tags": ["hide-input"],
                },
                "execution_count": 3,
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["hello\n"]},
                    {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": ["42"]}},
                    {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}},
                ],
                "source": ["print('hello')\n", "42"],
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.11.7"},
            "papermill": {"parameters": {"iterations": 10}, "duration": 3.2},
            "widgets": {"state": {}},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def assert_no_outputs(nb: dict, where: str = "") -> None:
    for k, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code":
            assert cell.get("outputs") == [], f"{where} cell {k} has outputs"
            assert cell.get("execution_count") is None, f"{where} cell {k} has an execution count"
        assert "papermill" not in cell.get("metadata", {}), f"{where} cell {k} has papermill metadata"
        assert "injected-parameters" not in cell.get("metadata", {}).get("tags", []), f"{where} cell {k} injected"
    assert "papermill" not in nb.get("metadata", {}), f"{where} has papermill metadata"


def test_clean_strips_outputs_counts_papermill_and_injected_cells():
    cleaned = nbclean.clean(executed_notebook())
    assert_no_outputs(cleaned)
    assert len(cleaned["cells"]) == 3
    assert ["iterations = 10\n" in "".join(c["source"]) for c in cleaned["cells"]] == [False] * 3
    code = cleaned["cells"][2]
    assert code["source"] == ["print('hello')\n", "42"]  # source untouched
    assert code["metadata"] == {"tags": ["hide-input"]}  # volatile keys gone, tags kept
    assert cleaned["cells"][1]["metadata"] == {"tags": ["parameters"]}
    assert cleaned["cells"][0]["source"] == ["# Title\n", "Text."]
    assert "outputs" not in cleaned["cells"][0]  # markdown cells get no code fields
    assert all("id" not in c for c in cleaned["cells"])
    assert cleaned["metadata"] == {"kernelspec": executed_notebook()["metadata"]["kernelspec"]}
    assert (cleaned["nbformat"], cleaned["nbformat_minor"]) == (4, 4)


def test_clean_is_idempotent_and_byte_stable():
    once = nbclean.clean(executed_notebook())
    twice = nbclean.clean(copy.deepcopy(once))
    assert once == twice
    text = nbclean.dumps(once)
    assert nbclean.dumps(nbclean.clean(json.loads(text))) == text
    assert text.endswith("\n")


def test_clean_leaves_a_clean_notebook_alone():
    nb = nbclean.clean(executed_notebook())
    assert nbclean.clean(copy.deepcopy(nb)) == nb


def test_is_clean_and_main_in_place(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(executed_notebook(), indent=1), encoding="utf-8")
    assert not nbclean.is_clean(path)
    assert nbclean.main([str(path)]) == 0
    assert nbclean.is_clean(path)
    assert_no_outputs(json.loads(path.read_text(encoding="utf-8")))
    before = path.read_bytes()
    nbclean.main([str(path)])
    assert path.read_bytes() == before


def test_stdin_filter_as_git_runs_it():
    raw = json.dumps(executed_notebook())
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lib.book.nbclean", "--stdin"],
        input=raw,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == nbclean.dumps(nbclean.clean(executed_notebook()))


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def committed_notebooks(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(path, text)`` of each chapter notebook as committed (or staged); the files on disk before any commit."""
    if _git(root, "rev-parse", "--verify", "HEAD").returncode == 0:
        out = []
        for name in _git(root, "ls-files", "chapters/*.ipynb").stdout.splitlines():
            shown = _git(root, "show", f"HEAD:{name}")
            if shown.returncode != 0:  # staged, not yet committed: check what the index holds
                shown = _git(root, "show", f":{name}")
            out.append((name, shown.stdout))
        return out
    return [
        (str(p.relative_to(root)), p.read_text(encoding="utf-8")) for p in sorted((root / "chapters").glob("*.ipynb"))
    ]


def test_committed_notebooks_helper_reads_git_not_the_working_tree(tmp_path):
    git = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    (tmp_path / "chapters").mkdir()
    nb = tmp_path / "chapters" / "a.ipynb"
    nb.write_text(nbclean.dumps(nbclean.clean(executed_notebook())), encoding="utf-8")
    assert [n for n, _ in committed_notebooks(tmp_path)] == ["chapters/a.ipynb"]  # no repo yet: disk
    if _git(tmp_path, "init", "-q").returncode != 0:
        pytest.skip("git unavailable")
    _git(tmp_path, "add", "chapters/a.ipynb")
    assert _git(tmp_path, *git, "commit", "-qm", "x").returncode == 0
    nb.write_text(json.dumps(executed_notebook()), encoding="utf-8")  # executed in place, not committed
    (tmp_path / "chapters" / "b.ipynb").write_text(json.dumps(executed_notebook()), encoding="utf-8")  # untracked
    found = committed_notebooks(tmp_path)
    assert [n for n, _ in found] == ["chapters/a.ipynb"]
    assert_no_outputs(json.loads(found[0][1]))


NOTEBOOKS = committed_notebooks()


@pytest.mark.parametrize(
    "name, text",
    NOTEBOOKS or [pytest.param("none", "", marks=pytest.mark.skip(reason="no committed chapter notebooks yet"))],
    ids=[n for n, _ in NOTEBOOKS] or ["none"],
)
def test_committed_notebooks_carry_no_outputs(name, text):
    assert_no_outputs(json.loads(text), name)
