"""The study's claims table, read from the campaign's rows: tuned settings, paired verdicts, failures, one family.

From the rows of :mod:`lstm_lib.study.campaign` (a results file, or a table of fresh runs) this module
re-applies the tuning rule to the tuning rows (:func:`picks_from_rows`), finds each regime's runs of
every method and optimiser at the picks (:func:`roles`), and decides, per regime:

- Adagrad against SGD and both L-BFGS variants, on free-running error and on training error;
- "hard to optimise": plain training's failure rate above :data:`~lstm_lib.stats.failures.HARD_RATE`;
- weighting, denoising, both, scheduled sampling and rollout against plain training (free-running error),
  and whether each fails less than plain training (exact McNemar on the failures);
- the article's conclusion, denoising against weighting.

Every decided row joins one family: Holm's adjustment over all their p-values gives the headline verdict
(:func:`holm_verdicts`), beside the unadjusted one, the seeds going each way, the Wilcoxon p-value and the
fragility mark of :mod:`lstm_lib.stats.family`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scipy import stats

from lstm_lib.runs.experiments import Table
from lstm_lib.settings import STUDY_REGIMES, TUNED_FROM, Study
from lstm_lib.stats import family
from lstm_lib.stats.failures import FailureRate, McNemar, failed, failure_rate, mcnemar
from lstm_lib.stats.verdicts import FAILS, HOLDS, INCONCLUSIVE, Paired, paired
from lstm_lib.study import tuning
from lstm_lib.study.campaign import OPTIMIZER_REGIMES, SENSITIVITY_METHODS, SENSITIVITY_REGIMES
from lstm_lib.training.config import TrainConfig

TRICKS = ("weighted", "denoising", "weighted+denoising", "scheduled-sampling", "rollout")


def identity(config: TrainConfig) -> str:
    """A config without its seed, as JSON: what the runs of one method on many seeds share."""
    values = config.to_dict()
    values.pop("seed")
    return json.dumps(values, sort_keys=True)


def select(table: Table, config: TrainConfig, regime: str, stage: str | None = None) -> Table:
    """The runs of ``config`` (any seed) in ``regime`` (and ``stage``, when given), in the table's order.

    Each row keeps its config's :func:`identity` under ``identity`` once computed (rows read for analysis)."""
    want = identity(config)
    out = Table()
    for run in table.runs:
        row = run.row
        if row.get("regime") != regime or (stage is not None and row.get("stage") != stage):
            continue
        if "identity" not in row:  # parsed once per row, not once per lookup
            row["identity"] = identity(TrainConfig.from_dict(json.loads(row["config"])))
        if row["identity"] == want:
            out.runs.append(run)
    return out


def picks_from_rows(table: Table, study: Study) -> dict[str, dict[str, tuning.Pick]]:
    """Each tuned regime's picks, by :data:`lstm_lib.study.tuning.RULE` applied to its tuning rows, taking the same
    steps as the campaign did (grids extended past edge picks)."""
    from lstm_lib.study.campaign import tune_regime

    picks: dict[str, dict[str, tuning.Pick]] = {}
    for regime in dict.fromkeys(TUNED_FROM[r] for r in STUDY_REGIMES):

        def runs_of(candidates: dict, regime: str = regime) -> dict:
            return {key: _tuning_runs(table, c, regime) for key, c in candidates.items()}

        picks[regime] = tune_regime(study, regime, runs_of)
    return picks


def _tuning_runs(table: Table, config: TrainConfig, regime: str) -> Table:
    runs = select(table, config, regime, "tuning")
    if not runs.runs:
        raise ValueError(f"no tuning runs of {config.label()} (lr {config.lr:g}) in the {regime} regime")
    return runs


