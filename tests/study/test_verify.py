"""Re-checking committed results: strict reading of result files, the re-check rule, and `verify`.

A tiny study is trained once per module and written as a committed results file would be; each
test then damages, tampers with or re-labels a copy and checks what ``read_rows``, the rule and
the ``verify`` command make of it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from lstm_lib import cli
from lstm_lib.runs import records
from lstm_lib.runs.experiments import compare
from lstm_lib.runs.fingerprint import fingerprint_text
from lstm_lib.runs.records import ResultsError, committed_each, committed_runs, provenance, read_rows, write_rows
from lstm_lib.runs.task import WaveTask
from lstm_lib.study import claims, verify
from lstm_lib.training.config import TrainConfig

TOLERANCE = 1e-3


@pytest.fixture(autouse=True)
def known_tolerances(monkeypatch):
    """The rule's tolerances come from results/tolerance-spread.csv; here, a known value for both precisions."""
    fixed = dict.fromkeys(verify.STABLE, TOLERANCE)
    monkeypatch.setattr(verify, "tolerances", lambda path=None: fixed)


TASK = WaveTask.make(n_train=2, length=24, n_test=2, prime_lengths=(6,), horizon=12)
CONFIGS = [TrainConfig(iterations=8, n_hidden=6), TrainConfig(method="denoising", iterations=8, n_hidden=6)]
SEEDS = [1, 2]


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    table = compare(CONFIGS, SEEDS, TASK, workers=1, cache_dir=None)
    path = tmp_path_factory.mktemp("results") / "rows.csv"
    write_rows(provenance(table, TASK, "easy"), path)
    return path


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(path.read_text()))
    return list(reader.fieldnames), list(reader)


def _write(rows: list[dict], fields: list[str], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return path


def _edited(committed: Path, tmp_path: Path, index: int = 0, **changes: str) -> Path:
    fields, rows = _rows(committed)
    rows[index].update(changes)
    return _write(rows, fields, tmp_path / "rows.csv")


# ---------------------------------------------------------------- reading committed rows strictly


def test_rows_read_back_with_their_provenance(committed):
    table = read_rows(committed)
    assert len(table.rows) == len(CONFIGS) * len(SEEDS)
    row = table.rows[0]
    assert json.loads(row["fingerprint"]) == json.loads(fingerprint_text(threads=1))
    assert json.loads(row["task"])["n_train"] == TASK.n_train and row["line"] == 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ResultsError, match="is missing"):
        read_rows(tmp_path / "nope.csv")


