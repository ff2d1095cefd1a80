"""The study's claims table from rows: picks re-derived, runs found by role, verdicts, Holm, failures, sensitivity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from lstm_lib.runs.experiments import Table
from lstm_lib.runs.trial import Run
from lstm_lib.settings import study_for
from lstm_lib.stats.verdicts import FAILS, HOLDS, INCONCLUSIVE, Paired
from lstm_lib.study import decisive, tuning

STUDY = study_for("quick", seeds=tuple(range(12)), hard_seeds=tuple(range(12)), example_seeds=(0, 1),
                  optimizer_seeds=tuple(range(12)), tuning_seeds=(1000, 1001, 1002),
                  adagrad_lrs=(0.02, 0.1, 0.2), sgd_lrs=(1e-4, 3e-4, 1e-3), lbfgs_lrs=(0.2, 0.5, 0.8),
                  wolfe_lrs=(0.5, 0.8, 1.0), weight_rates=(0.95, 0.99, 0.999), noise_stds=(0.02, 0.05, 0.1),
                  sampling_ends=(0.0, 0.5, 0.8), rollout_lengths=(3, 5, 8))  # fmt: skip
OSC = {r: STUDY.task(r).oscillation_steps for r in ("easy", "hard", "example")}
RNG = np.random.default_rng(7)


def row(config, regime, stage, seed, free, final=0.01, horizon=100.0):
    config = config.replace(seed=seed)
    per_prime = {str(p): {"free_mse": free * (1 + k), "horizon": horizon} for k, p in enumerate(STUDY.prime_lengths)}
    return {"config": json.dumps(config.to_dict(), sort_keys=True), "regime": regime, "stage": stage, "seed": seed,
            "method": config.method, "diverged": False, "free_mse": free, "final_mse": final, "horizon": horizon,
            "horizons": json.dumps({"0.05": horizon / 2, "0.1": horizon, "0.2": 2 * horizon}),
            "per_prime": json.dumps(per_prime)}  # fmt: skip


def table(rows):
    return Table([Run(r, None, None, None) for r in rows])


# Tuning rows: the grid's middle value wins everywhere (lowest median, inside the grid); evaluation rows at the picks.
BEST = {name: getattr(STUDY, tuning.GRIDS[name])[1] for name in tuning.GRIDS}


def tuning_rows():
    rows = []
    for regime in ("easy", "hard"):
        grid = tuning.optimizer_grid(STUDY)
        for name, values in grid.items():
            for v, c in values.items():
                rows += [row(c, regime, "tuning", s, 1.0 if v != BEST[name] else 0.1) for s in STUDY.tuning_seeds]
        for name, values in tuning.objective_grid(STUDY, BEST["adagrad"]).items():
            for v, c in values.items():
                rows += [row(c, regime, "tuning", s, 1.0 if v != BEST[name] else 0.1) for s in STUDY.tuning_seeds]
    return rows


PICKS = {r: {n: tuning.Pick(n, {}, v) for n, v in BEST.items()} for r in ("easy", "hard")}
FACTORS = {"plain": 1.0, "weighted": 2.0, "denoising": 0.5, "weighted+denoising": 1.0, "scheduled-sampling": 1.1,
           "rollout": 0.9, "article": 1.0, "sgd": 3.0, "lbfgs": 1.0, "lbfgs+wolfe": 1.0}  # fmt: skip
NOISE = {s: RNG.normal(0, 0.3, size=len(FACTORS)) for s in range(12)}


def evaluation_rows():
    rows = []
    for regime in ("easy", "hard", "example"):
        chosen = PICKS["hard" if regime == "example" else regime]
        configs = dict(tuning.tuned_methods(STUDY, chosen))
        configs["article"] = STUDY.training.replace(method="plain", optimizer="adagrad")
        if regime != "example":
            configs |= {n: c for n, c in tuning.tuned_optimizers(STUDY, chosen).items() if n != "adagrad"}
        for seed in STUDY.regime_seeds(regime):
            for k, (role, c) in enumerate(configs.items()):
                free = 0.01 * FACTORS[role] * math.exp(NOISE[seed][k])
                horizon = 10.0 if (role == "plain" and seed < 9) else 500.0  # plain fails on 9 of 12 seeds
                rows.append(row(c, regime, "evaluation", seed, free, final=0.001 * FACTORS[role], horizon=horizon))
    return rows


ROWS = table(tuning_rows() + evaluation_rows())


def test_the_picks_are_re_derived_from_the_tuning_rows():
    picks = decisive.picks_from_rows(ROWS, STUDY)
    assert {r: {n: p.value for n, p in ps.items()} for r, ps in picks.items()} == {"easy": BEST, "hard": BEST}


def test_missing_tuning_runs_are_named():
    with pytest.raises(ValueError, match="no tuning runs of plain, adagrad"):
        decisive.picks_from_rows(table(evaluation_rows()), STUDY)


def test_every_role_is_found_at_its_picks_and_the_example_regime_has_no_optimisers():
    roles = decisive.roles(ROWS, STUDY, PICKS)
    assert set(roles["easy"]) == set(FACTORS)
    assert set(roles["example"]) == set(FACTORS) - {"sgd", "lbfgs", "lbfgs+wolfe"}
    assert [r["seed"] for r in roles["hard"]["weighted"].rows] == list(range(12))
    assert [r["seed"] for r in roles["example"]["rollout"].rows] == [0, 1]


def by_hand(a, b):
    """Geometric-mean ratio and its 95% t-interval from the per-seed log-ratios (the textbook formula)."""
    d = np.log(a) - np.log(b)
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return math.exp(d.mean()), math.exp(d.mean() - half), math.exp(d.mean() + half)


def test_each_paired_claim_is_the_geometric_mean_ratio_with_its_interval():
    roles = decisive.roles(ROWS, STUDY, PICKS)
    found = {(c.regime, c.comparison): c for c in decisive.claims(roles, OSC)}
    easy = roles["easy"]
    for trick in ("weighted", "denoising"):
        claim = found[("easy", f"{trick} vs plain")]
        want = by_hand(np.array(easy[trick].column("free_mse")), np.array(easy["plain"].column("free_mse")))
        assert (claim.result.effect, claim.result.low, claim.result.high) == pytest.approx(want, rel=1e-9)
    assert found[("easy", "weighted vs plain")].verdict == FAILS  # twice the error, clearly
    assert found[("easy", "denoising vs plain")].verdict == HOLDS
    assert found[("easy", "Adagrad vs SGD (training error)")].result.effect == pytest.approx(1 / 3)
    assert ("example", "Adagrad vs SGD (free-running error)") not in found
    settings = found[("hard", "rollout vs plain")].settings
    assert settings == f"lr {BEST['adagrad']:g}, {BEST['rollout']} steps"


def test_failures_are_counted_and_paired_with_mcnemar():
    roles = decisive.roles(ROWS, STUDY, PICKS)
    failures = {(r["regime"], r["method"]): r for r in decisive.failure_table(roles, OSC)}
    plain = failures[("easy", "plain")]
    assert (plain["failed"], plain["seeds"]) == (9, 12) and plain["hard"] == HOLDS  # [42%, 95%] lies above 20%
    weighted = failures[("easy", "weighted")]
    assert weighted["failed"] == 0 and weighted["fails less"] == HOLDS  # 9 discordant seeds, all one way
    assert "only it fails 0, only the baseline 9 (p = 0.0039)" == weighted["vs plain"]
    assert ("easy", "sgd") not in failures


def test_holm_adjusts_over_the_whole_family():
    roles = decisive.roles(ROWS, STUDY, PICKS)
    rows = decisive.claims(roles, OSC)
    records = decisive.table_rows(rows)
    ps = np.array([r["p"] for r in records])
    finite = np.flatnonzero(np.isfinite(ps))
    order = finite[np.argsort(ps[finite])]
    m = finite.size
    assert all(math.isnan(records[i]["holm p"]) for i in np.flatnonzero(~np.isfinite(ps)))
    adjusted = np.maximum.accumulate([min(1.0, (m - k) * ps[i]) for k, i in enumerate(order)])
    for k, i in enumerate(order):
        assert records[i]["holm p"] == pytest.approx(adjusted[k])
        decided = records[i]["verdict"] in (HOLDS, FAILS)
        want = records[i]["verdict"] if not decided or adjusted[k] < 0.05 else INCONCLUSIVE
        assert records[i]["headline"] == want


def test_sensitivity_reports_each_variant_beside_the_main_verdict():
    roles = decisive.roles(ROWS, STUDY, PICKS)
    out = decisive.sensitivity(ROWS, roles, OSC, STUDY, PICKS, STUDY.prime_lengths, (0.05, 0.2))
    variants = {r["variant"] for r in out}
    assert variants == {f"prime {p} only" for p in STUDY.prime_lengths} | {"threshold 0.05", "threshold 0.2"}
    assert all(r["changed"] == (r["verdict"] != r["main"]) for r in out)
    assert all("fail" in r["comparison"] for r in out if r["variant"].startswith("threshold"))


def _paired_t_power(nc: float, df: int) -> float:
    """Power of the two-sided 95% t-test at noncentrality ``nc``, integrated from its definition T = (Z + nc) /
    sqrt(V / df), Z normal and V chi-square: a route independent of scipy's noncentral t."""
    from scipy import integrate

    c = stats.t.ppf(0.975, df)

    def density(v: float) -> float:
        s = c * math.sqrt(v / df)
        return stats.chi2.pdf(v, df) * (stats.norm.sf(s - nc) + stats.norm.cdf(-s - nc))

    return integrate.quad(density, 0, np.inf, limit=200)[0]


