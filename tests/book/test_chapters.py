"""Every chapter's parameters: tagged and hidden, the same two in every chapter (``profile`` and
``overrides``), and checked by executing the chapter, not by reading its source.

CI executes only the quick profile, so a bad full-profile setting would surface only in a full
build; building every chapter's settings in every profile catches it without training anything.
"""

from __future__ import annotations

import ast
import json

import nbformat
import papermill
import pytest

from lstm_lib.book import runner as book
from lstm_lib.settings import CHAPTERS as SETTINGS
from lstm_lib.settings import PROFILES, settings_for

CHAPTERS = book.chapters()


def _code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        c
        for c in nb["cells"]
        if c["cell_type"] == "code" and "injected-parameters" not in c["metadata"].get("tags", [])
    ]


def _defaults(path) -> dict:
    source = "".join(_code_cells(path)[0]["source"])
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), f"{path.stem}: the parameters cell holds only assignments"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_every_chapter_in_the_toc_has_settings_and_every_settings_entry_a_chapter():
    assert [p.stem for p in CHAPTERS] == list(SETTINGS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_a_hidden_parameters_cell_of_profile_and_overrides(path):
    tags = _code_cells(path)[0]["metadata"].get("tags", [])
    assert "parameters" in tags and "remove-cell" in tags
    assert _defaults(path) == {"profile": "full", "overrides": {}}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_builds_its_settings_in_every_profile(path, profile):
    assert settings_for(path.stem, profile, _defaults(path)["overrides"]).profile == profile


def _execute(path, tmp_path, parameters):
    out = tmp_path / f"{path.stem}.ipynb"
    try:
        papermill.execute_notebook(
            str(path), str(out), parameters=parameters, kernel_name="python3", cwd=str(tmp_path), progress_bar=False
        )
    except papermill.PapermillExecutionError as exc:
        return exc, nbformat.read(out, as_version=4)
    return None, nbformat.read(out, as_version=4)


def _failed_right_after_the_parameters(nb, error) -> bool:
    """Whether the cell that failed is the first code cell after papermill's injected parameters: no work ran."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = next(k for k, c in enumerate(code) if c.get("execution_count") == error.exec_count)
    return failed >= 1 and "injected-parameters" in code[failed - 1].metadata.get("tags", [])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_misspelled_parameter_stops_the_chapter_in_its_first_cell(path, tmp_path):
    error, nb = _execute(path, tmp_path, {"profile": "quick", "overides": {"iterations": 2}})
    assert error is not None, f"{path.stem} ran with a misspelled parameter"
    assert error.ename == "ValueError" and "overides" in error.evalue and "overrides" in error.evalue
    assert _failed_right_after_the_parameters(nb, error), "the check must come before any work"


@pytest.mark.parametrize("path", [CHAPTERS[0]], ids=lambda p: p.stem)
def test_a_bad_override_stops_the_chapter_in_its_first_cell_naming_the_setting(path, tmp_path):
    error, nb = _execute(path, tmp_path, {"profile": "quick", "overrides": {"iterations": 0}})
    assert error is not None and "iterations must be an int >= 1" in error.evalue
    assert _failed_right_after_the_parameters(nb, error)


def test_papermill_profile_quick_runs_the_quick_sizes(tmp_path):
    """``papermill -p profile quick`` alone (no runner) changes what chapter 1 trains, not only its label."""
    path = next(p for p in CHAPTERS if p.stem == "01_lstm_cell")
    error, nb = _execute(path, tmp_path, {"profile": "quick"})
    assert error is None
    glued = {
        out["metadata"]["scrapbook"]["name"]: out["data"].get("application/papermill.record/text/plain")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }
    quick = settings_for("01_lstm_cell", "quick").iterations
    assert quick < settings_for("01_lstm_cell", "full").iterations
    assert glued["iterations"] == str(quick) and glued["profile_name"] == "quick"
