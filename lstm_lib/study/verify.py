"""Re-check committed results: retrain rows and rebuild the claims table, by one stated rule.

**The rule.** A committed row is retrained from its recorded config, seed and task, and compared
with what it records:

- *same fingerprint* (same torch, MKL, oneDNN, CPU model and capability, switches; see
  :mod:`lstm_lib.runs.fingerprint`): every measured column equals the committed one to
  :data:`SAME_RTOL` relative ("bit-identical" in practice);
- *another fingerprint*: the training and held-out data hash to the recorded values (they are
  made without CPU-dependent arithmetic, so they must), and the measures that do not amplify
  rounding, teacher-forced MSE and the final training loss, agree within the measured tolerances
  of :func:`tolerances`.
  Free-running error amplifies a last-bit difference over hundreds of fed-back steps; it is
  reported, and judged only through the verdicts of the claims table.

**The claims table.** Rebuilt from the cache (or retrained), each comparison must give the same
verdict as the committed one, with its effect inside the committed interval.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from lstm_lib.runs.experiments import compare, tensor_hash
from lstm_lib.runs.fingerprint import describe_difference
from lstm_lib.runs.records import ResultsError, read_rows
from lstm_lib.runs.task import WaveTask
from lstm_lib.training.config import TrainConfig

RESULTS = Path(__file__).resolve().parents[2] / "results"
SAME_RTOL = 1e-12
"""Same fingerprint: the retrained numbers equal the committed ones to this relative difference."""
SPREAD = RESULTS / "tolerance-spread.csv"
TOLERANCE_MARGIN = 10
"""Another fingerprint: a stable measure may move by the largest relative change measured under other
arithmetic (``results/tolerance-spread.csv``, :mod:`lstm_lib.study.tolerance`) in *either* precision,
times this margin, rounded up to two significant digits (:func:`tolerances`). Pooled, because float64
rows moved far less here than float32 ones, yet on another CPU (AVX-512 kernels, which no switch can
select on this machine) a float64 row moved by more than any perturbation available here did."""
STABLE = ("teacher_mse", "final_loss")
"""The measures that do not amplify rounding: judged across fingerprints."""
COMPARED = ("final_loss", "final_mse", "free_mse", "teacher_mse", "horizon", "gflop")
ROW_FILES = ("precision-float64.csv", "full-methods.csv", "study-runs.csv")
DEFAULT_ROWS = (
    ("precision-float64.csv", "plain", 3, "easy"),
    ("precision-float64.csv", "denoising", 11, "easy"),
    ("full-methods.csv", "weighted", 5, "easy"),
    ("full-methods.csv", "weighted+denoising", 2, "hard"),
)
"""The fixed rows ``verify`` retrains by default (file, method, seed, regime): both precisions, four methods,
both regimes; chosen once, never by the date or at random."""


@dataclass(frozen=True)
class RowCheck:
    """One committed row against its retraining."""

    where: str
    what: str
    same_fingerprint: bool
    outcome: str  # "bit-identical", "within tolerance", "differs"
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome != "differs"

    def line(self) -> str:
        fp = "same fingerprint" if self.same_fingerprint else "other fingerprint"
        return f"{self.where:<28} {self.what:<44} {fp:<17} {self.outcome:<16} {self.detail}"


def relative(a: float, b: float) -> float:
    """|a - b| / |b|; 0 for equal values (NaN equal to NaN), inf when only one is finite."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / abs(b) if b else math.inf


def judge(old: dict, new: dict, data_match: dict[str, bool]) -> tuple[bool, str, str]:
    """``(same fingerprint, outcome, detail)`` of a committed row ``old`` against its retraining ``new``."""
    same = old.get("fingerprint") == new.get("fingerprint")
    bad_data = [what for what, ok in data_match.items() if not ok]
    if bad_data:
        return same, "differs", f"{' and '.join(bad_data)} hash differently than recorded"
    if old["diverged"] or new["diverged"]:
        agree = old["diverged"] == new["diverged"] and (not same or old["diverged_at"] == new["diverged_at"])
        detail = f"diverged: committed {old['diverged']} at {old['diverged_at']}, now {new['diverged']}"
        return same, ("bit-identical" if same else "within tolerance") if agree else "differs", detail
    if same:
        worst = max(COMPARED, key=lambda c: relative(new[c], old[c]))
        gap = relative(new[worst], old[worst])
        outcome = "bit-identical" if gap == 0 else "within tolerance" if gap <= SAME_RTOL else "differs"
        return same, outcome, f"largest relative difference {gap:.1e} ({worst})"
    tolerance = tolerances()
    gaps = {c: relative(new[c], old[c]) for c in STABLE}
    inside = all(gaps[c] <= tolerance[c] for c in STABLE)
    detail = ", ".join(f"{c} {gaps[c]:.1e} (tol {tolerance[c]:g})" for c in STABLE)
    detail += f"; free_mse {relative(new['free_mse'], old['free_mse']):.1e} (not judged)"
    return same, "within tolerance" if inside else "differs", detail


