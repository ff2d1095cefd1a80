"""Command-line interface: ``python -m lstm_lib {train,generate,compare,book} ...``.

This module only maps flags to the library's objects (``TrainConfig``, ``WaveTask``) and
reports; training, generation and comparison are the library's. Any bad value exits with
status 2 and one line on stderr that names the flag, before any work starts.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstm_lib.book import runner as book
from lstm_lib.fields import Rule
from lstm_lib.runs.task import WaveTask
from lstm_lib.training.config import ARTICLE_METHODS, METHODS, TrainConfig
from lstm_lib.validation import (
    MAX_MESSAGE,
    Parser,
    SettingError,
    check_input_file,
    check_output_file,
    check_seed,
    excerpt,
    load_yaml,
    shorten,
)

PROG = "python -m lstm_lib"
TASK = WaveTask()


class UsageError(Exception):
    """A bad command-line value: ``flag`` names it, the message says what is allowed."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{flag}: {message}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


NONE = object()
"""``--clip none``, ``--line-search none``: no value, even if ``--config`` sets one (``None`` means not given)."""


def _optional(convert: Callable[[str], Any] | None) -> Callable[[str], Any]:
    """A flag's converter that also takes ``none``."""

    def parse(text: str) -> Any:
        if text.strip().lower() == "none":
            return NONE
        try:
            return convert(text) if convert else text
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number or 'none', got {excerpt(text)}") from None

    return parse


def _build(cls: type, values: dict[str, Any], source: dict[str, str] | None = None) -> Any:
    """``cls.make(**values)``, turning its :class:`SettingError` into a :class:`UsageError` naming the flag
    (or the ``--config`` line) that gave the value: the error carries the field's name."""
    try:
        return cls.make(**values)
    except SettingError as exc:
        rules = cls.rules()
        origin = (source or {}).get(exc.field) or (_flag(exc.field, rules[exc.field]) if exc.field in rules else "")
        raise UsageError(origin or "error", str(exc)) from None


def _flag(name: str, rule: Rule) -> str:
    return rule.flag or "--" + name.replace("_", "-")


def _help(rule: Rule, default: object) -> str:
    shown = "none" if default is None else " ".join(map(str, default)) if isinstance(default, tuple) else default
    return f"{rule.help}: {rule.describe()} (default: {shown})"


def _add_flags(
    group: argparse._ArgumentGroup, cls: type, names: list[str], dest: str = "", defaults: bool = False
) -> None:
    """One flag per setting of ``cls`` in ``names``: help, type and choices come from the setting's rule."""
    rules, example = cls.rules(), cls()
    for name in names:
        rule, default = rules[name], getattr(example, name)
        kwargs: dict[str, Any] = {"default": default if defaults else None, "dest": dest + name}
        kwargs["help"] = _help(rule, default)
        if rule.kind == "choice":
            named = tuple(c for c in rule.choices if c is not None)
            kwargs["choices"] = named if not rule.optional else (*named, "none")
        elif rule.optional:
            kwargs["type"], kwargs["metavar"] = _optional(rule.argparse_type()), name.upper()
        else:
            kwargs["type"], kwargs["metavar"] = rule.argparse_type(), name.upper()
        if rule.many:
            kwargs["nargs"] = "+"
        group.add_argument(_flag(name, rule), **kwargs)


# ---------------------------------------------------------------- configs and data from flags


