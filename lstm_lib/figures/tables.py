"""Small HTML tables for the book: rows of dicts in, a displayable table out (no pandas needed)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from lstm_lib.runs import row as schema

if TYPE_CHECKING:  # IPython comes with the book extra; the CLI's text tables do not need it
    from IPython.display import HTML


Format = str | Callable[[object], str]


def summary_rows(
    summary: Sequence[Mapping], by: str, columns: Sequence[str], fmt: str = ".3g"
) -> list[dict[str, object]]:
    """Rows of :meth:`lstm_lib.runs.experiments.Table.summary` as text ``mean [low, high]`` per column."""
    out = []
    for entry in summary:
        row: dict[str, object] = {by: str(entry[by]), "seeds": entry["seeds"], "diverged": entry["diverged"]}
        for col in columns:
            mean, low, high = entry[col], entry[f"{col}_low"], entry[f"{col}_high"]
            if not math.isfinite(mean):
                row[col] = "n/a"
            elif math.isfinite(low) and low != high:
                row[col] = f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"
            else:
                row[col] = f"{mean:{fmt}}"
        out.append(row)
    return out


def _cell(value: object, fmt: Format | None) -> str:
    if fmt is None:
        text = value if isinstance(value, str) else str(value)
    elif callable(fmt):
        text = fmt(value)
    else:
        text = format(value, fmt)
    return html.escape(text)


def html_table(
    rows: Sequence[Mapping[str, object]],
    columns: Mapping[str, str] | Sequence[str],
    formats: Mapping[str, Format] | None = None,
) -> HTML:
    """An HTML table of ``rows``: one ``<tr>`` per row, one column per key of ``columns``.

    ``columns`` maps a row key to its header text (or lists the keys, used as headers);
    ``formats`` maps a key to a format spec (``".3g"``) or a function returning the cell's text.
    Text is HTML-escaped. Numbers are right-aligned so columns of figures line up.
    """
    headers = dict(columns) if isinstance(columns, Mapping) else {key: key for key in columns}
    formats = dict(formats or {})
    missing = [key for key in headers for row in rows if key not in row]
    if missing:
        raise ValueError(f"rows lack the column(s) {sorted(set(missing))}")
    head = "".join(f"<th>{html.escape(text)}</th>" for text in headers.values())
    body = []
    for row in rows:
        cells = []
        for key in headers:
            align = "right" if isinstance(row[key], (int, float)) and not isinstance(row[key], bool) else "left"
            cells.append(f'<td style="text-align:{align}">{_cell(row[key], formats.get(key))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    from IPython.display import HTML

    return HTML(f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def summary_table(summary: Sequence[Mapping], by: str, columns: Sequence[str], by_header: str = "method") -> HTML:
    """:func:`summary_rows` as an HTML table, each column headed as the row schema heads it."""
    headers = {by: by_header, "seeds": "seeds", "diverged": "diverged"} | {c: schema.header(c) for c in columns}
    return html_table(summary_rows(summary, by, columns), headers)


STUDY_METHOD_NAMES = {"article": "plain, at the book's rate (the article's set-up)"}
"""How the study's tables name a role whose key is terse."""


def study_effect(record: Mapping) -> str:
    """A study claims record's effect as the tables show it: a ratio (``×1.3``), a failure rate (``23%``) for the
    "fails" rows, nothing where it is not finite."""
    effect = record["effect"]
    if not math.isfinite(effect):
        return ""
    return f"{effect:.0%}" if "fail" in record["comparison"] else f"×{effect:.2g}"


def _yes(value: object) -> str:
    """A mark as a word a reader expects in a table: "yes" where set, nothing where not."""
    return "yes" if value is True else ""


def _number(fmt: str) -> Callable[[object], str]:
    return lambda v: format(v, fmt) if isinstance(v, (int, float)) and math.isfinite(v) else ""