def round_up(value: float, digits: int = 2) -> float:
    """``value`` rounded up to ``digits`` significant digits (0.0102 -> 0.011)."""
    if value <= 0 or not math.isfinite(value):
        return value
    scale = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return math.ceil(value / scale - 1e-9) * scale


def tolerances(path: Path = SPREAD) -> dict[str, float]:
    """``measure -> tolerance`` for rows of another fingerprint, from the measured spread (see
    :data:`TOLERANCE_MARGIN`); a spread file without rows of both precisions is an error."""
    found: dict[str, float] = {}
    dtypes = set()
    for row in read_spread(path):
        dtypes.add(row.get("dtype", ""))
        for measure in STABLE:
            try:
                value = float(row[measure])
            except (KeyError, ValueError):
                raise ResultsError(f"{path}: {measure} must be a number in every row") from None
            found[measure] = max(found.get(measure, 0.0), value)
    if not {"float32", "float64"} <= dtypes:
        raise ResultsError(f"{path}: the spread must cover float32 and float64 rows, got {sorted(dtypes)}")
    return {m: round_up(v * TOLERANCE_MARGIN) for m, v in found.items()}


def load_rows(paths: list[Path]) -> list[tuple[Path, dict]]:
    """Every committed row of ``paths``; a missing or damaged file is a :class:`ResultsError`."""
    return [(path, row) for path in paths for row in read_rows(path).rows]