def roles(table: Table, study: Study, picks: Mapping[str, Mapping[str, tuning.Pick]]) -> dict[str, dict[str, Table]]:
    """``regime -> role -> runs``: the six methods, ``article`` (the book's own rate) and, where compared, the
    optimisers ``sgd``, ``lbfgs`` and ``lbfgs+wolfe`` (``adagrad`` is ``plain``), from the evaluation rows."""
    out: dict[str, dict[str, Table]] = {}
    for regime in STUDY_REGIMES:
        chosen = picks[TUNED_FROM[regime]]
        configs = dict(tuning.tuned_methods(study, chosen))
        article = study.training.replace(method="plain", optimizer="adagrad")
        if identity(article) != identity(configs["plain"]):  # else the tuned plain run is the book's own
            configs["article"] = article
        if regime in OPTIMIZER_REGIMES:
            optimizers = tuning.tuned_optimizers(study, chosen)
            configs |= {n: c for n, c in optimizers.items() if n != "adagrad"}
        found = {role: select(table, c, regime, "evaluation") for role, c in configs.items()}
        out[regime] = {role: runs for role, runs in found.items() if runs.runs}
    return out


def pair(a: Table, b: Table, column: str = "free_mse") -> Paired:
    """``column`` of ``a`` against ``b``, paired on the seeds both ran (a diverged run counts as stated in
    :func:`lstm_lib.stats.verdicts.paired`)."""
    values = [dict(zip((r["seed"] for r in t.rows), t.column(column), strict=True)) for t in (a, b)]
    shared = [s for s in values[0] if s in values[1]]
    if not shared:
        raise ValueError("the two sides share no seeds: nothing to pair")
    return paired([values[0][s] for s in shared], [values[1][s] for s in shared])


def failures_of(runs: Table, oscillation_steps: float, threshold: float | None = None) -> dict[int, bool]:
    """Seed -> whether that run failed (:func:`lstm_lib.stats.failures.failed`)."""
    return {r["seed"]: failed(r, oscillation_steps, threshold) for r in runs.rows}


@dataclass(frozen=True)
class Claim:
    """One decided row: what is compared, where, at which settings, and the result."""

    claim: str
    regime: str
    comparison: str
    settings: str
    result: Paired | FailureRate | McNemar

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def p(self) -> float:
        """The p-value behind the verdict (the family's input)."""
        r = self.result
        if isinstance(r, Paired):
            return family.t_pvalue(r)
        if isinstance(r, McNemar):
            return r.p
        return float(stats.binomtest(r.failed, r.n, r.level).pvalue)


def settings_text(config: TrainConfig) -> str:
    """The tuned values that matter for ``config``'s method and optimiser."""
    parts = [f"lr {config.lr:g}"]
    if config.weighted:
        parts.append(f"rate {config.weight_rate:g}")
    if config.denoising:
        parts.append(f"noise {config.noise_std:g}")
    if config.method == "scheduled-sampling":
        parts.append(f"p {config.sampling_start:g}→{config.sampling_end:g}")
    if config.method == "rollout":
        parts.append(f"{config.rollout_steps} steps")
    return ", ".join(parts)


def claims(by_role: Mapping[str, Mapping[str, Table]], oscillation: Mapping[str, float]) -> list[Claim]:
    """Every decided row of the study (see the module docstring), regime by regime."""
    out: list[Claim] = []
    for regime, runs in by_role.items():
        plain = runs["plain"]
        cfg = {role: TrainConfig.from_dict(json.loads(t.rows[0]["config"])) for role, t in runs.items()}
        for other in ("sgd", "lbfgs", "lbfgs+wolfe"):
            if other in runs:
                label = other.replace("lbfgs", "L-BFGS").replace("sgd", "SGD")
                both = f"Adagrad {settings_text(cfg['plain'])}; {label} {settings_text(cfg[other])}"
                for column, what in (("free_mse", "free-running"), ("final_mse", "training")):
                    result = pair(plain, runs[other], column)
                    out.append(Claim("adagrad", regime, f"Adagrad vs {label} ({what} error)", both, result))
        fails = {role: failures_of(t, oscillation[regime]) for role, t in runs.items()}
        rate = failure_rate(list(fails["plain"].values()))
        out.append(Claim("hard", regime, "plain training fails", settings_text(cfg["plain"]), rate))
        for trick in TRICKS:
            if trick in runs:
                s = settings_text(cfg[trick])
                out.append(Claim(trick, regime, f"{trick} vs plain", s, pair(runs[trick], plain)))
                out.append(
                    Claim(trick, regime, f"{trick} fails less than plain", s, mcnemar(fails[trick], fails["plain"]))
                )
        if "article" in runs and cfg["article"] != cfg["plain"]:
            s = f"tuned {settings_text(cfg['plain'])}; the book's {settings_text(cfg['article'])}"
            out.append(Claim("tuning", regime, "tuned plain vs the book's rate", s, pair(plain, runs["article"])))
        if "denoising" in runs and "weighted" in runs:
            s = f"{settings_text(cfg['denoising'])}; {settings_text(cfg['weighted'])}"
            out.append(
                Claim("conclusion", regime, "denoising vs weighted", s, pair(runs["denoising"], runs["weighted"]))
            )
    return out


