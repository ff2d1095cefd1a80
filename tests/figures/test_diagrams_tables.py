"""The W-layout figure's segments, the figure helpers and the HTML table helper."""

import matplotlib.pyplot as plt
import pytest
import torch

from lstm_lib import GATES, Spec
from lstm_lib.figures.diagrams import gate_trace_figure, layout_segments, modes_figure, packed_layout_figure
from lstm_lib.figures.tables import html_table


@pytest.mark.parametrize("spec", [Spec(1, 51, 1), Spec(3, 4, 2)])
def test_layout_segments_tile_w_and_match_unpack(spec):
    segments = layout_segments(spec)
    assert segments[0].start == 0 and segments[-1].stop == spec.size
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.stop == b.start
    W = torch.arange(spec.size, dtype=torch.float64)
    p = spec.unpack(W)._asdict()
    for seg in segments:
        block = p[seg.block]
        expected = block if seg.gate is None else block[spec.gate_rows(seg.gate)]
        assert torch.equal(W[seg.start : seg.stop], expected.reshape(-1)), seg
    gated = [s for s in segments if s.gate is not None]
    assert [s.gate for s in gated] == list(GATES) * 3


def test_figures_draw():
    spec = Spec(1, 3, 1)
    fig = packed_layout_figure(spec)
    assert len(fig.axes) == 5
    trace = {k: torch.rand(20, 3) for k in ("input", "forget", "cell", "output", "c", "h")}
    assert len(gate_trace_figure(torch.rand(20), trace, [0, 2]).axes) == 5
    wave = torch.sin(torch.arange(30.0))
    assert len(modes_figure(wave, wave[1:], wave[10:], 10).axes) == 1
    plt.close("all")


def test_html_table_formats_and_escapes():
    rows = [{"path": "a<b", "s": 0.123456, "n": 3}]
    out = html_table(rows, {"path": "Path", "s": "seconds", "n": "count"}, {"s": ".2f"}).data
    assert "<th>Path</th>" in out and "a&lt;b" in out and ">0.12<" in out and ">3<" in out
    with pytest.raises(ValueError, match="missing|lack"):
        html_table(rows, ["nope"])


def test_plot_port_run_draws_the_three_measures_per_step():
    import matplotlib.pyplot as plt

    from lstm_lib.figures.port import plot_port_run
    from lstm_lib.port.example import PortRun, PortSettings

    run = PortRun(PortSettings(), train_loss=[0.5, 1e-3], test_loss=[1e-3, 1e-4], free_mse=[0.8, 0.2], seconds=[1, 2])
    fig, ax = plt.subplots()
    plot_port_run(ax, run)
    lines = ax.get_lines()
    assert [list(line.get_ydata()) for line in lines] == [run.train_loss, run.test_loss, run.free_mse]
    assert all(list(line.get_xdata()) == [1, 2] for line in lines)
    assert ax.get_yscale() == "log" and ax.get_xlabel()
    plt.close(fig)


def test_plot_port_run_spreads_every_loss_evaluation_over_its_step():
    import matplotlib.pyplot as plt

    from lstm_lib.figures.port import plot_port_run
    from lstm_lib.port.example import PortRun, PortSettings

    evals = [[0.5, 0.4, 0.3, 0.2], [0.2, 0.1]]
    run = PortRun(PortSettings(), [0.5, 0.2], [0.3, 0.1], [0.8, 0.2], [1, 2], evaluations=evals)
    fig, ax = plt.subplots()
    plot_port_run(ax, run)
    line = ax.get_lines()[-1]
    assert list(line.get_xdata()) == [1, 1.25, 1.5, 1.75, 2, 2.5]
    assert list(line.get_ydata()) == [0.5, 0.4, 0.3, 0.2, 0.2, 0.1]
    plt.close(fig)


