"""Settings declared once: a rule validates, names the field in its error, and writes the CLI's flag."""

from __future__ import annotations

import dataclasses
import math
import pickle
from dataclasses import dataclass

import pytest

from lstm_lib import cli
from lstm_lib.fields import Settings, section, setting
from lstm_lib.model.esn import EsnSettings
from lstm_lib.port.example import PortSettings
from lstm_lib.runs.mackey_task import MackeyGlassTask
from lstm_lib.runs.task import WaveTask
from lstm_lib.runs.trial import EvalSettings
from lstm_lib.settings import (
    CHAPTERS,
    ArticleRun,
    BeyondSine,
    ChapterSettings,
    Parallel,
    PortChapter,
    Study,
    Timing,
    TuningGrids,
)
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import SettingError

CLASSES = [TrainConfig, WaveTask, EvalSettings, PortSettings, Parallel, ChapterSettings, TuningGrids, Study,
           ArticleRun, Timing, PortChapter, MackeyGlassTask, EsnSettings, BeyondSine]  # fmt: skip
SAME_NAME_OTHER_MEANING = {
    ("PortSettings", "length"), ("PortSettings", "lr"), ("PortSettings", "line_search"), ("PortSettings", "seed"),
    ("MackeyGlassTask", "n_test"), ("MackeyGlassTask", "test_seed"), ("BeyondSine", "seeds"),
}  # fmt: skip
"""Settings that share a name with another class's and mean something else: the PyTorch example's own model
(its wave length, step, line search and seed), chapter 10's held-out windows and its own comparison seeds."""


@dataclass(frozen=True)
class Inner(Settings):
    rate: float = setting(0.5, "a rate", "float", low=0, high=1, low_open=True)
    seed: int = setting(0, "a seed", "seed")


@dataclass(frozen=True)
class Outer(Settings):
    size: int = setting(3, "a size", "int", low=1)
    sizes: tuple[int, ...] = setting((1, 2), "sizes", "int", low=1, many=True, distinct=True)
    inner: Inner = section(Inner, "the inner part")
    other: Inner = section(lambda: Inner(rate=0.25), "another inner part")


def test_a_rule_checks_normalises_and_names_the_field():
    assert Outer().sizes == (1, 2) and Outer(sizes=[4]).sizes == (4,)  # a list becomes a tuple
    assert Inner(rate=1).rate == 1.0 and isinstance(Inner(rate=1).rate, float)
    for bad, field, says in [
        (dict(size=0), "size", "size must be an int >= 1, got 0"),
        (dict(size=True), "size", "size must be an int"),
        (dict(sizes=[1, 1]), "sizes", "must not repeat"),
        (dict(sizes=[1, -2]), "sizes", r"sizes\[1\] must be an int >= 1"),
        (dict(sizes=[]), "sizes", "at least 1"),
    ]:
        with pytest.raises(SettingError, match=says) as info:
            Outer(**bad)
        assert info.value.field == field
    with pytest.raises(SettingError) as info:
        Inner(rate=math.nan)
    assert info.value.field == "rate" and isinstance(info.value, ValueError)


def test_names_are_flat_where_unique_and_dotted_where_sections_share_them():
    assert Outer.names() == ["size", "sizes", "inner.rate", "inner.seed", "other.rate", "other.seed"]
    changed = Outer().replace(size=5, **{"inner.rate": 0.75, "other.seed": 9})
    assert (changed.size, changed.inner.rate, changed.inner.seed, changed.other.rate, changed.other.seed) == (
        5, 0.75, 0, 0.25, 9,
    )  # fmt: skip
    assert changed.flat()["other.seed"] == 9
    with pytest.raises(SettingError, match=r"unknown setting 'rate'.*inner.rate") as info:
        Outer().replace(rate=0.1)
    assert info.value.field == "rate"
    with pytest.raises(AttributeError):
        _ = Outer().rate  # ambiguous: no silent pick


