"""Small HTML tables for the book: rows of dicts in, a displayable table out (no pandas needed)."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

from IPython.display import HTML

Format = str | Callable[[object], str]

SUMMARY_COLUMNS = {
    "label": "method",
    "seeds": "seeds",
    "diverged": "diverged",
    "final_mse": "final training MSE",
    "free_mse": "free-running MSE",
    "horizon": "horizon (steps)",
    "train_seconds": "training seconds",
}
"""Headers of the chapters' per-method tables (rows from :func:`lstm_lib.verdicts.summary_rows`)."""


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
    return HTML(f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')