def test_study_tables_write_marks_as_words_and_name_the_articles_baseline():
    from lstm_lib.figures.tables import study_tables
    from lstm_lib.study.decisive import Report
    from lstm_lib.study.tuning import Pick

    claim = {"regime": "easy", "comparison": "weighted vs plain", "settings": "lr 0.1, rate 0.99", "effect": 1.3,
             "low": 0.7, "high": 2.3, "seeds": 30, "each way": "14 lower, 16 higher", "wilcoxon p": 0.46,
             "verdict": "inconclusive", "holm p": 1.0, "headline": "inconclusive", "detects": 2.5}  # fmt: skip
    failure = {"regime": "easy", "method": "article", "failed": 2, "seeds": 30, "rate": 0.07, "low": 0.01,
               "high": 0.22, "hard": "inconclusive", "vs plain": "", "fails less": ""}  # fmt: skip
    sensitivity = {"regime": "easy", "comparison": "weighted vs plain", "variant": "threshold 0.05",
                   "main": "inconclusive", "verdict": "holds", "changed": True}  # fmt: skip
    picks = {"easy": {"adagrad": Pick("adagrad", {0.05: 0.02, 0.1: 0.01}, 0.1)}}
    report = Report(10, 10, picks, [claim | {"fragile": True}, claim | {"fragile": False}], [failure], [sensitivity])
    tables = {key: value.data for key, value in study_tables(report).items()}
    cells = lambda text: [c.split(">", 1)[1] for c in text.split("</td>")[:-1]]  # noqa: E731
    claims = tables["claims"].split("</tr>")
    assert "yes" in cells(claims[1]) and "yes" not in cells(claims[2])
    assert "False" not in tables["claims"] and "True" not in tables["sensitivity"]
    assert "plain, at the book&#x27;s rate (the article&#x27;s set-up)" in tables["failures"]
    assert "yes" in cells(tables["sensitivity"].split("</tr>")[1])
    assert "×2.5" in cells(claims[1])


def test_answers_table_sets_each_comparison_beside_itself_per_regime():
    from lstm_lib.figures.tables import answers_table

    def study(regime, comparison, headline, effect):
        return {"regime": regime, "comparison": comparison, "headline": headline, "effect": effect}

    def full(claim, regime, comparison, verdict, effect):
        return {"claim": claim, "regime": regime, "comparison": comparison, "verdict": verdict, "effect": effect}

    study_rows = [
        study("easy", "Adagrad vs L-BFGS (free-running error)", "inconclusive", 0.56),
        study("easy", "plain training fails", "inconclusive", 0.23),
        study("easy", "weighted fails less than plain", "inconclusive", float("nan")),
        study("hard", "weighted vs plain", "inconclusive", 1.2),
        study("example", "weighted vs plain", "inconclusive", 1.8),
    ]
    full_rows = [
        full("adagrad", "easy", "Adagrad vs lbfgs", "holds", "×0.075"),
        full("hard", "easy", "plain training", "inconclusive", "2/24 fail"),
        full("weighted", "hard", "weighted vs plain", "does not hold", "×3.9"),
        full("tuning", "easy", "settings tried", "inconclusive", "denoising 0/4, weighting 0/3"),
    ]
    html = answers_table(full_rows, study_rows).data
    head, *body = html.split("</tr>")[:-1]
    cells = [[c.split(">")[-1] for c in row.split("</td>")[:-1]] for row in body]
    assert [c.split(">")[-1] for c in head.split("</th>")[:-1]] == [
        "comparison", "easy: this build", "easy: the study", "hard: this build", "hard: the study", "example: the study"
    ]  # fmt: skip
    assert cells == [
        ["Adagrad vs L-BFGS (free-running error)", "holds ×0.075", "inconclusive ×0.56", "", "", ""],
        ["plain training fails", "inconclusive 2/24 fail", "inconclusive 23% fail", "", "", ""],
        ["weighted vs plain", "", "", "does not hold ×3.9", "inconclusive ×1.2", "inconclusive ×1.8"],
        ["denoising needs less tuning: settings tried", "inconclusive denoising 0/4, weighting 0/3", "", "", "", ""],
    ]
