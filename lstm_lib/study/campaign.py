"""The study's campaign: tune every regime's settings on tuning seeds, then compare at the picks on fresh seeds.

Stages, in order (see :mod:`lstm_lib.study.tuning`): for each tuned regime, the optimisers' rates,
then the objectives' settings at Adagrad's picked rate; then, for every regime, the six objectives
(plain, both tricks, both together, scheduled sampling, rollout) at the picks on the regime's seeds,
with plain training at the book's own rate beside them as the article's baseline, and the four
optimisers on ``optimizer_seeds`` in the regimes of :data:`OPTIMIZER_REGIMES`; last, the sensitivity
stage (:data:`SENSITIVITY_METHODS` with twice the iterations).

It resumes: every finished run goes to the training cache as it finishes, and to the rows file
(``results/study-runs.csv``, with provenance) at least every ``--save-every`` seconds and on exit, so a
campaign run in several sittings, or interrupted, loses at most the runs in flight, and a
checkout that lost its cache still resumes from the committed rows. It reports its progress
(runs done of total, cached or trained, estimated time left): a bar on a terminal, a line every
``--log-every`` seconds otherwise. Runs locally (``--workers``) or on the Dask cluster at
``$LSTM_LIB_SCHEDULER``.

Usage: python -m lstm_lib.study.campaign [--profile study] [--out results/study-runs.csv] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from lstm_lib.runs.cluster import SCHEDULER_ENV, check_scheduler, scheduler_from_env
from lstm_lib.runs.experiments import DEFAULT_CACHE, Table, check_cache_dir, compare, tensor_hash
from lstm_lib.runs.records import provenance_row, read_rows, write_rows
from lstm_lib.runs.trial import Run
from lstm_lib.settings import PROFILE_NAMES, STUDY_REGIMES, TUNED_FROM, Study, study_for
from lstm_lib.study import tuning
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import Parser, check_output_file

RESULTS = Path(__file__).resolve().parents[2] / "results"
OPTIMIZER_REGIMES = ("easy", "hard")
"""Where the optimisers are compared on ``optimizer_seeds``: a run at the example's scale costs about six short
runs, and four optimisers on 30 seeds there would take more than the study's whole budget."""
COST = {"scheduled-sampling": 3.0, "rollout": 1.5}
"""Measured cost of a run relative to plain training of the same length (scheduled sampling draws its inputs
step by step; the rollout runs its steps with a graph): only the estimate of the time left uses it."""


@dataclass(frozen=True)
class Group:
    """Runs that share a stage, a regime and a task: each config on its own seed."""

    stage: str
    regime: str
    jobs: tuple[TrainConfig, ...]


def cost(job: TrainConfig, length: int) -> float:
    """Relative cost of one run, for the estimate of the time left."""
    return COST.get(job.method, 1.0) * job.iterations * length * (20 if job.optimizer == "lbfgs" else 1)


SENSITIVITY_REGIMES = ("easy", "hard")
SENSITIVITY_SEEDS = 30
SENSITIVITY_METHODS = ("plain", "weighted", "denoising")
"""The sensitivity stage retrains the article's headline comparisons (its tricks against plain training and
against each other) with twice the iterations, on the first 30 seeds of the 160-step regimes. The other
variants of the sensitivity table (prime length, threshold) are read from the evaluation rows."""


def sensitivity_configs(study: Study, picks: dict[str, tuning.Pick]) -> list[TrainConfig]:
    """The headline methods at their picks with twice the iterations (Adagrad is still improving at 1000)."""
    methods = tuning.tuned_methods(study, picks)
    return [methods[m].replace(iterations=2 * methods[m].iterations) for m in SENSITIVITY_METHODS]


def article_baseline(study: Study) -> TrainConfig:
    """Plain Adagrad at the book's own learning rate and iterations (the article's set-up), kept beside the
    tuned methods as a named baseline."""
    return study.training.replace(method="plain", optimizer="adagrad")


def seed_major(configs: list[TrainConfig], seeds: list[int]) -> tuple[TrainConfig, ...]:
    """Every config on every seed, seed by seed: an interrupted stage leaves whole seeds, which pair."""
    return tuple(c.replace(seed=s) for s in seeds for c in configs)


