"""The article's claims, as it makes them, set against paired measurements in both regimes.

Two tables, kept apart:

- :func:`article_claims`: what the article asserts, quoted with where it stands in the text,
  each decided by :func:`lstm_lib.stats.verdicts.paired` on shared seeds (effect, interval,
  seeds, verdict, and the power behind an "inconclusive").
- :func:`rebuild_checks`: checks of our rebuild that the article implies but does not state
  (its kernel is lost): the packed kernel is a standard LSTM, it learns the next value, it
  draws the wave by itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lstm_lib.runs.experiments import Table
from lstm_lib.stats import failures
from lstm_lib.stats.failures import FailureRate
from lstm_lib.stats.verdicts import EQUIVALENT, FAILS, HOLDS, INCONCLUSIVE, Paired, confirmed, paired, same_function

QUOTES = {
    "adagrad": (
        "Adagrad is a simple and efficient optimization method which does better than L-BFGS"
        "(not faster than but get better result) and SGD.",
        "§ Adagrad, ¶ 1",
    ),
    "hard": ("However, LSTM is hard to optimize without some tricks.", "§ Adagrad, last ¶"),
    "weighted": ("[a decaying weight] turned out to help a lot in the performance of the result.", "§ weighted"),
    "denoising": ("[noise on the sequence input] can also help train the network.", "§ denoising"),
    "tuning": ("Besides, it needs less manipulation compared with the weighted methods.", "§ denoising"),
    "conclusion": (
        "We tried weighted training method and denoising LSTM and the later one turn out to be more efficient.",
        "§ Conclusion",
    ),
}
"""The article's words (``../shared/seed/article.txt``), with the section they stand in."""

LABELS = {
    "adagrad": "Adagrad beats L-BFGS and SGD",
    "hard": "hard to optimise without tricks",
    "weighted": "weighting helps a lot",
    "denoising": "denoising also helps",
    "tuning": "denoising needs less tuning",
    "conclusion": "denoising is more efficient",
}
"""A short name per claim, for tables (the quotes are long)."""


def quote_rows() -> list[dict]:
    """The article's claims as it makes them: short name, quote and where it stands."""
    return [{"claim": LABELS[k], "the article says": f"“{q}”", "where": w} for k, (q, w) in QUOTES.items()]


def display_rows(rows: list[dict]) -> list[dict]:
    """Claim rows for a table: the claim's short name on its first row only."""
    out, last = [], None
    for r in rows:
        out.append({**r, "name": LABELS[r["claim"]] if r["claim"] != last else ""})
        last = r["claim"]
    return out


NEXT_VALUE_MSE = 0.01
"""Rebuild check: plain training "predicts the next value" when every seed's teacher-forced MSE is below this."""


def paired_free(a: Table, b: Table, column: str = "free_mse", key: tuple[str, ...] = ("seed",)) -> Paired:
    """``column`` (free-running MSE) of ``a`` against ``b``, paired on the ``key`` values both ran."""
    values = [{tuple(r[k] for k in key): v for r, v in zip(t.rows, t.column(column), strict=True)} for t in (a, b)]
    shared = [k for k in values[0] if k in values[1]]
    if not shared:
        raise ValueError(f"a and b share no {key}: nothing to pair")
    return paired([values[0][k] for k in shared], [values[1][k] for k in shared])


def failure_rate(plain: Table, oscillation_steps: float) -> FailureRate:
    """Plain training's failures (:func:`lstm_lib.stats.failures.failed`: diverged, or a horizon under one
    oscillation) with their exact interval; "hard" holds when the rate lies above
    :data:`~lstm_lib.stats.failures.HARD_RATE`."""
    return failures.failure_rate([failures.failed(row, oscillation_steps) for row in plain.rows])


def _row(key: str, regime: str, comparison: str, result: Paired | FailureRate | str, note: str = "") -> dict:
    quote, where = QUOTES[key]
    row = {"claim": key, "article": f"“{quote}” ({where})", "regime": regime, "comparison": comparison}
    row["result"] = result
    if isinstance(result, Paired):
        fmt = lambda v: f"{v:.2g}" if math.isfinite(v) else "n/a"  # noqa: E731
        row |= {
            "effect": f"×{fmt(result.effect)}",
            "interval": f"[{fmt(result.low)}, {fmt(result.high)}]",
            "seeds": result.n,
            "verdict": result.verdict,
            "power": _power_text(result),
        }
    elif isinstance(result, FailureRate):
        row |= {
            "effect": f"{result.failed}/{result.n} fail",
            "interval": f"[{result.low:.0%}, {result.high:.0%}]",
            "seeds": result.n,
            "verdict": result.verdict,
            "power": f"rules out > {result.high:.0%}" if result.failed == 0 else "",
        }
    else:
        row |= {"effect": note, "interval": "", "seeds": "", "verdict": result, "power": ""}
    return row


