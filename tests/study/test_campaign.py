"""The study's campaign: tuning on tuning seeds, evaluation at the picks, resuming, progress, and its flags."""

from __future__ import annotations

import json

import pytest

from lstm_lib.runs import experiments as ex
from lstm_lib.runs.records import read_rows
from lstm_lib.settings import study_for
from lstm_lib.study import campaign

TINY = {
    "n_train": 2, "length": 20, "n_test": 2, "prime_lengths": (8,), "horizon": 10, "iterations": 4,
    "n_hidden": 3, "seeds": (0, 1), "hard_seeds": (0, 1), "optimizer_seeds": (0, 1), "example_seeds": (0, 1),
    "example_length": 24, "example_horizon": 12, "tuning_seeds": (1000,), "adagrad_lrs": (0.05, 0.1),
    "sgd_lrs": (0.001,), "lbfgs_lrs": (0.8,), "wolfe_lrs": (1.0,), "weight_rates": (0.95,), "noise_stds": (0.05,),
    "sampling_ends": (0.5,), "rollout_lengths": (3,), "lbfgs_max_iter": 2,
}  # fmt: skip


@pytest.fixture
def study():
    return study_for("quick", **TINY)


def run(study, tmp_path, **kw):
    kw = {"workers": 1, "scheduler": None, "log_every": 0.0, "save_every": 0.0, "echo": lambda _: None,
          "cache_dir": tmp_path / "cache"} | kw  # fmt: skip
    return campaign.run_campaign(study, tmp_path / "rows.csv", **kw)


def identity(args: tuple) -> tuple[str, str]:
    """A run as ``train_and_evaluate`` receives it: its config and its training data."""
    return str(args[0]), ex.tensor_hash(args[1])


def forbid_training(monkeypatch):
    monkeypatch.setattr(ex, "train_and_evaluate", lambda *a: pytest.fail("trained a run that was already done"))


def test_it_tunes_on_the_tuning_seeds_then_evaluates_at_the_picks(study, tmp_path, capsys):
    picks = run(study, tmp_path)
    rows = read_rows(tmp_path / "rows.csv").rows
    tuning_rows = [r for r in rows if r["stage"] == "tuning"]
    evaluation = [r for r in rows if r["stage"] == "evaluation"]
    assert {r["seed"] for r in tuning_rows} == set(study.tuning_seeds)
    assert {r["regime"] for r in tuning_rows} == {"easy", "hard"}  # the example regime takes the hard one's picks
    assert not {r["seed"] for r in evaluation} & set(study.tuning_seeds)
    for regime in ("easy", "hard", "example"):
        chosen = picks["hard" if regime == "example" else regime]
        mine = [r for r in evaluation if r["regime"] == regime]
        assert {r["seed"] for r in mine} == set(study.regime_seeds(regime))
        plain = [json.loads(r["config"]) for r in mine if r["method"] == "plain"]
        assert chosen["adagrad"].value in {c["lr"] for c in plain}
        rollout = [json.loads(r["config"]) for r in mine if r["method"] == "rollout"]
        assert {c["rollout_steps"] for c in rollout} == {chosen["rollout"].value}
        assert {r["task"] for r in mine} == {json.dumps(study.task(regime).flat(), sort_keys=True)}
    tuned_lr = {r: picks["hard" if r == "example" else r]["adagrad"].value for r in ("easy", "hard", "example")}
    same = {r for r, lr in tuned_lr.items() if lr == study.lr}
    baselines_dropped = sum(len(study.regime_seeds(r)) for r in same)  # the tuned plain run is the book's own
    planned_tuning = sum(len(getattr(study, g)) for g in campaign.tuning.GRIDS.values()) * len(study.tuning_seeds) * 2
    extended = sum(len(p.scores) for ps in picks.values() for p in ps.values()) * len(study.tuning_seeds)
    assert extended >= planned_tuning and len(tuning_rows) == extended  # grids extended past edge picks, if any
    assert len(evaluation) + sum(r["stage"] == "sensitivity" for r in rows) == (
        campaign.plan(study)[1] - planned_tuning - baselines_dropped
    )
    assert all(r["fingerprint"] and r["data_hash"] and r["eval_hash"] for r in rows)
    err = capsys.readouterr().err
    assert "[campaign]" in err and "trained)" in err and "(done)" in err


def test_a_rerun_reads_every_run_back_from_the_rows_file(study, tmp_path, monkeypatch):
    run(study, tmp_path)
    before = (tmp_path / "rows.csv").read_text()
    forbid_training(monkeypatch)
    for entry in (tmp_path / "cache").iterdir():
        entry.unlink()  # the committed rows alone suffice
    run(study, tmp_path)
    assert (tmp_path / "rows.csv").read_text() == before