class Ledger:
    """The campaign's rows file: the rows already there are reused, new rows are saved atomically.

    A row is the same run as a job when its training config, regime and task agree.
    """

    def __init__(self, path: Path, save_every: float) -> None:
        self.path, self.save_every = path, save_every
        self.rows: dict[tuple[str, str, str], dict] = {}
        if path.exists():
            for run in read_rows(path).runs:
                row = {k: v for k, v in run.row.items() if k != "line"}
                self.rows[(row["config"], row["regime"], row["task"])] = row
        self.saved = time.monotonic()
        self.dirty = False

    @staticmethod
    def key(job: TrainConfig, regime: str, task_json: str) -> tuple[str, str, str]:
        return json.dumps(job.to_dict(), sort_keys=True), regime, task_json

    def get(self, key: tuple[str, str, str]) -> dict | None:
        return self.rows.get(key)

    def add(self, row: dict) -> None:
        self.rows[(row["config"], row["regime"], row["task"])] = row
        self.dirty = True
        if time.monotonic() - self.saved >= self.save_every:
            self.save()

    def save(self) -> None:
        if self.dirty and self.rows:
            write_rows(list(self.rows.values()), self.path)
            self.dirty = False
        self.saved = time.monotonic()


class Progress:
    """Runs done of ``total``, how many came from the cache or the rows file and how many were trained, and the
    time left, estimated from the cost (:func:`cost`) trained so far. A bar on a terminal, else a line per
    ``log_every`` seconds."""

    def __init__(self, total: int, total_cost: float, log_every: float, stream=None) -> None:
        stream = sys.stderr if stream is None else stream
        self.total, self.cost_left, self.log_every, self.stream = total, total_cost, log_every, stream
        self.done = self.cached = self.trained = 0
        self.cost_trained = 0.0
        self.start = self.logged = time.monotonic()
        self.bar = tqdm(total=total, file=stream, desc="campaign", disable=not stream.isatty(), mininterval=2)

    def __call__(self, job_cost: float, cached: bool) -> None:
        self.done += 1
        self.cost_left -= job_cost
        if cached:
            self.cached += 1
        else:
            self.trained += 1
            self.cost_trained += job_cost
        self.bar.update(1)
        self.bar.set_postfix(cached=self.cached, trained=self.trained, left=self.left_text(), refresh=False)
        if self.bar.disable and time.monotonic() - self.logged >= self.log_every:
            self.line()

    def left_text(self) -> str:
        if not self.cost_trained:
            return "unknown"
        seconds = (time.monotonic() - self.start) / self.cost_trained * max(self.cost_left, 0.0)
        return _clock(seconds)

    def line(self, note: str = "") -> None:
        elapsed = _clock(time.monotonic() - self.start)
        text = (f"[campaign] {self.done}/{self.total} runs ({self.cached} cached, {self.trained} trained), "
                f"elapsed {elapsed}, about {self.left_text()} left{note}")  # fmt: skip
        if self.bar.disable:
            print(text, file=self.stream, flush=True)
        else:
            self.bar.write(text, file=self.stream)
        self.logged = time.monotonic()

    def close(self) -> None:
        self.bar.close()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Campaign:
    """Runs groups of jobs through the cache and the ledger, reporting progress (see the module docstring)."""

    def __init__(
        self, study: Study, ledger: Ledger, progress: Progress, workers: int, scheduler: str | None, cache_dir: Path
    ) -> None:
        self.study, self.ledger, self.progress = study, ledger, progress
        self.workers, self.scheduler, self.cache_dir = workers, scheduler, cache_dir

    def run(self, group: Group) -> Table:
        """The runs of ``group``, in its order: from the rows file, else from the cache, else trained."""
        task = self.study.task(group.regime)
        task.check_held_out(sorted({j.seed for j in group.jobs}))
        task_json = json.dumps(task.flat(), sort_keys=True)
        eval_hash = tensor_hash(task.test_data())
        found: dict[int, Run] = {}
        for i, job in enumerate(group.jobs):
            row = self.ledger.get(Ledger.key(job, group.regime, task_json))
            if row is not None:
                found[i] = Run(row, *_no_curves())
                self.progress(cost(job, task.length), True)
        todo = [job for i, job in enumerate(group.jobs) if i not in found]
        if todo:

            def report(run: Run, cached: bool) -> None:
                job = TrainConfig.from_dict(json.loads(run.row["config"]))
                self.ledger.add(provenance_row(run.row, task, group.regime, eval_hash) | {"stage": group.stage})
                self.progress(cost(job, task.length), cached)

            table = compare(
                list(todo), None, task, self.workers, self.cache_dir, progress=report, scheduler=self.scheduler
            )
            fresh = iter(table.runs)
            runs = [found[i] if i in found else next(fresh) for i in range(len(group.jobs))]
        else:
            runs = [found[i] for i in range(len(group.jobs))]
        self.progress.line(f" (finished {group.stage} of {group.regime}: {len(group.jobs)} runs)")
        return Table(runs)


def _no_curves() -> tuple:
    import torch

    empty = torch.empty(0)
    return empty, empty.clone(), None