def study_tables(report, full: Sequence[Mapping] = ()) -> dict[str, HTML | str]:
    """The study's tables for chapter 7 (:class:`lstm_lib.study.decisive.Report`): ``picks``, ``claims`` (with the
    verdict of the same comparison in the ``full`` profile's claims rows beside it), ``failures`` and
    ``sensitivity``; each is a short note instead while the campaign has not produced its rows."""
    from IPython.display import HTML

    from lstm_lib.study.decisive import beside_full

    wait = HTML(f"<p><em>Not yet: {html.escape(report.status())}.</em></p>")
    if report.picks is None:
        return dict.fromkeys(("picks", "claims", "failures", "sensitivity"), wait)
    names = list(next(iter(report.picks.values())))
    ratio = lambda v: "" if not math.isfinite(v) else f"×{v:.2g}"  # noqa: E731
    claims = [r | {"interval": f"[{r['low']:.2g}, {r['high']:.2g}]" if math.isfinite(r["low"]) else "",
                   "shown": study_effect(r)}
              for r in beside_full(report.claims, full)]  # fmt: skip
    claim_columns = {"regime": "regime", "comparison": "comparison", "settings": "tuned settings", "shown": "effect",
                     "interval": "95% interval", "seeds": "seeds", "each way": "seeds: lower, higher (or counts)",
                     "wilcoxon p": "Wilcoxon p", "fragile": "fragile", "detects": "detects (80% power)",
                     "verdict": "verdict", "holm p": "Holm p",
                     "headline": "verdict, Holm-adjusted (headline)", "full": "full profile's verdict"}  # fmt: skip
    failure_columns = {"regime": "regime", "method": "method", "failed": "failed", "seeds": "seeds",
                       "rate": "rate", "low": "low", "high": "high", "hard": "hard (rate > 20%)",
                       "vs plain": "paired with plain (exact McNemar)",
                       "fails less": "fails less than plain"}  # fmt: skip
    pct = _number(".0%")
    sensitivity_columns = {"regime": "regime", "comparison": "comparison", "variant": "judged with",
                           "main": "verdict as run", "verdict": "verdict judged so", "changed": "changed"}  # fmt: skip
    sensitivity = (html_table(report.sensitivity, sensitivity_columns, {"changed": _yes})
                   if report.sensitivity else wait)  # fmt: skip
    failures = [r | {"method": STUDY_METHOD_NAMES.get(r["method"], r["method"])} for r in report.failures]
    return {
        "picks": picks_table(report, names),
        "claims": html_table(
            claims,
            claim_columns,
            {"wilcoxon p": _number(".2g"), "holm p": _number(".2g"), "fragile": _yes, "detects": ratio},
        ),
        "failures": html_table(failures, failure_columns, {"rate": pct, "low": pct, "high": pct}),
        "sensitivity": sensitivity,
    }


def picks_table(report, names: Sequence[str]) -> HTML:
    """The study's tuned settings ``names`` (rows) per tuned regime (columns): each grid tried with the selection
    rule's score, and the pick, marked where it lies at the grid's edge (a note while tuning is unfinished)."""
    from IPython.display import HTML

    if report.picks is None:
        return HTML(f"<p><em>Not yet: {html.escape(report.status())}.</em></p>")
    rows = []
    for name in names:
        row: dict[str, object] = {"setting": name}
        for regime, picks in report.picks.items():
            pick = picks[name]
            tried = ", ".join(f"{v:g}: {s:.2g}" for v, s in pick.scores.items())
            row[regime] = f"{pick.value:g}" + (" (grid's edge)" if pick.at_edge else "") + f" [{tried}]"
        rows.append(row)
    return html_table(rows, {"setting": "setting", **{r: f"{r}: pick [value tried: median MSE]" for r in report.picks}})


def answers_table(full: Sequence[Mapping], study: Sequence[Mapping]) -> HTML:
    """The article's claims at a glance: per comparison (rows) and regime, this build's verdict (``full``: chapter
    7's claims rows, effect as text) beside the study's headline, Holm-adjusted (``study``: its claims records).

    The study's "fails less than plain" rows stay in its own tables; a comparison only one side makes has an empty
    cell on the other.
    """
    from lstm_lib.study.claims import LABELS
    from lstm_lib.study.decisive import comparison_key

    rows: dict[str, dict[str, str]] = {}
    regimes: list[str] = []

    def cell(row_key: str, label: str, column: str, text: str) -> None:
        rows.setdefault(row_key, {"comparison": label})[column] = text

    for r in study:
        if "fails less" in r["comparison"]:
            continue
        regime, key = comparison_key(r["regime"], r["comparison"])
        regimes.append(regime)
        shown = study_effect(r) + (" fail" if "fail" in r["comparison"] and math.isfinite(r["effect"]) else "")
        cell(key, r["comparison"], f"{regime}: study", f"{r['headline']} {shown}".strip())
    for r in full:
        regime, key = comparison_key(r["regime"], r["comparison"])
        regimes.append(regime)
        label = rows[key]["comparison"] if key in rows else f"{LABELS.get(r['claim'], r['claim'])}: {r['comparison']}"
        cell(key, label, f"{regime}: build", f"{r['verdict']} {r['effect']}")
    columns = {"comparison": "comparison"}
    for regime in dict.fromkeys(regimes):
        for side, header in (("build", "this build"), ("study", "the study")):
            if any(f"{regime}: {side}" in row for row in rows.values()):
                columns[f"{regime}: {side}"] = f"{regime}: {header}"
    return html_table([{c: row.get(c, "") for c in columns} for row in rows.values()], columns)
