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