def trained_runs(
    campaign: Campaign, regime: str, seeds: list[int]
) -> Callable[[dict[tuple[str, float], TrainConfig]], dict[tuple[str, float], Table]]:
    """The campaign's ``runs_of`` for :func:`lstm_lib.study.tuning.tune`: train the candidates on the tuning
    seeds (seed by seed, all candidates together) and split the runs by candidate."""

    def runs_of(candidates: dict[tuple[str, float], TrainConfig]) -> dict[tuple[str, float], Table]:
        keys = list(candidates)
        runs = campaign.run(Group("tuning", regime, seed_major([candidates[k] for k in keys], seeds)))
        out: dict[tuple[str, float], Table] = {k: Table() for k in keys}
        for i, run in enumerate(runs.runs):
            out[keys[i % len(keys)]].runs.append(run)
        return out

    return runs_of


def max_rollout(study: Study, regime: str) -> int:
    """The longest rollout that fits a training wave of ``regime`` after the rollout's prefix."""
    return tuning.longest_rollout(study.task(regime).length, study.training.rollout_prefix)


def tune_regime(study: Study, regime: str, runs_of: Callable) -> dict[str, tuning.Pick]:
    """Both tuning steps of one regime, with ``runs_of`` giving the candidates' runs (trained, or read back)."""
    longest = max_rollout(study, regime)
    optimizers = tuning.tune(tuning.optimizer_grid(study), tuning.make_optimizer(study), runs_of, longest)
    lr = optimizers["adagrad"].value
    objectives = tuning.tune(tuning.objective_grid(study, lr), tuning.make_objective(study, lr), runs_of, longest)
    return optimizers | objectives