def _power_text(result: Paired) -> str:
    if result.verdict in (HOLDS, FAILS):
        return ""
    if result.verdict == EQUIVALENT:
        return f"rules out > ×{max(result.high, 1 / result.low):.2g}"
    if not math.isfinite(result.detectable):
        return ""
    return f"detects ×{result.detectable:.2g}; ×1.5 needs {result.seeds_needed} seeds"


def tuning(sweep: Mapping[float, Table], plain: Table) -> tuple[int, int]:
    """How many of a trick's settings beat plain training (paired verdict "holds"), of how many tried."""
    return sum(paired_free(t, plain).verdict == HOLDS for t in sweep.values()), len(sweep)


def article_claims(
    methods: Mapping[str, Mapping[str, Table]],
    optimizers: Mapping[str, Table],
    sweeps: Mapping[str, Mapping[float, Table]],
    oscillation_steps: Mapping[str, float],
) -> list[dict]:
    """One row per claim, regime and comparison (see the module docstring).

    ``methods[regime][method]``: runs of ``plain``, ``weighted``, ``denoising`` on shared seeds;
    ``optimizers[name]``: ``adagrad``, ``sgd``, ``lbfgs``, ``lbfgs+wolfe`` (easy regime);
    ``sweeps[trick][setting]``: the settings tried per trick, on shared seeds (easy regime);
    ``oscillation_steps[regime]``: steps per oscillation.
    """
    rows = []
    ada = optimizers["adagrad"]
    for other in ("sgd", "lbfgs", "lbfgs+wolfe"):
        if other in optimizers:
            rows.append(_row("adagrad", "easy", f"Adagrad vs {other}", paired_free(ada, optimizers[other])))
    for regime, by_method in methods.items():
        rate = failure_rate(by_method["plain"], oscillation_steps[regime])
        rows.append(_row("hard", regime, "plain training", rate))
    for regime, by_method in methods.items():
        rows.append(
            _row("weighted", regime, "weighted vs plain", paired_free(by_method["weighted"], by_method["plain"]))
        )
    for regime, by_method in methods.items():
        p = paired_free(by_method["denoising"], by_method["plain"])
        rows.append(_row("denoising", regime, "denoising vs plain", p))
    if "weighted" in sweeps and "denoising" in sweeps:
        plain = methods["easy"]["plain"]
        d_wins, d_n = tuning(sweeps["denoising"], plain)
        w_wins, w_n = tuning(sweeps["weighted"], plain)
        share = d_wins / d_n - w_wins / w_n
        verdict = HOLDS if share > 0 else FAILS if share < 0 else INCONCLUSIVE
        note = f"settings that beat plain: denoising {d_wins}/{d_n}, weighting {w_wins}/{w_n}"
        rows.append(_row("tuning", "easy", "settings tried", verdict, note))
    for regime, by_method in methods.items():
        p = paired_free(by_method["denoising"], by_method["weighted"])
        rows.append(_row("conclusion", regime, "denoising vs weighted", p))
    return rows


def rebuild_checks(
    kernel_difference: float, plain: Mapping[str, Table], oscillation_steps: Mapping[str, float]
) -> list[dict]:
    """Checks of the rebuild the article implies: standard kernel, one-step learning, free-running.

    Their verdicts are the checks' words, ``confirmed`` / ``not confirmed``
    (:data:`lstm_lib.stats.verdicts.CONFIRMED`), never the claims' ``holds``.
    """
    rows = [
        {
            "check": "The packed-W kernel computes a standard LSTM",
            "regime": "",
            "measured": f"max |packed kernel − torch.nn.LSTM| = {kernel_difference:.1e}",
            "verdict": same_function(kernel_difference),
        }
    ]
    for regime, table in plain.items():
        mse = [v for v in table.column("final_mse") if math.isfinite(v)]
        rows.append(
            {
                "check": "Trained on x[:-1] → x[1:], plain training predicts the next value",
                "regime": regime,
                "measured": (
                    f"teacher-forced MSE at most {max(mse):.2g} over {len(mse)} seeds (a wave's mean square is 0.5)"
                    if mse
                    else "every run diverged"
                ),
                "verdict": confirmed(bool(mse) and max(mse) < NEXT_VALUE_MSE),
            }
        )
        rate = failure_rate(table, oscillation_steps[regime])
        rows.append(
            {
                "check": "It draws the wave by itself for at least one oscillation",
                "regime": regime,
                "measured": f"{rate.n - rate.failed} of {rate.n} plain runs do ({oscillation_steps[regime]:.0f} steps)",
                "verdict": confirmed(rate.failed == 0),
            }
        )
    return rows