def test_each_paired_row_gives_the_ratio_its_seeds_detect_with_80_percent_power():
    """The paired t-test at the reported ratio has power 0.8, also for rows of two seeds (one degree of freedom)."""
    rows = decisive.claims(decisive.roles(ROWS, STUDY, PICKS), OSC)
    records = decisive.table_rows(rows)
    paired_rows = [(c, r) for c, r in zip(rows, records, strict=True) if isinstance(c.result, Paired)]
    assert all(
        math.isnan(r["detects"]) == (c.result.n < 2 or np.std(c.result.differences) == 0) for c, r in paired_rows
    )
    paired_rows = [(c, r) for c, r in paired_rows if math.isfinite(r["detects"])]  # no spread: nothing to detect
    assert len(paired_rows) >= 5
    for claim, record in paired_rows:
        n, detects = claim.result.n, record["detects"]
        sd = float(np.std(np.asarray(claim.result.differences), ddof=1))
        assert _paired_t_power(abs(math.log(detects)) * math.sqrt(n) / sd, n - 1) == pytest.approx(0.8, abs=1e-6)
    assert all(math.isnan(r["detects"]) for c, r in zip(rows, records, strict=True) if not isinstance(c.result, Paired))


def test_the_longer_runs_of_the_sensitivity_stage_are_a_variant_of_their_own():
    """Rows of the sensitivity stage (the headline methods at twice the iterations) are judged as one more variant;
    here weighting's longer runs are made far better than plain's, so its verdict against plain flips."""
    from lstm_lib.study.campaign import sensitivity_configs

    extra = []
    for regime in ("easy", "hard"):
        longer = dict(zip(("plain", "weighted", "denoising"), sensitivity_configs(STUDY, PICKS[regime]), strict=True))
        for seed in STUDY.regime_seeds(regime):
            for role, config in longer.items():
                free = {"plain": 0.01, "weighted": 0.001, "denoising": 0.01}[role] * math.exp(NOISE[seed][0] / 10)
                extra.append(row(config, regime, "sensitivity", seed, free))
    rows = table(tuning_rows() + evaluation_rows() + extra)
    roles = decisive.roles(rows, STUDY, PICKS)
    out = decisive.sensitivity(rows, roles, OSC, STUDY, PICKS, STUDY.prime_lengths, (0.05, 0.2))
    longer_name = f"{2 * STUDY.iterations} iterations"
    flipped = {(r["regime"], r["comparison"]): r for r in out if r["variant"] == longer_name}
    assert set(flipped) >= {(g, c) for g in ("easy", "hard") for c in ("weighted vs plain", "denoising vs weighted")}
    for regime in ("easy", "hard"):
        assert flipped[(regime, "weighted vs plain")]["verdict"] == HOLDS
        assert flipped[(regime, "weighted vs plain")]["changed"] == (
            flipped[(regime, "weighted vs plain")]["main"] != HOLDS
        )
        assert flipped[(regime, "denoising vs weighted")]["verdict"] == FAILS


def test_the_report_says_on_which_cpu_code_paths_its_rows_ran():
    def fingerprinted(capability, stage):
        return Run({"fingerprint": json.dumps({"capability": capability}), "stage": stage}, None, None, None)

    rows = Table([fingerprinted("AVX2", "tuning")] * 3 + [fingerprinted("AVX512", "evaluation")] * 2)
    rows.runs.append(Run({"stage": "evaluation"}, None, None, None))  # a row that records no fingerprint
    assert decisive.arithmetic(rows) == {
        "AVX2": {"tuning": 3},
        "AVX512": {"evaluation": 2},
        "unrecorded": {"evaluation": 1},
    }
    report = decisive.Report(6, 6, None, [], [], [], arithmetic=decisive.arithmetic(rows))
    assert report.machines() == (
        "its rows ran on 3 CPU code paths: AVX2 (tuning 3); AVX512 (evaluation 2); unrecorded (evaluation 1)"
    )
    assert decisive.Report(0, 6, None, [], [], []).machines() == "no rows yet"