def plan(study: Study) -> tuple[list[str], int, float]:
    """The tuned regimes, the number of runs in all and their total cost (for the progress report)."""
    tuned = [r for r in dict.fromkeys(TUNED_FROM[r] for r in STUDY_REGIMES)]
    per_tuning = sum(len(getattr(study, tuning.GRIDS[n])) for n in tuning.GRIDS) * len(study.tuning_seeds)
    count, total = 0, 0.0
    lbfgs_steps = max(1, study.iterations // study.training.lbfgs_max_iter)
    for regime in STUDY_REGIMES:
        length = study.task(regime).length
        n_methods = (len(tuning.METHODS) + 1) * len(study.regime_seeds(regime))  # with the article's baseline
        unit = study.iterations * length
        method_cost = (1 + sum(COST.get(m, 1.0) for m in tuning.METHODS)) * unit * len(study.regime_seeds(regime))
        count += n_methods
        total += method_cost
        if regime in tuned:
            count += per_tuning
            total += per_tuning * unit * 1.4  # the grids mix cheap and dear objectives; an estimate only
        if regime in SENSITIVITY_REGIMES:
            n = len(SENSITIVITY_METHODS) * min(SENSITIVITY_SEEDS, len(study.regime_seeds(regime)))
            count += n
            total += 2 * n * unit
        if regime in OPTIMIZER_REGIMES:
            count += 3 * len(study.optimizer_seeds)
            total += 3 * len(study.optimizer_seeds) * max(unit, lbfgs_steps * 20 * length)
    return tuned, count, total


def evaluation_groups(study: Study, picks: dict[str, dict[str, tuning.Pick]]) -> list[Group]:
    """What the campaign runs once tuning has picked: for every regime the objectives at the picks (with the
    article's baseline where the tuned rate differs from the book's), the other optimisers in
    :data:`OPTIMIZER_REGIMES`, then the sensitivity stage; in the order they run."""
    groups = []
    for regime in STUDY_REGIMES:
        chosen = picks[TUNED_FROM[regime]]
        methods = list(tuning.tuned_methods(study, chosen).values())
        if article_baseline(study) not in methods:  # the book's own setting, where the tuned rate differs
            methods.append(article_baseline(study))
        groups.append(Group("evaluation", regime, seed_major(methods, study.regime_seeds(regime))))
        if regime in OPTIMIZER_REGIMES:
            others = [c for name, c in tuning.tuned_optimizers(study, chosen).items() if name != "adagrad"]
            groups.append(Group("evaluation", regime, seed_major(others, list(study.optimizer_seeds))))
    for regime in SENSITIVITY_REGIMES:
        longer = sensitivity_configs(study, picks[TUNED_FROM[regime]])
        groups.append(Group("sensitivity", regime, seed_major(longer, study.regime_seeds(regime)[:SENSITIVITY_SEEDS])))
    return groups


def planned_runs(study: Study, picks: dict[str, dict[str, tuning.Pick]]) -> int:
    """The campaign's exact number of runs once its picks are known (:func:`plan` estimates it before tuning,
    without the values a grid gains past an edge pick): every value tried on every tuning seed, and every
    evaluation group's jobs."""
    tried = sum(len(p.scores) for regime_picks in picks.values() for p in regime_picks.values())
    return tried * len(study.tuning_seeds) + sum(len(g.jobs) for g in evaluation_groups(study, picks))


def run_campaign(
    study: Study,
    out: Path,
    workers: int,
    scheduler: str | None,
    log_every: float,
    save_every: float,
    echo: Callable[[str], None] = print,
    cache_dir: Path = DEFAULT_CACHE,
) -> dict[str, dict[str, tuning.Pick]]:
    """Tune, then evaluate (see the module docstring); returns each tuned regime's picks."""
    tuned, total, total_cost = plan(study)
    ledger = Ledger(out, save_every)
    progress = Progress(total, total_cost, log_every)
    campaign = Campaign(study, ledger, progress, workers, scheduler, cache_dir)
    tuning_seeds = list(study.tuning_seeds)
    picks: dict[str, dict[str, tuning.Pick]] = {}
    finished = False
    try:
        for regime in tuned:
            picks[regime] = tune_regime(study, regime, trained_runs(campaign, regime, tuning_seeds))
            for p in picks[regime].values():
                echo(f"[campaign] {regime}: {p.text()}")
        for group in evaluation_groups(study, picks):
            campaign.run(group)
        finished = True
    finally:
        ledger.save()
        progress.line(" (done)" if finished else " (stopped)")
        progress.close()
    return picks


def article_rows(study: Study, workers: int, scheduler: str | None, cache_dir: Path) -> list[dict]:
    """The article's four methods in the book's regimes (:data:`lstm_lib.settings.REGIMES`) at the study's own
    settings, on each regime's seeds, with provenance: the rows of ``results/full-methods.csv``."""
    from lstm_lib.runs.records import provenance
    from lstm_lib.settings import REGIMES

    rows = []
    for regime in REGIMES:
        task = study.task(regime)
        configs = list(study.methods().values())
        table = compare(configs, study.regime_seeds(regime), task, workers, cache_dir, scheduler=scheduler)
        rows += provenance(table, task, regime)
        print(f"{regime}: {len(table.rows)} runs", flush=True)
    return rows


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def check_run_flags(parser: argparse.ArgumentParser, out: str, workers: int) -> Path:
    """Refuse, before the first run, an ``--out`` that cannot be written, ``--workers`` < 1 and a
    scheduler in ``$LSTM_LIB_SCHEDULER`` that does not answer: each would fail only after hours of runs."""
    if workers < 1:
        parser.error(f"--workers must be an int >= 1, got {workers}")
    try:
        path = check_output_file("--out", out)
    except ValueError as exc:
        parser.error(str(exc))
    if scheduler_from_env():
        try:
            check_scheduler(scheduler_from_env())
        except (ImportError, ConnectionError, ValueError) as exc:
            parser.error(f"{SCHEDULER_ENV}: {exc}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m lstm_lib.study.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="study", choices=PROFILE_NAMES)
    parser.add_argument("--out", default=None, help="rows file to extend (default: results/PROFILE-runs.csv)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-every", type=float, default=180.0, help="seconds between progress lines in a log")
    parser.add_argument("--save-every", type=float, default=60.0, help="seconds between saves of the rows file")
    parser.add_argument("--cache-dir", default=None, help="training cache (default: .cache/experiments)")
    parser.add_argument("--plan", action="store_true", help="print the number of runs and stop")
    parser.add_argument(
        "--article-only", action="store_true",
        help="only the article's four methods in the book's regimes at the profile's own settings, no tuning "
        "(how results/full-methods.csv is made); writes --out afresh",
    )  # fmt: skip
    args = parser.parse_args(argv)
    default = RESULTS / f"{args.profile}-runs.csv"
    out = check_run_flags(parser, default if args.out is None else args.out, args.workers)
    try:
        cache_dir = check_cache_dir(DEFAULT_CACHE if args.cache_dir is None else args.cache_dir)
    except ValueError as exc:
        parser.error(str(exc))
    study = study_for(args.profile)
    if args.article_only:
        rows = article_rows(study, args.workers, scheduler_from_env(), cache_dir)
        write_rows(rows, out)
        print(f"wrote {len(rows)} rows to {out}")
        return 0
    tuned, total, _ = plan(study)
    print(f"[campaign] profile {args.profile}: {total} runs; tuned regimes {tuned}; rows in {out}", flush=True)
    if args.plan:
        return 0
    signal.signal(signal.SIGTERM, _stop)  # `kill` saves the rows done, as an interruption does
    start = time.perf_counter()
    run_campaign(study, out, args.workers, scheduler_from_env(), args.log_every, args.save_every, cache_dir=cache_dir)
    print(f"[campaign] finished in {_clock(time.perf_counter() - start)}; rows in {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