def test_a_lost_rows_file_is_rebuilt_from_the_cache(study, tmp_path, monkeypatch):
    run(study, tmp_path)
    before = read_rows(tmp_path / "rows.csv").rows
    (tmp_path / "rows.csv").unlink()
    forbid_training(monkeypatch)
    run(study, tmp_path)
    after = read_rows(tmp_path / "rows.csv").rows
    key = lambda r: (r["config"], r["regime"])  # noqa: E731
    assert sorted(map(key, after)) == sorted(map(key, before))


def test_an_interruption_keeps_the_finished_runs_and_the_rerun_trains_only_the_rest(study, tmp_path, monkeypatch):
    real, calls = ex.train_and_evaluate, []

    def interrupted(*args):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(identity(args))
        return real(*args)

    monkeypatch.setattr(ex, "train_and_evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(study, tmp_path, cache_dir=tmp_path / "cache", save_every=1e9)
    assert len(read_rows(tmp_path / "rows.csv").rows) == 5  # saved on the way out, not only every save_every
    for entry in (tmp_path / "cache").iterdir():
        entry.unlink()
    retrained = []
    monkeypatch.setattr(ex, "train_and_evaluate", lambda *a: retrained.append(identity(a)) or real(*a))
    run(study, tmp_path)
    assert not set(retrained) & set(calls)
    assert len(read_rows(tmp_path / "rows.csv").rows) == 5 + len(retrained)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--workers", "0"], "--workers must be an int >= 1, got 0"),
        (["--out", "/proc/nope/rows.csv"], "--out"),
        (["--cache-dir", "/proc/nope"], "cache_dir /proc/nope cannot be created"),
        (["--profile", "huge"], "invalid choice: 'huge'"),
    ],
)
def test_bad_flags_are_refused_before_any_run(argv, message, monkeypatch, capsys):
    forbid_training(monkeypatch)
    with pytest.raises(SystemExit) as info:
        campaign.main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_the_plan_counts_every_run(capsys):
    assert campaign.main(["--profile", "study", "--plan"]) == 0
    out = capsys.readouterr().out
    study = study_for("study")
    tuned = sum(len(getattr(study, g)) for g in campaign.tuning.GRIDS.values()) * len(study.tuning_seeds) * 2
    methods = 7 * (len(study.seeds) + len(study.hard_seeds) + len(study.example_seeds))
    longer = 3 * (min(30, len(study.seeds)) + min(30, len(study.hard_seeds)))  # the sensitivity stage
    assert f"{tuned + methods + 3 * 2 * len(study.optimizer_seeds) + longer} runs" in out


def test_article_only_writes_the_full_profiles_methods_file(tmp_path, capsys):
    out = tmp_path / "methods.csv"
    argv = ["--profile", "quick", "--article-only", "--out", str(out), "--cache-dir", str(tmp_path / "c")]
    assert campaign.main([*argv, "--workers", "1"]) == 0
    rows = read_rows(out).rows
    study = study_for("quick")
    want = {(m, r, s) for m in study.methods() for r in ("easy", "hard") for s in study.regime_seeds(r)}
    assert {(r["method"], r["regime"], r["seed"]) for r in rows} == want and len(rows) == len(want)
    assert f"wrote {len(want)} rows" in capsys.readouterr().out


def test_the_book_reads_a_campaign_cut_anywhere(study, tmp_path):
    """Chapter 7 reads the rows as far as the campaign got: any prefix of them gives a report, never an error."""
    from lstm_lib.runs.records import write_rows
    from lstm_lib.study import decisive

    run(study, tmp_path)
    rows = [{k: v for k, v in r.items() if k != "line"} for r in read_rows(tmp_path / "rows.csv").rows]
    tuned = None
    for cut in sorted({1, 5, len(rows) // 3, len(rows) // 2, len(rows) - 7, len(rows) - 1, len(rows)}):
        write_rows(rows[:cut], tmp_path / "cut.csv")
        report = decisive.report(study, tmp_path / "cut.csv")
        assert report.runs == cut and str(cut) in report.status()
        assert report.complete == (cut == len(rows)), cut  # the plan counts the extended grids once tuned
        assert ("complete" in report.status()) == report.complete
        assert report.machines().startswith("its rows ran on 1 CPU code path: ")  # every row says where it ran
        if report.picks is not None:
            tuned = cut
            assert report.claims and report.failures
    assert tuned is not None and decisive.report(study, tmp_path / "missing.csv").runs == 0