def holm_verdicts(rows: list[Claim]) -> list[str]:
    """Each row's verdict after Holm's adjustment over the whole family: a decided direction needs its adjusted
    p-value below 0.05; "equivalent" and "inconclusive" stay as they are."""
    adjusted = family.holm([r.p for r in rows])
    out = []
    for r, q in zip(rows, adjusted, strict=True):
        decided = r.verdict in (HOLDS, FAILS)
        out.append(INCONCLUSIVE if decided and not (q < family.ALPHA) else r.verdict)
    return out


def table_rows(rows: list[Claim]) -> list[dict]:
    """The claims table as records: the headline (Holm) verdict beside the unadjusted one and the family view, and
    for a paired comparison the smallest ratio its seeds detect with 80% power (``detects``), what a study that
    could not afford the seeds its power analysis asks for can still see."""
    headline = holm_verdicts(rows)
    adjusted = family.holm([r.p for r in rows])
    out = []
    for r, verdict, q in zip(rows, headline, adjusted, strict=True):
        record = {"claim": r.claim, "regime": r.regime, "comparison": r.comparison, "settings": r.settings}
        res = r.result
        if isinstance(res, Paired):
            lower, higher = family.each_way(res)
            record |= {"effect": res.effect, "low": res.low, "high": res.high, "seeds": res.n,
                       "each way": f"{lower} lower, {higher} higher", "wilcoxon p": family.wilcoxon_pvalue(res),
                       "fragile": family.fragile(res), "detects": res.detectable}  # fmt: skip
        elif isinstance(res, FailureRate):
            record |= {"effect": res.rate, "low": res.low, "high": res.high, "seeds": res.n, "each way": res.text(),
                       "wilcoxon p": math.nan, "fragile": False, "detects": math.nan}  # fmt: skip
        else:
            record |= {"effect": math.nan, "low": math.nan, "high": math.nan, "seeds": res.n, "each way": res.text(),
                       "wilcoxon p": math.nan, "fragile": False, "detects": math.nan}  # fmt: skip
        record |= {"verdict": r.verdict, "p": r.p, "holm p": q, "headline": verdict}
        out.append(record)
    return out


def failure_table(by_role: Mapping[str, Mapping[str, Table]], oscillation: Mapping[str, float],
                  threshold: float | None = None) -> list[dict]:  # fmt: skip
    """Every method's failure rate in every regime with its interval, and its exact McNemar test against plain."""
    out = []
    for regime, runs in by_role.items():
        plain = failures_of(runs["plain"], oscillation[regime], threshold)
        for role, t in runs.items():
            if role in ("sgd", "lbfgs", "lbfgs+wolfe"):
                continue
            fails = failures_of(t, oscillation[regime], threshold)
            rate = failure_rate(list(fails.values()))
            test = mcnemar(fails, plain) if role != "plain" else None
            record = {"regime": regime, "method": role, "failed": rate.failed, "seeds": rate.n, "rate": rate.rate,
                      "low": rate.low, "high": rate.high, "hard": rate.verdict}  # fmt: skip
            record |= {"vs plain": test.text() if test else "", "fails less": test.verdict if test else ""}
            out.append(record)
    return out