def select(rows: list[tuple[Path, dict]], n: int | None) -> list[tuple[Path, dict]]:
    """The default rows first (:data:`DEFAULT_ROWS`), then every k-th other row to make ``n``; all if ``n`` is None."""
    if n is None:
        return rows
    default = []
    for name, method, seed, regime in DEFAULT_ROWS:
        for path, row in rows:
            if (path.name, row["method"], row["seed"], row.get("regime")) == (name, method, seed, regime):
                default.append((path, row))
                break
    chosen = default[:n]
    rest = [r for r in rows if r not in chosen]
    if n > len(chosen) and rest:
        step = max(1, len(rest) // (n - len(chosen)))
        chosen += rest[::step][: n - len(chosen)]
    return chosen


def retrain(
    selected: list[tuple[Path, dict]], workers: int = 2, executor=None, progress: bool = True
) -> list[tuple[tuple[Path, dict], dict]]:
    """Each selected row with its retrained row, through :func:`~lstm_lib.runs.experiments.compare` (no cache)."""
    by_task: dict[str, list[tuple[Path, dict]]] = {}
    for path, row in selected:
        if not row.get("task"):
            raise ResultsError(f"{path}:{row['line']}: the row records no task; it cannot be retrained")
        by_task.setdefault(row["task"], []).append((path, row))
    out = []
    for task_json, group in by_task.items():
        jobs = [TrainConfig.from_dict(json.loads(row["config"])) for _, row in group]
        task = task_of(task_json)
        fresh = compare(jobs, None, task, workers=workers, cache_dir=None, progress=progress, executor=executor)
        out += list(zip(group, fresh.rows, strict=True))
    return out


def task_of(task_json: str) -> WaveTask:
    """The task a row records (JSON of a :class:`~lstm_lib.runs.task.WaveTask`)."""
    values = json.loads(task_json)
    return WaveTask.make(**{**values, "prime_lengths": tuple(values["prime_lengths"])})


def verify_rows(
    selected: list[tuple[Path, dict]], workers: int = 2, executor=None, progress: bool = True
) -> list[RowCheck]:
    """Retrain each selected row and judge it by the rule (see the module docstring)."""
    checks, eval_hashes = [], {}
    for (path, old), new in retrain(selected, workers, executor, progress):
        task = task_of(old["task"])
        if old["task"] not in eval_hashes:  # the held-out data are shared by every row of a task
            eval_hashes[old["task"]] = tensor_hash(task.test_data())
        data_match = {
            "training data": old["data_hash"] == tensor_hash(task.train_data(old["seed"])),
            "held-out data": old["eval_hash"] == eval_hashes[old["task"]],
        }
        same, outcome, detail = judge(old, new, data_match)
        if not same:
            detail += f" [{describe_difference(old.get('fingerprint', ''), new['fingerprint'])}]"
        what = f"{old['label']}, seed {old['seed']}, {old['dtype']}, {old.get('regime', '')}"
        checks.append(RowCheck(f"{path.name}:{old['line']}", what, same, outcome, detail))
    return checks


def read_spread(path: Path) -> list[dict]:
    """The measured spread (``results/tolerance-spread.csv``), for chapter 7's table."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ResultsError(f"spread file {path} cannot be read ({exc.strerror or exc})") from None
    if not rows:
        raise ResultsError(f"{path}: no rows")
    return rows


@dataclass(frozen=True)
class ClaimCheck:
    """One comparison of the claims table: committed against rebuilt."""

    key: str
    committed: dict
    rebuilt: dict | None

    @property
    def ok(self) -> bool:
        r, c = self.rebuilt, self.committed
        if r is None or r["verdict"] != c["verdict"]:
            return False
        if not math.isfinite(c["effect"]):
            return True
        return c["low"] <= r["effect"] <= c["high"]

    def line(self) -> str:
        c, r = self.committed, self.rebuilt
        if r is None:
            return f"{self.key:<60} missing from the rebuilt table"
        effect = f"effect {r['effect']:.3g} in [{c['low']:.3g}, {c['high']:.3g}]" if math.isfinite(c["effect"]) else ""
        state = "agrees" if self.ok else "DIFFERS"
        return f"{self.key:<60} {state:<8} verdict {c['verdict']!r} -> {r['verdict']!r} {effect}"


def claim_key(row: dict) -> str:
    return f"{row['regime']}: {row['comparison']}"


def read_claims(path: Path) -> list[dict]:
    """A committed claims table (``results/claims-*.csv``); missing or damaged is a :class:`ResultsError`."""
    import csv
    import io

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultsError(f"claims file {path} cannot be read ({exc.strerror or exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    for raw in reader:
        if None in raw or any(v is None for v in raw.values()):
            raise ResultsError(f"{path}:{reader.line_num}: a cut or damaged line")
        try:
            row = {**raw, **{k: float(raw[k]) for k in ("effect", "low", "high")}}
        except (KeyError, ValueError):
            raise ResultsError(f"{path}:{reader.line_num}: effect, low and high must be numbers") from None
        rows.append(row)
    if not rows:
        raise ResultsError(f"{path}: no rows")
    return rows


def compare_claims(committed: list[dict], rebuilt: list[dict]) -> list[ClaimCheck]:
    """Each committed comparison against the rebuilt one with the same regime and comparison."""
    fresh = {claim_key(r): r for r in rebuilt}
    return [ClaimCheck(claim_key(c), c, fresh.get(claim_key(c))) for c in committed]


def default_row_files() -> list[Path]:
    return [RESULTS / name for name in ROW_FILES]


@dataclass(frozen=True)
class Agreement:
    """How far two claims tables agree: verdicts, effects inside the committed intervals, largest effect shift."""

    compared: int
    same_verdict: int
    inside: int
    largest_shift: float
    rows: list[dict]


def agreement(committed: list[dict], other: list[dict]) -> Agreement:
    """``other`` (a rebuild under other arithmetic) against ``committed``, comparison by comparison."""
    rows, same, inside, shifts = [], 0, 0, []
    for check in compare_claims(committed, other):
        c, r = check.committed, check.rebuilt
        if r is None:
            continue
        finite = math.isfinite(c["effect"]) and math.isfinite(r["effect"]) and c["effect"] > 0 and r["effect"] > 0
        shift = max(r["effect"] / c["effect"], c["effect"] / r["effect"]) if finite else math.nan
        within = c["low"] <= r["effect"] <= c["high"] if finite else True
        same += c["verdict"] == r["verdict"]
        inside += within
        if finite:
            shifts.append(shift)
        rows.append({"comparison": check.key, "committed": f"{c['verdict']} ×{c['effect']:.2g} [{c['low']:.2g}, "
                     f"{c['high']:.2g}]" if finite else c["verdict"], "rebuilt": f"{r['verdict']} ×{r['effect']:.2g}"
                     if finite else r["verdict"], "same verdict": "yes" if c["verdict"] == r["verdict"] else "no",
                     "effect moved": f"×{shift:.2f}" if finite else ""})  # fmt: skip
    return Agreement(len(rows), same, inside, max(shifts, default=math.nan), rows)


def switches_of(fingerprint: str) -> str:
    """The arithmetic switches a fingerprint records as set, e.g. ``MKL_CBWR=COMPATIBLE``; ``none`` if none."""
    from lstm_lib.runs.fingerprint import SWITCHES

    try:
        values = json.loads(fingerprint)
    except (TypeError, ValueError):
        return "an unrecorded arithmetic"
    return " ".join(f"{k}={values[k]}" for k in SWITCHES if values.get(k)) or "none"