def test_a_change_deep_in_a_section_is_checked_once_and_lands_on_a_section_given_whole(monkeypatch):
    from lstm_lib import fields

    checked: list[str] = []
    base, original = Study(), fields.Rule.check
    Study.names()  # the index of names is built once per class (it builds the defaults): not a check of a change
    monkeypatch.setattr(
        fields.Rule, "check", lambda rule, name, value: (checked.append(name), original(rule, name, value))[1]
    )
    study = base.replace(noise_std=0.2, horizon=7)
    assert checked.count("noise_std") == 1 and checked.count("horizon") == 1
    assert (study.training.noise_std, study.waves.evaluation.horizon) == (0.2, 7)
    given = WaveTask(n_train=3)
    study = Study().replace(waves=given, horizon=9)  # the section given whole, then the change inside it
    assert (study.waves.n_train, study.waves.evaluation.horizon, study.waves.length) == (3, 9, given.length)
    assert Study().replace() == Study()
    with pytest.raises(SettingError) as info:
        Study().replace(noise_std=-1.0)
    assert info.value.field == "noise_std"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_has_a_rule_or_is_a_section_and_defaults_obey_their_rules(cls):
    for f in dataclasses.fields(cls):
        assert ("rule" in f.metadata) != ("section" in f.metadata), f"{cls.__name__}.{f.name}"
    example = cls()
    assert pickle.loads(pickle.dumps(example)) == example  # crosses to worker processes
    assert cls.make(**example.flat()) == example


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_class_that_holds_sections_declares_none_of_their_settings_again(cls):
    """Study once re-declared TrainConfig's and WaveTask's fields; a section is now held whole instead.
    (PortSettings is the PyTorch example's own model: its seed and lr are not the library's.)"""
    own = {f.name for f in dataclasses.fields(cls) if "rule" in f.metadata}
    for f in dataclasses.fields(cls):
        if "section" in f.metadata:
            inner = {path[-1] for path, _ in f.default_factory().leaves()}
            assert not own & inner, f"{cls.__name__} re-declares {sorted(own & inner)} of its section {f.name}"
    assert {type(s) for s in CHAPTERS.values()} <= set(CLASSES)


def _declared_here(cls: type) -> set[str]:
    """The settings ``cls`` itself declares (not those it inherits or holds in sections)."""
    own = cls.__dict__.get("__annotations__", {})
    return {f.name for f in dataclasses.fields(cls) if "rule" in f.metadata and f.name in own}


def test_no_setting_is_declared_in_two_classes():
    """One declaration per setting: a chapter that needs another's settings holds them as a section
    (``TuningGrids``) or inherits them (``profile``), with its own defaults, instead of declaring them again."""

    def subclasses(cls: type) -> set[type]:
        return {c for s in cls.__subclasses__() for c in (s, *subclasses(s))}

    library = {c for c in subclasses(Settings) if c.__module__.startswith("lstm_lib.")}
    assert library <= set(CLASSES), f"settings classes missing from CLASSES: {library - set(CLASSES)}"
    seen: dict[str, str] = {}
    for cls in CLASSES:
        for name in sorted(_declared_here(cls)):
            if (cls.__name__, name) in SAME_NAME_OTHER_MEANING:
                continue
            assert name not in seen, f"{name} is declared in both {seen[name]} and {cls.__name__}"
            seen[name] = cls.__name__
    every_profile = [c for c in CLASSES if "profile" in {f.name for f in dataclasses.fields(c)}]
    assert len(every_profile) >= 5 and all(issubclass(c, ChapterSettings) for c in every_profile)


def test_chapters_hold_the_tuning_grids_with_their_own_defaults():
    study, beyond = CHAPTERS["04_adagrad"], CHAPTERS["10_beyond_sine"]
    assert isinstance(study.tuning, TuningGrids) and isinstance(beyond.tuning, TuningGrids)
    assert study.noise_stds != beyond.noise_stds and study.noise_stds == study.tuning.noise_stds
    changed = beyond.replace(noise_stds=(0.002, 0.004))
    assert changed.tuning.noise_stds == (0.002, 0.004) and changed.tuning.adagrad_lrs == beyond.adagrad_lrs
    with pytest.raises(SettingError) as info:
        study.replace(tuning_seeds=(0, 5000))  # seed 0 is a comparison seed: the study's own rule still runs
    assert info.value.field == "tuning_seeds"


def test_cli_flags_come_from_the_rules():
    parser = cli.build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions if a.dest == "cfg_lr")
    rule = TrainConfig.rules()["lr"]
    assert train.help.startswith(rule.help) and rule.describe() in train.help and train.type is float
    compare = parser._subparsers._group_actions[0].choices["compare"]
    flags = {a.option_strings[0] for a in compare._actions if a.option_strings}
    assert {"--" + n.replace("_", "-") for n in TrainConfig.names() if n not in ("method", "seed")} <= flags
    assert "--prime-length" in flags  # a rule may name its flag


def test_the_cli_names_the_flag_from_the_errors_field_not_its_message(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--sampling-start", "0.2", "--sampling-end", "0.4", "--quiet"])
    assert info.value.code == 2
    assert "--sampling-end: sampling_end must be <= sampling_start" in capsys.readouterr().err
