"""What every chapter does first: check its ``parameters`` cell, so a bad value fails at once.

Papermill injects parameters by name; a typo or an out-of-range value must stop the chapter
before any training, with the parameter's name and the allowed range in the message.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from lstm_lib.training.config import METHODS, OPTIMIZERS
from lstm_lib.validation import check_choice, check_float, check_int, check_seed, excerpt


def _positive_int(name: str, value: object) -> None:
    check_int(name, value, 1)


def _positive_float(name: str, value: object) -> None:
    check_float(name, value, low=0, low_open=True)


def _nonnegative_float(name: str, value: object) -> None:
    check_float(name, value, low=0)


def _rate(name: str, value: object) -> None:
    check_float(name, value, low=0, high=1, low_open=True)


def _list_of(check: Callable[[str, object], None], minimum: int = 1) -> Callable[[str, object], None]:
    def checker(name: str, value: object) -> None:
        if not isinstance(value, (list, tuple)) or len(value) < minimum:
            raise ValueError(f"{name} must be a list of at least {minimum} value(s), got {value!r}")
        for k, item in enumerate(value):
            check(f"{name}[{k}]", item)

    return checker


RULES: dict[str, Callable[[str, object], None]] = {
    "profile": lambda n, v: check_choice(n, v, ("quick", "full", "study")),
    "seed": check_seed,
    "seeds": _list_of(check_seed),
    "data_seed": check_seed,
    "iterations": _positive_int,
    "lbfgs_iterations": _positive_int,
    "lr": _positive_float,
    "sgd_lr": _positive_float,
    "lbfgs_lr": _positive_float,
    "n_hidden": _positive_int,
    "n_train": _positive_int,
    "n_test": _positive_int,
    "length": lambda n, v: check_int(n, v, 2),
    "period": _positive_float,
    "prime_length": lambda n, v: check_int(n, v, 2),
    "horizon": _positive_int,
    "threshold": _positive_float,
    "noise_std": _nonnegative_float,
    "noise_stds": _list_of(_nonnegative_float),
    "weight_rate": _rate,
    "weight_rates": _list_of(_rate),
    "methods": _list_of(lambda n, v: check_choice(n, v, METHODS)),
    "optimizers": _list_of(lambda n, v: check_choice(n, v, OPTIMIZERS)),
    "workers": _positive_int,
    "repeats": _positive_int,
    "bench_waves": _positive_int,
    "bench_length": _positive_int,
    "steps": _positive_int,
    "future": _positive_int,
    "n_waves": _positive_int,
    "clip": lambda n, v: None if v is None else _positive_float(n, v),
    "sweep_seeds": _list_of(check_seed),
    "port_seeds": _list_of(check_seed),
    "port_lr": _positive_float,
    "lib_iterations": _positive_int,
    "lib_lr": _positive_float,
    "lib_seeds": _list_of(check_seed),
    "check_steps": _positive_int,
    "optimizer_seeds": _list_of(check_seed),
    "replay_steps": _positive_int,
    "replay_length": lambda n, v: check_int(n, v, 3),
    "replay_future": _positive_int,
}


def check_parameters(**values: object) -> dict[str, object]:
    """Validate a chapter's parameters by name (see :data:`RULES`); unknown names are an error."""
    unknown = sorted(set(values) - set(RULES))
    if unknown:
        raise ValueError(f"unknown chapter parameter(s) {unknown}; known: {sorted(RULES)}")
    for name, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        RULES[name](name, value)
    return values


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


def check_profile_values(values: dict[str, object]) -> None:
    """Check a profile's values for one chapter before any chapter runs (the runner's up-front check).

    Names the chapters do not share (see :data:`RULES`) are left to the chapter's own check;
    a study chapter's ``overrides`` are checked by building its settings.
    """
    check_parameters(**{name: value for name, value in values.items() if name in RULES})
    if "overrides" in values:
        from lstm_lib.study.settings import study_for

        overrides = values["overrides"]
        if not isinstance(overrides, dict) or not all(isinstance(k, str) for k in overrides):
            raise ValueError(f"overrides must be a mapping of study settings by name, got {excerpt(overrides)}")
        study_for(str(values.get("profile", "full")), **overrides)


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