def test_row_cut_mid_line_names_file_and_line(committed, tmp_path):
    lines = committed.read_text().splitlines()
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[:2] + [lines[2][: len(lines[2]) // 3]]) + "\n")
    with pytest.raises(ResultsError, match=r"cut.csv:\d+: .*cut or damaged"):
        read_rows(cut)


@pytest.mark.parametrize(("column", "value", "message"), [
    ("seed", "5.0", "seed must be an integer"),
    ("method", "=1+1", "method is '=1\\+1' but the row's config says"),
    ("free_mse", "nan", "free_mse is nan in a finished run"),
    ("diverged", "maybe", "diverged must be True or False"),
    ("config", "{not json", "config is not a valid training config"),
])  # fmt: skip
def test_damaged_values_name_file_line_and_column(committed, tmp_path, column, value, message):
    path = _edited(committed, tmp_path, 1, **{column: value})
    with pytest.raises(ResultsError, match=rf"rows.csv:3: {message}"):
        read_rows(path)


def test_duplicated_row_is_refused(committed, tmp_path):
    fields, rows = _rows(committed)
    path = _write([*rows, rows[0]], fields, tmp_path / "rows.csv")
    with pytest.raises(ResultsError, match="same run as line 2"):
        read_rows(path)


def test_committed_runs_are_used_only_for_exactly_the_same_runs(committed, tmp_path):
    table, reason = committed_runs(committed, CONFIGS, SEEDS, TASK)
    assert table is not None and len(table.rows) == 4 and "used 4 committed rows" in reason
    other_horizon = TASK.replace(horizon=11)
    table, reason = committed_runs(committed, CONFIGS, SEEDS, other_horizon)
    assert table is None and "other held-out data" in reason
    table, reason = committed_runs(committed, CONFIGS, [1, 2, 3], TASK)
    assert table is None and "no row for" in reason and "seed 3" in reason
    tampered = _edited(committed, tmp_path, 0, data_hash="0" * 64)
    table, reason = committed_runs(tampered, CONFIGS, SEEDS, TASK)
    assert table is None and "rows.csv:2 ran on other training data" in reason


def test_committed_each_gives_each_config_its_own_rows_or_its_own_reason(committed, tmp_path):
    fields, rows = _rows(committed)
    plain_only = _write([r for r in rows if r["method"] == "plain"], fields, tmp_path / "rows.csv")
    (plain, why_plain), (noisy, why_noisy) = committed_each(plain_only, CONFIGS, SEEDS, TASK)
    assert plain is not None and [r["seed"] for r in plain.rows] == SEEDS and "used 2" in why_plain
    assert noisy is None and "no row for" in why_noisy
    assert committed_runs(plain_only, CONFIGS, SEEDS, TASK)[0] is None  # all or nothing
    absent = tmp_path / "absent.csv"
    assert committed_each(absent, CONFIGS, SEEDS, TASK) == [(None, f"no committed rows at {absent}")] * 2


# ---------------------------------------------------------------- the rule


def _old_new(committed: Path) -> tuple[dict, dict]:
    old = read_rows(committed).rows[0]
    return old, dict(old)


def test_same_fingerprint_needs_equal_numbers(committed):
    old, new = _old_new(committed)
    ok = {"training data": True, "held-out data": True}
    assert verify.judge(old, new, ok)[:2] == (True, "bit-identical")
    new["free_mse"] = old["free_mse"] * (1 + 1e-9)
    assert verify.judge(old, new, ok)[1] == "differs"
    assert verify.judge(old, dict(old), {"training data": False, "held-out data": True})[1] == "differs"


def test_other_fingerprint_judges_stable_measures_within_tolerance(committed):
    old, new = _old_new(committed)
    ok = {"training data": True, "held-out data": True}
    new["fingerprint"] = json.dumps({**json.loads(old["fingerprint"]), "cpu": "Another CPU"})
    new["free_mse"] = old["free_mse"] * 3  # free-running error amplifies rounding: not judged
    tol = TOLERANCE
    new["teacher_mse"] = old["teacher_mse"] * (1 + tol / 2)
    assert verify.judge(old, new, ok)[:2] == (False, "within tolerance")
    new["teacher_mse"] = old["teacher_mse"] * (1 + 2 * tol)
    same, outcome, detail = verify.judge(old, new, ok)
    assert outcome == "differs" and "teacher_mse" in detail


def test_tolerances_are_the_largest_measured_spread_times_the_margin_rounded_up(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real derivation
    spread = tmp_path / "spread.csv"
    spread.write_text(
        "row,dtype,arithmetic,teacher_mse,final_loss,final_mse,free_mse\n"
        "a,float64,X=1,3.2e-13,0,1e-12,0.5\n"
        "a,float64,X=2,1.1e-13,2.5e-14,1e-12,0.5\n"
        "b,float32,X=1,2.3e-5,7e-6,1e-4,0.9\n"
    )
    got = verify.tolerances(spread)
    margin = verify.TOLERANCE_MARGIN
    assert got == {"teacher_mse": pytest.approx(2.3e-4 if margin == 10 else verify.round_up(2.3e-5 * margin)),
                   "final_loss": pytest.approx(verify.round_up(7e-6 * margin))}  # fmt: skip
    assert verify.round_up(0.0102) == pytest.approx(0.011) and verify.round_up(0.0911) == pytest.approx(0.092)
    assert verify.round_up(2e-3) == pytest.approx(2e-3)
    with pytest.raises(ResultsError, match="float32 and float64"):
        verify.tolerances(_spread_of(tmp_path, "float64"))


def _spread_of(tmp_path: Path, dtype: str) -> Path:
    path = tmp_path / "one.csv"
    path.write_text(f"row,dtype,arithmetic,teacher_mse,final_loss\na,{dtype},X=1,1e-5,1e-5\n")
    return path


def test_relative_difference():
    assert verify.relative(1.0, 1.0) == 0 and verify.relative(math.nan, math.nan) == 0
    assert verify.relative(1.1, 1.0) == pytest.approx(0.1) and verify.relative(math.inf, 1.0) == math.inf


# ---------------------------------------------------------------- the verify command


def _verify(args: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli.main(["verify", "--workers", "1", "--quiet", *args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_verify_retrains_and_finds_committed_rows_identical(committed, capsys):
    code, out = _verify(["--files", str(committed), "--rows", "2"], capsys)
    assert code == 0, out
    assert "rows: 2 checked, 2 bit-identical, 0 within tolerance, 0 differ" in out


def test_verify_flags_a_tampered_row(committed, tmp_path, capsys):
    row = read_rows(committed).rows[0]
    path = _edited(committed, tmp_path, 0, teacher_mse=repr(row["teacher_mse"] * 1.01))
    code, out = _verify(["--files", str(path), "--rows", "1"], capsys)
    assert code == 1 and "differs" in out and "1 differ" in out


def test_verify_accepts_another_fingerprint_within_tolerance_and_not_outside(committed, tmp_path, capsys):
    row = read_rows(committed).rows[0]
    other = json.dumps({**json.loads(row["fingerprint"]), "cpu": "Another CPU", "capability": "AVX512"})
    tol = TOLERANCE
    inside = _edited(committed, tmp_path, 0, fingerprint=other, teacher_mse=repr(row["teacher_mse"] * (1 + tol / 3)))
    code, out = _verify(["--files", str(inside), "--rows", "1"], capsys)
    assert code == 0 and "other fingerprint" in out and "within tolerance" in out and "cpu:" in out, out
    outside = _edited(committed, tmp_path, 0, fingerprint=other, teacher_mse=repr(row["teacher_mse"] * (1 + 3 * tol)))
    code, out = _verify(["--files", str(outside), "--rows", "1"], capsys)
    assert code == 1 and "differs" in out


def test_verify_missing_or_damaged_file_is_exit_2_without_training(committed, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(verify, "compare", lambda *a, **k: pytest.fail("trained despite a bad file"))
    code, out = _verify(["--files", str(tmp_path / "gone.csv")], capsys)
    assert code == 2 and "is missing" in out
    code, out = _verify(["--files", str(_edited(committed, tmp_path, 0, seed="5.0"))], capsys)
    assert code == 2 and "seed must be an integer" in out and len(out) < 2000


# ---------------------------------------------------------------- verify --claims


@pytest.fixture(scope="module")
def quick_claims(tmp_path_factory) -> tuple[Path, Path]:
    """The quick profile's claims table, committed; and its cache, so the rebuild trains nothing new."""
    from lstm_lib.settings import study_for

    folder = tmp_path_factory.mktemp("claims")
    table = claims.measure(study_for("quick"), cache_dir=folder / "cache").table
    path = folder / "claims-quick.csv"
    write_rows(claims.claim_records(table), path)
    return path, folder / "cache"


def test_verify_claims_agrees_with_itself_and_flags_a_changed_verdict(quick_claims, tmp_path, capsys):
    path, cache = quick_claims
    code, out = _verify(["--claims", "--profile", "quick", "--against", str(path), "--cache-dir", str(cache)], capsys)
    assert code == 0 and "differ" in out and ", 0 differ" in out, out
    fields, rows = _rows(path)
    rows[0]["verdict"] = "holds" if rows[0]["verdict"] != "holds" else "does not hold"
    tampered = _write(rows, fields, tmp_path / "claims.csv")
    code, out = _verify(["--claims", "--profile", "quick", "--against", str(tampered), "--cache-dir", str(cache)],
                        capsys)  # fmt: skip
    assert code == 1 and "DIFFERS" in out and ", 1 differ" in out


def test_verify_claims_missing_file_is_exit_2(tmp_path, capsys):
    code, out = _verify(["--claims", "--profile", "quick", "--against", str(tmp_path / "none.csv")], capsys)
    assert code == 2 and "cannot be read" in out


def test_agreement_counts_verdicts_and_effects_inside_intervals():
    committed = [{"claim": "c", "regime": "easy", "comparison": "a vs b", "effect": 2.0, "low": 1.5, "high": 3.0,
                  "verdict": "does not hold"}]  # fmt: skip
    moved = [{**committed[0], "effect": 2.5}]
    flipped = [{**committed[0], "effect": 1.2, "verdict": "inconclusive"}]
    a, b = verify.agreement(committed, moved), verify.agreement(committed, flipped)
    assert (a.same_verdict, a.inside, a.largest_shift) == (1, 1, pytest.approx(1.25))
    assert (b.same_verdict, b.inside) == (0, 0)


def test_report_lines_reach_the_build_log(capsys):
    records.report("float64 side: used 3 committed rows")
    assert capsys.readouterr().err == "[lstm_lib] float64 side: used 3 committed rows\n"