def variant(runs: Table, prime: int | None = None, threshold: float | None = None) -> Table:
    """The same runs judged another way: free-running error from one prime length only, and the horizon (hence
    failure) at another error threshold, both read from the row's recorded ``per_prime`` and ``horizons``."""
    out = Table()
    for run in runs.runs:
        row = dict(run.row)
        if not row["diverged"] and prime is not None:
            row["free_mse"] = json.loads(row["per_prime"])[str(prime)]["free_mse"]
        if not row["diverged"] and threshold is not None:
            row["horizon"] = json.loads(row["horizons"])[f"{threshold:g}"]
        out.runs.append(type(run)(row, run.history, run.seconds, run.W))
    return out


def sensitivity(
    table: Table,
    by_role: Mapping[str, Mapping[str, Table]],
    oscillation: Mapping[str, float],
    study: Study,
    picks: Mapping[str, Mapping[str, tuning.Pick]],
    primes: tuple[int, ...],
    thresholds: tuple[float, ...],
) -> list[dict]:
    """Which headline verdicts change when judged otherwise: twice the iterations (the sensitivity stage's runs),
    one prime length at a time (the free-running comparisons), and other error thresholds (the failure claims).
    One record per claim, regime and variant, with the main verdict beside it."""
    from lstm_lib.study.campaign import sensitivity_configs

    out = []
    for regime in (r for r in SENSITIVITY_REGIMES if r in by_role):
        runs = by_role[regime]
        main = {c.comparison: c for c in claims({regime: runs}, oscillation) if c.claim in _HEADLINE}
        longer = dict(zip(SENSITIVITY_METHODS, sensitivity_configs(study, picks[TUNED_FROM[regime]]), strict=True))
        longer_runs = {m: select(table, c, regime, "sensitivity") for m, c in longer.items()}
        variants: dict[str, dict[str, Table]] = {}
        if all(t.runs for t in longer_runs.values()):
            variants[f"{2 * study.iterations} iterations"] = longer_runs
        for p in primes:
            variants[f"prime {p} only"] = {m: variant(runs[m], prime=p) for m in SENSITIVITY_METHODS}
        for t in thresholds:
            variants[f"threshold {t:g}"] = {m: variant(runs[m], threshold=t) for m in SENSITIVITY_METHODS}
        for name, alt in variants.items():
            for c in claims({regime: alt}, oscillation):
                affected = (
                    "fail" in c.comparison
                    if name.startswith("threshold")
                    else not name.startswith("prime") or ("fail" not in c.comparison)
                )
                if c.comparison in main and affected:
                    base = main[c.comparison].verdict
                    record = {"claim": c.claim, "regime": regime, "comparison": c.comparison, "variant": name}
                    out.append(record | {"main": base, "verdict": c.verdict, "changed": c.verdict != base})
    return out


_HEADLINE = ("hard", "weighted", "denoising", "conclusion")


MAIN_COMPARISONS = tuple(f"{t} vs plain" for t in TRICKS) + ("denoising vs weighted",)
STUDY_ROWS = Path(__file__).resolve().parents[2] / "results" / "study-runs.csv"


