"""Every chapter's parameters: tagged, hidden, known to the validator, valid in both profiles.

CI executes only the quick profile, so a typo in a full-profile default would surface only in a
full build; these checks catch it without training anything.
"""

from __future__ import annotations

import ast
import json

import pytest
import yaml

from lstm_lib.book import runner as book
from lstm_lib.book.chapter import RULES, check_parameters, check_profile_values

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


def test_the_toc_lists_all_nine_chapters():
    assert [p.stem for p in CHAPTERS] == [
        "01_lstm_cell", "02_scan_loop", "03_loss", "04_adagrad",
        "05_weighted_training", "06_denoising", "07_conclusion", "08_pytorch_port", "09_timing",
    ]  # fmt: skip


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_a_hidden_parameters_cell(path):
    tags = _code_cells(path)[0]["metadata"].get("tags", [])
    assert "parameters" in tags and "remove-cell" in tags
    assert _defaults(path)["profile"] == "full"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_full_profile_defaults_are_valid(path):
    defaults = _defaults(path)
    if "overrides" in defaults:  # a study chapter: its settings object validates itself
        assert set(defaults) == {"profile", "overrides"}
        check_profile_values(defaults)
        return
    assert set(defaults) <= set(RULES), f"{path.stem}: parameters without a validation rule"
    check_parameters(**defaults)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_validates_every_parameter_before_work(path):
    second = "".join(_code_cells(path)[1]["source"])
    if "overrides" in _defaults(path):  # the study chapters build their settings first, from both parameters
        assert "reject_unknown_parameters()" in second and "study_for(profile, **overrides)" in second
        with pytest.raises(ValueError, match="unknown study setting"):
            check_profile_values({"profile": "full", "overrides": {"n_hiden": 4}})
        return
    call = next(
        node
        for node in ast.walk(ast.parse(second))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check_parameters"
    )
    assert {kw.arg for kw in call.keywords} == set(_defaults(path)), f"{path.stem}: validate all parameters"


def test_quick_profile_names_only_known_parameters_with_valid_values():
    quick = yaml.safe_load((book.ROOT / "chapters" / "params" / "quick.yaml").read_text())
    stems = {p.stem: p for p in CHAPTERS}
    assert set(quick) <= set(stems)
    for stem, values in quick.items():
        defaults = _defaults(stems[stem])
        assert set(values) <= set(defaults), f"{stem}: quick.yaml names unknown parameters"
        check_parameters(**{**defaults, **values})