def _add_config_flags(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    group = parser.add_argument_group("training (one flag per TrainConfig field; flags override --config)")
    group.add_argument("--config", metavar="FILE.yaml", help="YAML mapping of TrainConfig fields; unknown keys fail")
    _add_flags(group, TrainConfig, [n for n in TrainConfig.names() if n not in skip], dest="cfg_")


def config_from_args(args: argparse.Namespace, **fixed: Any) -> TrainConfig:
    """The TrainConfig of ``--config FILE`` overridden by the flags given (then ``fixed``)."""
    values: dict[str, Any] = {}
    source: dict[str, str] = {}
    if args.config is not None:
        path = Path(args.config)
        try:
            loaded = load_yaml(path, "--config")
        except ValueError as exc:
            raise UsageError("--config", str(exc).removeprefix("--config: ")) from None
        loaded = {} if loaded is None else loaded
        if not isinstance(loaded, dict):
            raise UsageError(
                "--config", f"{path} must hold a mapping of TrainConfig fields, got {type(loaded).__name__}"
            )
        unknown = sorted(set(map(str, loaded)) - set(TrainConfig.names()))
        if unknown:
            raise UsageError(
                "--config", f"unknown TrainConfig field(s) {unknown} in {path}; allowed: {TrainConfig.names()}"
            )
        values.update(loaded)
        source.update({k: f"--config {path} ({k})" for k in loaded})
    for name, rule in TrainConfig.rules().items():
        value = getattr(args, f"cfg_{name}", None)
        if value is not None:
            values[name] = None if value is NONE or (rule.optional and value == "none") else value
            source[name] = _flag(name, rule)
    values.update(fixed)
    return _build(TrainConfig, values, source)


TRAIN_DATA = ["n_train", "length", "period", "spread"]
EVAL_DATA = ["n_test", "prime_lengths", "horizon", "threshold"]


def _add_data_flags(parser: argparse.ArgumentParser, evaluation: bool = False) -> None:
    group = parser.add_argument_group("data (lstm_lib.runs.task.WaveTask)")
    _add_flags(group, WaveTask, TRAIN_DATA + (EVAL_DATA if evaluation else []), defaults=True)
    if not evaluation:
        group.add_argument(
            "--data-seed", type=int, default=0, help="seed of the training waves (compare uses each run's seed)"
        )


def task_from_args(args: argparse.Namespace) -> WaveTask:
    names = [n for n in TRAIN_DATA + EVAL_DATA if hasattr(args, n)]
    return _build(WaveTask, {n: getattr(args, n) for n in names})


# ---------------------------------------------------------------- subcommands


def _output(flag: str, value: str) -> None:
    """An output path is checked before any work: a folder or an unwritable place fails at once."""
    try:
        check_output_file(flag, value)
    except ValueError as exc:
        raise UsageError(flag, str(exc).removeprefix(f"{flag}: ")) from None


def _check_memory(config: TrainConfig, task: WaveTask) -> None:
    """A network too big for this machine is refused before anything is allocated."""
    try:
        config.check_memory(task.n_train, task.length)
    except ValueError as exc:
        raise UsageError("--n-hidden", f"{exc}: give a smaller --n-hidden") from None


MAX_GENERATED = 1_000_000
"""The most values ``generate`` draws (``--n-waves`` x ``--steps``): its CSV holds one row per value."""


def _train(args: argparse.Namespace) -> int:
    from lstm_lib.training.checkpoint import save
    from lstm_lib.training.train import TrainingDiverged, train

    config = config_from_args(args)
    task = task_from_args(args)
    try:
        check_seed("data_seed", args.data_seed)
    except ValueError as exc:
        raise UsageError("--data-seed", str(exc)) from None
    _check_memory(config, task)
    if args.out is not None:
        _output("--out", args.out)
    start = time.perf_counter()
    try:
        result = train(config, task.train_data(args.data_seed), progress=not args.quiet)
    except TrainingDiverged as exc:
        print(f"{PROG} train: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    if args.out is not None:
        save(result, args.out)
    print(f"config: {config.label()}, {config.iterations} iterations, lr {config.lr:g}, seed {config.seed}")
    print(f"final loss (training objective): {result.history[-1].item():.6g}")
    print(f"final mse (clean, teacher-forced): {result.final_mse:.6g}")
    print(f"seconds: {seconds:.2f}")
    if args.out is not None:
        print(f"checkpoint: {args.out}")
    return 0


def generation_rows(generated, truth, prime_length: int) -> list[dict]:
    """One CSV row per wave and generated step; ``step`` is the time step along the wave."""
    rows = []
    for k in range(generated.shape[0]):
        for j in range(generated.shape[1]):
            rows.append(
                {
                    "wave": k,
                    "step": prime_length + j,
                    "generated": repr(float(generated[k, j, 0])),
                    "truth": repr(float(truth[k, j, 0])),
                }
            )
    return rows


def _generate(args: argparse.Namespace) -> int:
    import torch

    from lstm_lib.figures.style import plot_generation, save_png, use_style
    from lstm_lib.files import atomic_write
    from lstm_lib.model.data import wave_band
    from lstm_lib.model.network import generate
    from lstm_lib.training.checkpoint import load

    for flag, value in (("--steps", args.steps), ("--prime-length", args.prime_length), ("--n-waves", args.n_waves)):
        if value < 1:
            raise UsageError(flag, f"{flag[2:].replace('-', '_')} must be an int >= 1, got {value}")
    if args.n_waves * (args.prime_length + args.steps) > MAX_GENERATED:
        raise UsageError(
            "--steps", f"n_waves * (prime_length + steps) must be at most {MAX_GENERATED}, got {args.steps} steps"
        )
    try:
        waves = wave_band(args.n_waves, args.prime_length + args.steps, args.period, TASK.spread, args.seed)
    except SettingError as exc:
        raise UsageError("--seed" if exc.field == "seed" else "--period", str(exc)) from None
    try:
        check_input_file("--checkpoint", args.checkpoint)
    except ValueError as exc:
        raise UsageError("--checkpoint", str(exc).removeprefix("--checkpoint: ")) from None
    for flag, value in (("--out-csv", args.out_csv), ("--out-png", args.out_png)):
        if value is not None:
            _output(flag, value)
    try:
        result = load(args.checkpoint)
    except FileNotFoundError:
        raise UsageError("--checkpoint", f"no such file: {args.checkpoint}") from None
    except ValueError as exc:
        raise UsageError("--checkpoint", str(exc)) from None
    prime, truth = waves[:, : args.prime_length], waves[:, args.prime_length :]
    with torch.no_grad():
        generated = generate(result.W, result.spec, prime, args.steps, result.config.backend)
    mse = (generated - truth).square().mean().item()
    if args.out_csv is not None:
        rows = generation_rows(generated, truth, args.prime_length)

        def write_csv(tmp: str) -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=["wave", "step", "generated", "truth"])
                writer.writeheader()
                writer.writerows(rows)

        atomic_write(args.out_csv, write_csv)
    if args.out_png is not None:
        import matplotlib.pyplot as plt

        use_style()
        fig = plot_generation(prime, generated, truth, title=f"{result.config.label()}: {args.steps} generated steps")
        save_png(fig, args.out_png)
        plt.close(fig)
    print(f"generated {args.steps} steps for {args.n_waves} wave(s) after a {args.prime_length}-step prime")
    print(f"mean squared error against the true continuation: {mse:.6g}")
    for name in ("out_csv", "out_png"):
        if getattr(args, name):
            print(f"wrote {getattr(args, name)}")
    return 0


def format_summary(summary: list[dict], columns: tuple[str, ...]) -> str:
    """A plain-text table: per config, the mean over seeds and its 95% interval in brackets."""
    from lstm_lib.figures.tables import summary_rows

    header = ["config", "seeds", "diverged", *[f"{c} mean [95% interval]" for c in columns]]
    rows = summary_rows(summary, "label", columns, fmt=".4g")
    body = [[str(row[key]) for key in ("label", "seeds", "diverged", *columns)] for row in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _compare_out(text: str | None) -> Path | None:
    """``--out`` checked before any training: a file path in a writable folder (written atomically)."""
    if text is None:
        return None
    _output("--out", text)
    return Path(text)


def _compare(args: argparse.Namespace) -> int:
    from lstm_lib.runs.cluster import SCHEDULER_ENV, dask_executor, scheduler_from_env
    from lstm_lib.runs.experiments import DEFAULT_CACHE, check_cache_dir, compare

    seeds = list(dict.fromkeys(args.seeds))
    for seed in seeds:
        if seed < 0 or seed >= 2**63:
            raise UsageError("--seeds", f"seeds must be ints in [0, 2**63), got {seed}")
    if args.workers < 1:
        raise UsageError("--workers", f"workers must be an int >= 1, got {args.workers}")
    out = _compare_out(args.out)
    if args.scheduler is not None and not args.scheduler.strip():
        raise UsageError("--scheduler", "give a Dask scheduler address such as tcp://host:8786")
    configs = [config_from_args(args, method=m) for m in dict.fromkeys(args.methods)]
    task = task_from_args(args)
    for config in configs:
        _check_memory(config, task)
    cache = None if args.no_cache else (DEFAULT_CACHE if args.cache_dir is None else args.cache_dir)
    if cache is not None:
        try:
            check_cache_dir(cache)
        except ValueError as exc:
            raise UsageError("--cache-dir", str(exc)) from None
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        executor = None
        scheduler, origin = (args.scheduler, "--scheduler") if args.scheduler else (scheduler_from_env(), SCHEDULER_ENV)
        if scheduler:
            try:
                executor = stack.enter_context(dask_executor(scheduler))
            except (ImportError, ConnectionError, ValueError) as exc:
                raise UsageError(origin, str(exc)) from None
        table = compare(
            configs,
            seeds,
            task,
            workers=args.workers,
            cache_dir=cache,
            progress=not args.quiet,
            executor=executor,
        )
    seconds = time.perf_counter() - start
    if out is not None:
        from lstm_lib.runs.records import write_rows

        write_rows(table.rows, out)
    base = configs[0]
    print(
        f"{len(configs)} method(s) x {len(seeds)} seed(s), {base.optimizer}, {base.iterations} iterations, "
        f"lr {base.lr:g}; free-running: primes {task.prime_lengths}, horizon {task.horizon} steps, "
        f"threshold {task.threshold:g}"
    )
    from lstm_lib.runs.row import COMPARE

    print(format_summary(table.summary(columns=COMPARE), COMPARE))
    print(f"seconds: {seconds:.2f}")
    if out is not None:
        print(f"wrote {out}")
    return 0


def _book(args: argparse.Namespace) -> int:
    from lstm_lib.runs.cluster import SCHEDULER_ENV, check_scheduler, scheduler_from_env

    if args.scheduler is not None and not args.scheduler.strip():
        raise UsageError("--scheduler", "give a Dask scheduler address such as tcp://host:8786")
    origin = "--scheduler" if args.scheduler is not None else SCHEDULER_ENV
    scheduler = args.scheduler.strip() if args.scheduler is not None else scheduler_from_env()
    try:
        if scheduler and not args.no_execute:
            check_scheduler(scheduler)
    except (ImportError, ConnectionError, ValueError) as exc:
        raise UsageError(origin, str(exc)) from None
    try:
        if not args.no_execute:  # the scheduler reaches the chapters as their scheduler setting
            book.execute(args.profile, only=args.chapter or None, force=args.force, scheduler=scheduler)
        if not args.no_build:
            book.build()
    except book.BookError as exc:  # bad input (a flag, a profile) exits 2, a failed chapter or build 1
        print(f"{PROG} book: error: {shorten(str(exc), MAX_MESSAGE)}", file=sys.stderr)
        return 2 if isinstance(exc, book.BookInputError) else 1
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Retrain committed rows and/or rebuild the claims table, and judge them by the re-check rule."""
    from lstm_lib.runs.cluster import SCHEDULER_ENV, dask_executor, scheduler_from_env
    from lstm_lib.runs.fingerprint import fingerprint_text
    from lstm_lib.runs.records import ResultsError
    from lstm_lib.study import verify

    if args.workers < 1:
        raise UsageError("--workers", f"workers must be an int >= 1, got {args.workers}")
    if args.rows is not None and args.rows < 1:
        raise UsageError("--rows", f"rows must be an int >= 1, got {args.rows}")
    out = _compare_out(args.out)
    do_rows = args.all or args.rows is not None or not args.claims
    print(f"this machine: {fingerprint_text(threads=1)}")
    failures = 0
    with contextlib.ExitStack() as stack:
        executor = None
        scheduler, origin = (args.scheduler, "--scheduler") if args.scheduler else (scheduler_from_env(), SCHEDULER_ENV)
        if scheduler:  # checked before any training, like compare's
            try:
                executor = stack.enter_context(dask_executor(scheduler))
            except (ImportError, ConnectionError, ValueError) as exc:
                raise UsageError(origin, str(exc)) from None
        try:
            if do_rows:
                rows = verify.load_rows([Path(f) for f in args.files] if args.files else verify.default_row_files())
                chosen = verify.select(rows, None if args.all else (args.rows or len(verify.DEFAULT_ROWS)))
                print(f"retraining {len(chosen)} of {len(rows)} committed rows ({args.workers} worker(s))")
                checks = verify.verify_rows(chosen, args.workers, executor, progress=not args.quiet)
                for check in checks:
                    print(check.line())
                counts = {o: sum(c.outcome == o for c in checks) for o in ("bit-identical", "within tolerance")}
                bad = sum(not c.ok for c in checks)
                print(f"rows: {len(checks)} checked, {counts['bit-identical']} bit-identical, "
                      f"{counts['within tolerance']} within tolerance, {bad} differ")  # fmt: skip
                failures += bad
            if args.claims:
                failures += _verify_claims(args, executor, out)
        except ResultsError as exc:
            raise UsageError("--files" if do_rows and not args.claims else "--against", str(exc)) from None
    return 1 if failures else 0


def _verify_claims(args: argparse.Namespace, executor: Any, out: Path | None) -> int:
    """Rebuild the claims table of ``--profile`` and compare it with the committed one; the count that differ."""
    from lstm_lib.runs.fingerprint import fingerprint_text
    from lstm_lib.runs.records import write_rows
    from lstm_lib.settings import study_for
    from lstm_lib.study import claims, verify

    against = Path(args.against) if args.against else verify.RESULTS / f"claims-{args.profile}.csv"
    committed = verify.read_claims(against)
    study = study_for(args.profile, workers=args.workers)
    measured = claims.measure(study, cache_dir=args.cache_dir, executor=executor, progress=not args.quiet)
    rebuilt = claims.claim_records(measured.table)
    if out is not None:
        stamp = {"profile": args.profile, "fingerprint": fingerprint_text(threads=1)}
        write_rows([{**r, **stamp} for r in rebuilt], out)
        print(f"wrote {out}")
    checks = verify.compare_claims(committed, rebuilt)
    for check in checks:
        print(check.line())
    bad = sum(not c.ok for c in checks)
    print(f"claims: {len(checks)} compared with {against.name}, {len(checks) - bad} agree, {bad} differ")
    return bad


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Predict time sequences with an LSTM (Z.H. Fu, 2016).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,generate,compare,book,verify}")

    p = sub.add_parser("train", help="train one model on sine waves and save a checkpoint")
    _add_config_flags(p)
    _add_data_flags(p)
    p.add_argument("--out", metavar="PATH", help="write the trained model here (lstm_lib.save, atomic)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    p = sub.add_parser("generate", help="prime a saved model on sine waves and let it draw the continuation")
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint written by `train --out`")
    p.add_argument(
        "--steps", type=int, default=TASK.horizon, help=f"steps to generate after the prime (default: {TASK.horizon})"
    )
    p.add_argument(
        "--prime-length",
        type=int,
        default=TASK.prime_lengths[-1],
        help=f"true steps read before generating (default: {TASK.prime_lengths[-1]})",
    )
    _add_flags(p.add_argument_group("waves"), WaveTask, ["period"], defaults=True)
    p.add_argument(
        "--seed",
        type=int,
        default=TASK.test_seed,
        help=f"seed of the waves' time scales and phases (default: {TASK.test_seed}, the book's held-out waves)",
    )
    p.add_argument("--n-waves", type=int, default=3, help="how many waves (default: 3)")
    p.add_argument("--out-csv", metavar="FILE", help="write columns wave, step (time step), generated, truth (atomic)")
    p.add_argument("--out-png", metavar="FILE", help="write a plot of prime, truth and generated values (atomic)")
    p.set_defaults(func=_generate)

    p = sub.add_parser("compare", help="train methods over seeds and print means with 95%% intervals")
    p.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(ARTICLE_METHODS),
        help=f"methods to compare, of {', '.join(METHODS)} (default: the article's {', '.join(ARTICLE_METHODS)})",
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds per method (default: 0 1 2)")
    _add_config_flags(p, skip=("method", "seed"))
    _add_data_flags(p, evaluation=True)
    p.add_argument("--workers", type=int, default=1, help="worker processes, one torch thread each (default: 1)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="train on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) instead of --workers "
        "local processes; needs the cluster extra. Results and cache stay on this machine",
    )
    p.add_argument(
        "--out", metavar="FILE.csv", help="write one row per method and seed (method, seed, final_mse, ...; atomic)"
    )
    p.add_argument("--cache-dir", metavar="DIR", help="result cache (default: .cache/experiments)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_compare)

    p = sub.add_parser("book", help="execute every chapter with papermill, then build the HTML book")
    p.add_argument("--profile", choices=book.PROFILES, default="full", help="parameter profile (default: full)")
    p.add_argument("--chapter", action="append", help="execute only this chapter (stem; repeatable)")
    p.add_argument("--no-execute", action="store_true", help="only build from the executed notebooks")
    p.add_argument("--no-build", action="store_true", help="only execute the chapters")
    p.add_argument(
        "--force", action="store_true", help="re-execute chapters even when nothing they depend on has changed"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the chapters' multi-seed studies on this Dask scheduler (passed to them as their scheduler setting)",
    )
    p.set_defaults(func=_book)

    p = sub.add_parser("verify", help="retrain committed rows and rebuild the claims table: do they reproduce here?")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--rows", type=int, help="retrain this many committed rows (default: the 4 fixed ones)")
    which.add_argument("--all", action="store_true", help="retrain every committed row (hours)")
    p.add_argument("--files", nargs="+", metavar="CSV", help="row files (default: results/precision-float64.csv,"
                   " results/full-methods.csv and results/study-runs.csv)")  # fmt: skip
    p.add_argument("--claims", action="store_true", help="rebuild the claims table from the cache (or retrain)")
    p.add_argument(
        "--profile", choices=("full", "study", "quick"), default="full", help="profile of --claims (default: full)"
    )
    p.add_argument("--against", metavar="CSV", help="committed claims (default: results/claims-PROFILE.csv)")
    p.add_argument("--out", metavar="FILE.csv", help="write the rebuilt claims table here (atomic)")
    p.add_argument("--cache-dir", metavar="DIR", help="training cache for --claims (default: .cache/experiments)")
    p.add_argument("--workers", type=int, default=2, help="worker processes, one torch thread each (default: 2)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="train on this Dask scheduler instead of --workers")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        parser.exit(2, f"{PROG} {args.command}: error: {shorten(str(exc), MAX_MESSAGE)}\n")
