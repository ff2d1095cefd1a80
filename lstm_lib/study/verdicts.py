"""Turning measurements over seeds into verdicts on the article's claims, by one stated rule.

The rule (used everywhere in the book): "A is better than B" **holds** when A's 95% interval
for the mean over seeds (:func:`lstm_lib.stats.mean_interval`) lies entirely on the better side
of B's, **does not hold** when B's lies entirely on the better side of A's, and is
**inconclusive** when the intervals overlap. Non-overlap of two 95% intervals is a strict test:
an "inconclusive" can hide a real but small difference. With 5-10 seeds the bootstrap intervals
run a little narrow (see :mod:`lstm_lib.study.statistics`), so a "holds" is less conservative than it looks.
Diverged runs (non-finite values) are dropped before the intervals; a side whose every run
diverged loses to one that has finite runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from lstm_lib.study.statistics import mean_interval

HOLDS = "holds"
FAILS = "does not hold"
INCONCLUSIVE = "inconclusive"


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def better(a_values: Sequence[float], b_values: Sequence[float], lower_is_better: bool = True) -> str:
    """The verdict on "A is better than B" from per-seed values (see the module's rule)."""
    a, b = _finite(a_values), _finite(b_values)
    if not a and not b:
        return INCONCLUSIVE
    if not b:
        return HOLDS
    if not a:
        return FAILS
    if len(a) < 2 or len(b) < 2:
        return INCONCLUSIVE
    _, a_low, a_high = mean_interval(a)
    _, b_low, b_high = mean_interval(b)
    if not lower_is_better:
        a_low, a_high, b_low, b_high = -a_high, -a_low, -b_high, -b_low
    if a_high < b_low:
        return HOLDS
    if b_high < a_low:
        return FAILS
    return INCONCLUSIVE


KERNEL_TOLERANCE = 1e-10
"""Largest difference at which two implementations count as the same function (float64 rounding is ~1e-16)."""


def same_function(difference: float, tolerance: float = KERNEL_TOLERANCE) -> str:
    """The verdict on "two implementations compute the same function" from their largest difference."""
    return HOLDS if math.isfinite(difference) and abs(difference) < tolerance else FAILS


def compare_phrase(
    a: float,
    b: float,
    tolerance: float = 0.05,
    words: tuple[str, str, str] = ("larger than", "about the same as", "smaller than"),
) -> str:
    """How a single measurement ``a`` compares with ``b``: within ``tolerance`` (relative to ``b``) is the middle word.

    No intervals are involved, so use it for one-off measurements (a timing ratio), not for claims over seeds.
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return "not comparable with"
    if abs(a - b) <= tolerance * abs(b):
        return words[1]
    return words[0] if a > b else words[2]


def combine(verdicts: Sequence[str]) -> str:
    """All hold -> holds; any fails -> does not hold; otherwise inconclusive."""
    if not verdicts:
        raise ValueError("verdicts must not be empty")
    if all(v == HOLDS for v in verdicts):
        return HOLDS
    if any(v == FAILS for v in verdicts):
        return FAILS
    return INCONCLUSIVE


def interval_text(values: Sequence[float], fmt: str = ".3g") -> str:
    """``mean [low, high]`` over the finite values, with the number of diverged runs if any."""
    xs = _finite(values)
    lost = len(values) - len(xs)
    if not xs:
        return f"all {lost} runs diverged"
    mean, low, high = mean_interval(xs)
    text = f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]" if len(xs) > 1 else f"{mean:{fmt}}"
    return text + (f" ({lost} diverged)" if lost else "")


def _col(rows: Sequence[Mapping], name: str) -> list[float]:
    return [float(r[name]) if not r["diverged"] else math.nan for r in rows]


def article_claims(
    methods: Mapping[str, Sequence[Mapping]],
    optimizers: Mapping[str, Sequence[Mapping]],
    sweeps: Mapping[str, Mapping[float, Sequence[Mapping]]],
    kernel_difference: float,
    oscillation_steps: float,
) -> list[dict[str, str]]:
    """The article's eight claims, each with our measurement and a verdict, from measured rows.

    ``methods``: rows of :meth:`lstm_lib.experiments.Table.rows` per method (``plain``,
    ``weighted``, ``denoising``, ``weighted+denoising``), all on the same seeds;
    ``optimizers``: rows per optimiser (``adagrad``, ``sgd``, ``lbfgs``) at an equal number of
    gradient evaluations; ``sweeps``: for ``denoising`` and ``weighted``, rows per setting tried
    (noise std, weight rate); ``kernel_difference``: max |packed kernel - torch.nn.LSTM| on the
    same inputs; ``oscillation_steps``: steps in one period of the waves.
    """
    for key in ("plain", "weighted", "denoising"):
        if key not in methods:
            raise ValueError(f"methods must hold rows for {key!r}")
    plain, weighted, denoising = methods["plain"], methods["weighted"], methods["denoising"]
    out: list[dict[str, str]] = []

    def add(claim: str, measured: str, verdict: str) -> None:
        out.append({"claim": str(len(out) + 1), "article": claim, "measured": measured, "verdict": verdict})

    add(
        "The packed-W kernel is a standard LSTM.",
        f"max |packed kernel - torch.nn.LSTM| = {kernel_difference:.1e} on the same weights and inputs",
        same_function(kernel_difference),
    )
    mse = _col(plain, "final_mse")
    finite_mse = _finite(mse)
    add(
        "Trained on x[:-1] -> x[1:] with a sum of squares, it learns to predict the next value.",
        f"teacher-forced MSE after training {interval_text(mse)} (a wave's mean square is 0.5)",
        HOLDS if finite_mse and max(finite_mse) < 0.005 else FAILS,
    )
    horizon = _col(plain, "horizon")
    h = _finite(horizon)
    mean_h, low_h, _ = mean_interval(h) if len(h) > 1 else (math.nan,) * 3
    add(
        "Once trained, it draws the wave by itself (free-running).",
        f"steps within 0.1 of the truth {interval_text(horizon)}; one oscillation is {oscillation_steps:.0f} steps",
        HOLDS if low_h > oscillation_steps else (FAILS if mean_h < oscillation_steps else INCONCLUSIVE),
    )
    parts, texts = [], []
    ada = optimizers["adagrad"]
    for other in ("lbfgs", "sgd"):
        v = better(_col(ada, "final_mse"), _col(optimizers[other], "final_mse"))
        w = better(_col(ada, "free_mse"), _col(optimizers[other], "free_mse"))
        parts.append(combine([v, w]))
        texts.append(f"vs {other}: final MSE {v}, free-running error {w}")
    add(
        "Adagrad does better than L-BFGS (a better result, not faster) and SGD.",
        "; ".join(texts) + " (equal gradient evaluations)",
        combine(parts),
    )
    tricks = [better(_col(m, "free_mse"), _col(plain, "free_mse")) for m in (weighted, denoising)] + [
        better(_col(m, "horizon"), horizon, lower_is_better=False) for m in (weighted, denoising)
    ]
    diverged = sum(bool(r["diverged"]) for r in plain)
    add(
        "An LSTM is hard to optimise without tricks.",
        f"plain: {diverged} of {len(plain)} runs diverged, horizon {interval_text(horizon)}; "
        f"a trick beats plain in {sum(t == HOLDS for t in tricks)} of {len(tricks)} comparisons",
        HOLDS if diverged or HOLDS in tricks else (FAILS if mean_h > oscillation_steps else INCONCLUSIVE),
    )
    for _name, rows, claim in (
        ("weighted", weighted, "Weighted training (decaying weights over the steps) helps a lot."),
        ("denoising", denoising, "Denoising (noise on the inputs) also helps."),
    ):
        v = better(_col(rows, "free_mse"), _col(plain, "free_mse"))
        w = better(_col(rows, "horizon"), horizon, lower_is_better=False)
        add(
            claim,
            f"free-running error {interval_text(_col(rows, 'free_mse'))} vs plain "
            f"{interval_text(_col(plain, 'free_mse'))}; horizon {interval_text(_col(rows, 'horizon'))}",
            combine([v, w]),
        )

    def tuning(kind: str) -> tuple[int, int]:
        settings = sweeps.get(kind, {})
        plain_mean = mean_interval(_finite(_col(plain, "free_mse")) or [math.nan])[0]
        wins = sum(
            1
            for rows in settings.values()
            if _finite(_col(rows, "free_mse")) and mean_interval(_finite(_col(rows, "free_mse")))[0] < plain_mean
        )
        return wins, len(settings)

    quality = combine(
        [
            better(_col(denoising, "free_mse"), _col(weighted, "free_mse")),
            better(_col(denoising, "horizon"), _col(weighted, "horizon"), lower_is_better=False),
        ]
    )
    cost = better(_col(denoising, "train_seconds"), _col(weighted, "train_seconds"))
    d_wins, d_n = tuning("denoising")
    w_wins, w_n = tuning("weighted")
    measured = (
        f"quality (denoising vs weighted): {quality}; cheaper per run: {cost}; settings tried that beat plain: "
        f"denoising {d_wins} of {d_n}, weighting {w_wins} of {w_n}"
    )
    if quality in (HOLDS, FAILS):
        verdict8 = quality
    else:
        verdict8 = "depends on the measure: equal quality within the intervals"
    add("Of the two tricks, denoising is the more efficient.", measured, verdict8)
    return out


def summary_rows(
    summary: Sequence[Mapping], by: str, columns: Sequence[str], fmt: str = ".3g"
) -> list[dict[str, object]]:
    """Rows of :meth:`lstm_lib.experiments.Table.summary` as text ``mean [low, high]`` per column, for a table."""
    out = []
    for entry in summary:
        row: dict[str, object] = {by: str(entry[by]), "seeds": entry["seeds"], "diverged": entry["diverged"]}
        for col in columns:
            mean, low, high = entry[col], entry[f"{col}_low"], entry[f"{col}_high"]
            if not math.isfinite(mean):
                row[col] = "n/a"
            elif math.isfinite(low):
                row[col] = f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"
            else:
                row[col] = f"{mean:{fmt}}"
        out.append(row)
    return out