@dataclass
class Report:
    """What the book shows of the study: how far its campaign got, and every table its rows support so far.

    ``runs``/``planned``: rows in the file and runs in the campaign's plan (exact once the picks are known, an
    estimate before); ``picks``: the tuned settings (``None``
    until the tuning stage is complete); ``claims``, ``failures``, ``sensitivity``: the tables (empty until the
    picks exist; a comparison pairs the seeds both sides have so far).
    """

    runs: int
    planned: int
    picks: dict[str, dict[str, tuning.Pick]] | None
    claims: list[dict]
    failures: list[dict]
    sensitivity: list[dict]
    main: dict[str, Paired] = field(default_factory=dict)
    """The main paired comparisons by ``"regime: comparison"``, for the per-seed picture."""
    arithmetic: dict[str, dict[str, int]] = field(default_factory=dict)
    """Rows per CPU code path (the fingerprint's ``capability``) and stage: a campaign run in several sittings may
    have run on machines whose arithmetic differs in the last bits."""

    def machines(self) -> str:
        """Where the rows ran, as a clause (from their fingerprints)."""
        if not self.arithmetic:
            return "no rows yet"
        parts = [f"{path} ({', '.join(f'{stage} {n}' for stage, n in stages.items())})"
                 for path, stages in self.arithmetic.items()]  # fmt: skip
        return f"its rows ran on {len(parts)} CPU code path{'s' if len(parts) > 1 else ''}: " + "; ".join(parts)

    @property
    def complete(self) -> bool:
        return self.picks is not None and self.runs >= self.planned

    def status(self) -> str:
        if self.complete:
            return f"the campaign is complete: all {self.runs} of its runs are committed"
        done = f"{self.runs} of the {self.planned} runs the campaign plans are committed"
        if self.picks is None:
            return f"{done}; its tuning stage has not finished, so no comparison is decided yet"
        return done + ("" if self.complete else "; the comparisons below pair the seeds run so far")


def report(study: Study, path: Path = STUDY_ROWS) -> Report:
    """The study's :class:`Report` from its rows file (a missing file is a study not yet run)."""
    from lstm_lib.runs.records import read_rows
    from lstm_lib.study.campaign import plan, planned_runs

    planned = plan(study)[1]
    if not path.exists():
        return Report(0, planned, None, [], [], [])
    table = read_rows(path)
    try:
        picks = picks_from_rows(table, study)
    except ValueError:
        return Report(len(table.runs), planned, None, [], [], [], arithmetic=arithmetic(table))
    planned = planned_runs(study, picks)  # exact now that the picks (and any extended grids) are known
    by_role = {r: runs for r, runs in roles(table, study, picks).items() if "plain" in runs}
    oscillation = {r: study.task(r).oscillation_steps for r in by_role}
    rows = claims(by_role, oscillation)
    decided = table_rows(rows)
    main = {f"{c.regime}: {c.comparison}": c.result for c in rows if c.comparison in MAIN_COMPARISONS}
    fails = failure_table(by_role, oscillation)
    from lstm_lib.runs.trial import SENSITIVITY_THRESHOLDS

    present = {r: by_role[r] for r in SENSITIVITY_REGIMES if r in by_role}
    if all(all(m in runs for m in SENSITIVITY_METHODS) for runs in present.values()) and present:
        sens = sensitivity(table, present, oscillation, study, picks, study.prime_lengths, SENSITIVITY_THRESHOLDS)
    else:
        sens = []
    return Report(len(table.runs), planned, picks, decided, fails, sens, main, arithmetic(table))


def arithmetic(table: Table) -> dict[str, dict[str, int]]:
    """Rows per CPU code path and stage, from each row's recorded fingerprint (see :attr:`Report.arithmetic`)."""
    out: dict[str, dict[str, int]] = {}
    for row in table.rows:
        try:
            path = json.loads(row.get("fingerprint") or "{}").get("capability") or "unrecorded"
        except ValueError:
            path = "unrecorded"
        stages = out.setdefault(path, {})
        stages[row.get("stage", "")] = stages.get(row.get("stage", ""), 0) + 1
    return out


def comparison_key(regime: str, comparison: str) -> tuple[str, str]:
    """The same comparison in the study's words and the full profile's, as one key (regime, normalised name)."""
    text = comparison.lower().replace(" (free-running error)", "").replace("l-bfgs", "lbfgs")
    return regime, text.replace("plain training fails", "plain training")


def beside_full(records: list[dict], full: Sequence[Mapping]) -> list[dict]:
    """``records`` with a ``full`` column: the full profile's verdict on the same comparison in the same regime
    (from chapter 7's claims rows), or "" where the full profile does not make it. Both decide "hard" by the one
    failure rule of :mod:`lstm_lib.stats.failures`."""
    verdicts = {comparison_key(r["regime"], r["comparison"]): r["verdict"] for r in full}
    return [r | {"full": verdicts.get(comparison_key(r["regime"], r["comparison"]), "")} for r in records]
