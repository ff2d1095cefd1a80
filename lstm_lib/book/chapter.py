"""What every chapter does first (:func:`chapter_setup`) and the glue its pages read.

Every chapter's ``parameters`` cell holds ``profile`` and ``overrides`` only. Papermill injects
parameters by name and accepts any name, so a typo must stop the chapter before any training,
and so must an out-of-range value: both are refused here, naming the parameter and what is allowed.
"""

from __future__ import annotations

from typing import Any

from lstm_lib.fields import Settings


def chapter_setup(chapter: str, profile: str, overrides: dict[str, Any] | None = None) -> Any:
    """What every chapter does first, in one call: refuse a parameter papermill injected that the chapter
    does not declare, build the chapter's settings for ``profile`` with ``overrides`` (the one validation,
    :func:`lstm_lib.settings.settings_for`), style the figures, run torch on one thread (steady
    timings on a shared machine; results do not depend on it), and glue ``profile_name`` and
    ``environment`` for the page's provenance line. Returns the settings."""
    import torch

    from lstm_lib.figures.style import use_style
    from lstm_lib.runs.records import environment
    from lstm_lib.settings import settings_for

    reject_unknown_parameters()
    settings: Settings = settings_for(chapter, profile, overrides)
    use_style()
    torch.set_num_threads(1)
    glue_plain("profile_name", profile)
    glue_plain("environment", environment(profile))
    return settings


def glue_figure(key: str, fig: Any, name: str) -> None:
    """Save ``fig`` as ``figures/<name>.png``, glue it as ``key`` for a ``{glue:figure}`` and close it."""
    import matplotlib.pyplot as plt
    from myst_nb import glue

    from lstm_lib.figures.style import save

    save(fig, name)
    glue(key, fig, display=False)
    plt.close(fig)


def glue_text(key: str, value: object) -> None:
    """Glue ``value`` as Markdown text (a verdict, a name) for the ``{glue:md}`` role in the prose."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(key, Markdown(str(value)), display=False)


def glue_values(**values: object) -> None:
    """Glue each number for the ``{glue:text}`` role, without displaying it."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value, display=False)


def _assigned_names(source: str) -> list[str]:
    """The names a cell assigns at top level, in order."""
    import ast

    names: list[str] = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return names


def reject_unknown_parameters(history: list[str] | None = None) -> None:
    """Fail if papermill injected a parameter the chapter's ``parameters`` cell does not declare.

    papermill runs its injected cell (it starts with ``# Parameters``) right after the chapter's
    ``parameters`` cell, and silently accepts any name, so ``-p n_hiden 4`` would run with the
    default ``n_hidden``. ``history`` defaults to IPython's ``In``: the sources of the cells run so far.
    """
    if history is None:
        from IPython import get_ipython

        shell = get_ipython()
        history = list(shell.user_ns.get("In", [])) if shell is not None else []
    injected = [k for k, cell in enumerate(history) if cell.lstrip().startswith("# Parameters")]
    if not injected or injected[-1] == 0:
        return
    k = injected[-1]
    declared = _assigned_names(history[k - 1])
    unknown = [name for name in _assigned_names(history[k]) if name not in declared]
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; this chapter's parameters are {sorted(declared)}")


class _Plain:
    """Text whose plain-text form is the text itself (a ``str`` would be shown with its quotes)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def glue_plain(key: str, text: str) -> None:
    """Glue ``text`` as plain text, for ``{glue:text}`` roles, also from other pages (``doc.ipynb::key``)."""
    from myst_nb import glue

    glue(key, _Plain(str(text)), display=False)