def answers(rows: list[dict]) -> dict[str, str]:
    """Short answers for other pages: ``{claim}_{regime}`` (and ``adagrad_{other}``) -> "verdict (effect, seeds)"."""
    out = {}
    for r in rows:
        key = r["claim"] + "_" + (r["comparison"].split(" vs ")[-1] if r["claim"] == "adagrad" else r["regime"])
        detail = ", ".join(
            str(v) for v in (r["effect"], r["interval"], f"{r['seeds']} seeds" if r["seeds"] else "") if v
        )
        out[key] = f"{r['verdict']} ({detail})" if detail else r["verdict"]
    return out


@dataclass
class Measured:
    """Every run behind the claims table of a study, and the table itself (see :func:`measure`)."""

    runs: dict[str, Table]
    by_method: dict[str, dict[str, Table]]
    optimizers: dict[str, Table]
    sweeps: dict[str, dict[float, Table]]
    oscillation: dict[str, float]
    table: list[dict]


def measure(study, cache_dir=None, executor=None, progress: bool = False) -> Measured:
    """Train (or fetch from the cache) every run the claims table needs, and decide each claim.

    The methods in both regimes, the optimisers and the tricks' sweeps (easy regime), exactly as
    chapters 4-7 run them, so a rebuilt table is the chapters' table. ``cache_dir`` defaults to
    the shared training cache.
    """
    from lstm_lib.runs.experiments import DEFAULT_CACHE, compare
    from lstm_lib.settings import REGIMES

    kw = {"workers": study.workers, "scheduler": study.scheduler, "executor": executor, "progress": progress}
    kw["cache_dir"] = cache_dir or DEFAULT_CACHE
    tasks = {regime: study.task(regime) for regime in REGIMES}
    methods = study.methods()
    runs = {r: compare(list(methods.values()), study.regime_seeds(r), tasks[r], **kw) for r in REGIMES}
    by_method = {r: {m: runs[r].where(method=m) for m in methods} for r in REGIMES}
    optimizers = compare(list(study.optimizers().values()), list(study.optimizer_seeds), tasks["easy"], **kw)
    sweeps = {
        trick: {s: compare([c], list(study.sweep_seeds), tasks["easy"], **kw) for s, c in study.sweep(trick).items()}
        for trick in ("weighted", "denoising")
    }
    oscillation = {regime: task.oscillation_steps for regime, task in tasks.items()}
    groups = optimizers.groups("optimizer")
    table = article_claims(by_method, groups, sweeps, oscillation)
    return Measured(runs, by_method, groups, sweeps, oscillation, table)


CLAIM_COLUMNS = ("claim", "regime", "comparison", "effect", "low", "high", "seeds", "verdict")


def claim_records(rows: list[dict]) -> list[dict]:
    """The claims table as plain records (numbers unformatted), for ``results/claims-*.csv``."""
    out = []
    for r in rows:
        result = r["result"]
        if isinstance(result, Paired):
            effect, low, high = result.effect, result.low, result.high
        elif isinstance(result, FailureRate):
            effect, low, high = result.failed / result.n, result.low, result.high
        else:
            effect = low = high = math.nan
        out.append({"claim": r["claim"], "regime": r["regime"], "comparison": r["comparison"], "effect": effect,
                    "low": low, "high": high, "seeds": r["seeds"], "verdict": r["verdict"]})  # fmt: skip
    return out


def with_family(rows: list[dict]) -> list[dict]:
    """The claims rows with the family view (:mod:`lstm_lib.stats.family`) of every paired comparison:
    Holm-adjusted verdict over all of them, seeds each way, Wilcoxon p, and the fragility mark."""
    from lstm_lib.stats import family

    indices = [i for i, r in enumerate(rows) if isinstance(r["result"], Paired)]
    views = family.family([rows[i]["result"] for i in indices])
    out = [{**r, "holm": "", "each way": "", "wilcoxon p": "", "fragile": ""} for r in rows]
    for i, view in zip(indices, views, strict=True):
        out[i] |= {
            "holm": view.holm_verdict,
            "each way": f"{view.lower} lower, {view.higher} higher",
            "wilcoxon p": f"{view.wilcoxon_p:.2g}" if math.isfinite(view.wilcoxon_p) else "",
            "fragile": f"yes (without {family.FRAGILE_K} extreme seeds: changes)" if view.fragile else "no",
        }
    return out
