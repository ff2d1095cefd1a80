"""Chapter 10's pieces: the task's judgement against closed forms, the campaign's rows read back without
training, and the analysis's NRMSE against its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_lib.chaos import analysis
from lstm_lib.chaos.campaign import gather
from lstm_lib.model.mackey_glass import squash
from lstm_lib.runs.mackey_task import MackeyGlassTask, judge
from lstm_lib.runs.records import write_rows
from lstm_lib.settings import settings_for
from lstm_lib.validation import SettingError

TASK = MackeyGlassTask(transient=100, train_steps=300, washout=50, window=100, n_test=3, long_horizon=90,
                       evaluation=MackeyGlassTask().evaluation.replace(prime_lengths=(50,)))  # fmt: skip


def test_the_truth_scores_zero_and_an_offset_scores_its_size():
    truth = TASK.test_windows()[:, TASK.run_in :]
    perfect = judge(TASK, squash(truth))
    assert perfect.nrmse() <= 1e-12 and (perfect.valid_steps == TASK.long_horizon).all()
    sd = math.sqrt(TASK.variance())
    offset = judge(TASK, squash(truth + 0.5 * sd))  # half a standard deviation everywhere
    assert offset.nrmse() == pytest.approx(0.5, rel=1e-9)
    assert (offset.valid_steps == 0).all()  # 0.5 sd > the 0.4 sd level from the first step
    late = truth.copy()
    late[:, 40:] += sd  # valid for exactly 40 steps
    assert (judge(TASK, squash(late)).valid_steps == 40).all()
    assert math.isfinite(judge(TASK, np.full(truth.shape, 5.0)).nrmse())  # left (-1, 1): large, finite


def test_training_windows_are_the_seeds_series_cut_in_order():
    data = TASK.train_data(4)
    assert tuple(data.shape) == (3, 100, 1)
    np.testing.assert_array_equal(data[..., 0].numpy().ravel(), squash(TASK.train_series(4)))
    assert not np.array_equal(TASK.train_series(4), TASK.train_series(5))


@pytest.mark.parametrize(
    "bad, field",
    [({"window": 400}, "window"), ({"washout": 299}, "washout"), ({"long_horizon": 50}, "horizon"),
     ({"prime_lengths": (50, 60)}, "prime_lengths")],
)  # fmt: skip
def test_the_task_refuses_windows_that_do_not_fit(bad, field):
    with pytest.raises(SettingError) as info:
        TASK.replace(**bad)
    assert info.value.field == field


def test_the_chapter_settings_keep_tuning_seeds_apart_and_pair_the_esn():
    with pytest.raises(SettingError) as info:
        settings_for("10_beyond_sine", "quick", {"tuning_seeds": (0,)})
    assert info.value.field == "tuning_seeds"
    with pytest.raises(SettingError) as info:
        settings_for("10_beyond_sine", "quick", {"seeds": (0, 1, 7)})
    assert info.value.field == "esn_seeds"


def test_committed_rows_give_back_every_run_without_training(tmp_path):
    bs = settings_for("10_beyond_sine", "quick")
    runs, rows = gather(bs, None, tmp_path / "cache")
    assert runs.trained == len(rows) and set(runs.methods) == set(analysis.lstm_results(runs))
    write_rows(rows, tmp_path / "rows.csv")
    again, rows_again = gather(bs, tmp_path / "rows.csv", None)  # no cache: only the rows
    assert again.trained == 0 and again.read == len(rows) and rows_again == rows
    assert {k: p.value for k, p in again.picks.items()} == {k: p.value for k, p in runs.picks.items()}
    variance = bs.series.variance()
    for result in analysis.lstm_results(again).values():
        for seed, value in result.nrmse(variance).items():  # NRMSE84 from its definition
            assert value == pytest.approx(math.sqrt(np.mean(result.squared_error[seed]) / variance), rel=1e-12)


def test_the_answer_follows_the_verdicts_and_the_table():
    bs = settings_for("10_beyond_sine", "quick")
    seeds = list(bs.seeds)

    def method(name, scale):
        return analysis.MethodResult(name, seeds, {s: np.full(3, scale * (1 + s)) for s in seeds},
                                     {s: np.full(3, 10.0) for s in seeds})  # fmt: skip

    lstm = {m: method(m, 1e-2) for m in ("plain", "weighted", "denoising", "weighted+denoising",
                                         "scheduled-sampling", "rollout")}  # fmt: skip
    esn = method(analysis.ESN, 1e-8)
    found = analysis.verdicts(lstm, esn, bs)
    assert [v.claim for v in found][-1] == "the ESN beats the article's LSTM"
    summary = analysis.summary_rows(lstm, esn, bs)
    text = analysis.answer(summary, found)
    assert "none of the 6 comparisons" in text.lower()
    assert f"{summary[0]['pooled'] / summary[-1]['pooled']:.0f} times below" in text
