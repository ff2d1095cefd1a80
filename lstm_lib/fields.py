"""Settings declared once: each field's type, range and help text live in one :class:`Rule`.

A settings class is a frozen dataclass deriving from :class:`Settings` whose fields are made by
:func:`setting` (a value with a rule) or :func:`section` (another settings class). The rule
validates the value on construction, writes the CLI flag's help and argparse type, and names the
field in the error (:class:`SettingError`), so nothing downstream re-declares or re-checks a field.
Sections let a larger set of settings hold a smaller one whole (the study holds a
:class:`~lstm_lib.training.config.TrainConfig`), and flat names reach into them: ``replace(lr=0.1)``
changes the section that declares ``lr``, so overrides stay one flat mapping.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from lstm_lib.validation import (
    SettingError,
    check_choice,
    check_float,
    check_int,
    check_seed,
    excerpt,
)

__all__ = ["Rule", "SettingError", "Settings", "section", "setting"]


@dataclass(frozen=True)
class Rule:
    """What a field may hold: ``kind`` (``int``, ``float``, ``seed``, ``choice``, ``text``), its bounds or
    choices, whether ``None`` is allowed (``optional``), whether it is a list of such values
    (``many``, at least ``min_items``, no repeats if ``distinct``), and one line of ``help``."""

    kind: str
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] = ()
    optional: bool = False
    many: bool = False
    min_items: int = 1
    distinct: bool = False
    flag: str | None = None

    def check(self, name: str, value: object) -> Any:
        """``value`` checked and normalised (a list becomes a tuple, an int a float where a float is meant)."""
        if value is None and self.optional:
            return None
        if not self.many:
            return self._one(name, value)
        if not isinstance(value, (list, tuple)) or len(value) < self.min_items:
            raise SettingError(
                name, f"{name} must be a list of at least {self.min_items} value(s), got {excerpt(value)}"
            )
        items = tuple(self._one(f"{name}[{k}]", item) for k, item in enumerate(value))
        if self.distinct and len(set(items)) != len(items):
            raise SettingError(name, f"{name} must not repeat a value, got {excerpt(value)}")
        return items

    def _one(self, name: str, value: object) -> Any:
        if self.kind == "int":
            return check_int(name, value, int(self.low) if math.isfinite(self.low) else -(2**63))
        if self.kind == "seed":
            return check_seed(name, value)
        if self.kind == "float":
            return check_float(
                name, value, low=self.low, high=self.high, low_open=self.low_open, high_open=self.high_open
            )
        if self.kind == "choice":
            return check_choice(name, value, self.choices)
        if self.kind == "text":
            if not isinstance(value, str) or not value:
                raise SettingError(name, f"{name} must be a non-empty string, got {excerpt(value)}")
            return value
        raise TypeError(f"unknown rule kind {self.kind!r}")

    def describe(self) -> str:
        """The allowed values in words, for help texts."""
        if self.kind == "choice":
            text = "one of " + ", ".join(str(c) for c in self.choices if c is not None)
        elif self.kind == "seed":
            text = "an int in [0, 2**63)"
        elif self.kind == "int":
            text = f"an int >= {int(self.low)}"
        elif self.kind == "float":
            lo, hi = "(" if self.low_open else "[", ")" if self.high_open or self.high == math.inf else "]"
            text = f"a number in {lo}{self.low:g}, {self.high:g}{hi}"
        else:
            text = "text"
        if self.many:
            text = f"a list of {self.min_items}+ values, each {text}"
        return text + (", or none" if self.optional else "")

    def argparse_type(self) -> Callable[[str], Any] | None:
        """What argparse converts a flag's text with (``choice`` flags use ``choices`` instead)."""
        return {"int": int, "seed": int, "float": float}.get(self.kind, None)


def setting(default: Any, help: str, kind: str, **bounds: Any) -> Any:  # noqa: A002 - argparse's word
    """A dataclass field holding ``default``, validated by ``Rule(kind, help, **bounds)``."""
    rule = Rule(kind, help, **bounds)
    if isinstance(default, list):
        default = tuple(default)
    return dataclasses.field(default=default, metadata={"rule": rule})


def section(factory: Callable[[], Settings], help: str) -> Any:  # noqa: A002
    """A dataclass field holding another settings object whole (its fields keep their own rules)."""
    return dataclasses.field(default_factory=factory, metadata={"section": help})


def rule_of(cls: type, name: str) -> Rule:
    """The rule of field ``name`` of ``cls`` (not of its sections)."""
    for f in dataclasses.fields(cls):
        if f.name == name and "rule" in f.metadata:
            return f.metadata["rule"]
    raise KeyError(name)


_LEAVES: dict[type, list[tuple[tuple[str, ...], Rule]]] = {}
_PATHS: dict[type, dict[str, tuple[str, ...]]] = {}


class Settings:
    """Base of frozen dataclasses whose fields come from :func:`setting` and :func:`section`.

    Every field is checked by its rule on construction, then :meth:`validate` checks what spans
    several fields. Flat names reach into sections: ``names()`` lists them all (a test keeps them
    unique), ``replace(**changes)`` routes each name to the section that declares it, and reading
    ``settings.lr`` finds ``lr`` in a section when the class itself has no such field.
    """

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if "rule" in f.metadata:
                object.__setattr__(self, f.name, f.metadata["rule"].check(f.name, value))
            elif "section" in f.metadata and not isinstance(value, Settings):
                raise SettingError(f.name, f"{f.name} must be a settings object, got {excerpt(value)}")
        self.validate()

    def validate(self) -> None:
        """Checks that span several fields (a subclass's hook)."""

    @classmethod
    def leaves(cls) -> list[tuple[tuple[str, ...], Rule]]:
        """Every field with a rule, as its path through the sections, in declaration order."""
        if cls not in _LEAVES:
            _LEAVES[cls] = cls._find_leaves()
        return _LEAVES[cls]

    @classmethod
    def _find_leaves(cls) -> list[tuple[tuple[str, ...], Rule]]:
        found: list[tuple[tuple[str, ...], Rule]] = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if "rule" in f.metadata:
                found.append(((f.name,), f.metadata["rule"]))
            elif "section" in f.metadata:
                found += [((f.name, *path), rule) for path, rule in f.default_factory().leaves()]  # type: ignore[misc]
        return found

    @classmethod
    def rules(cls) -> dict[str, Rule]:
        """Every setting by the name :meth:`replace` takes: its own name where that is unique, else its
        dotted path (``port.lr`` beside ``library.lr``)."""
        leaves = cls.leaves()
        counts: dict[str, int] = {}
        for path, _ in leaves:
            counts[path[-1]] = counts.get(path[-1], 0) + 1
        return {(path[-1] if counts[path[-1]] == 1 else ".".join(path)): rule for path, rule in leaves}

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.rules())

    @classmethod
    def _path(cls, name: str) -> tuple[str, ...] | None:
        """The path of the setting called ``name`` (flat or dotted), from an index built once per class."""
        if cls not in _PATHS:
            rules = cls.rules()
            index: dict[str, tuple[str, ...]] = {}
            for path, _ in cls.leaves():
                index.setdefault(".".join(path), path)
                if path[-1] in rules:
                    index.setdefault(path[-1], path)
            _PATHS[cls] = index
        return _PATHS[cls].get(name)

    @classmethod
    def make(cls, **changes: Any) -> Self:
        """The defaults with ``changes`` by flat name (``WaveTask.make(horizon=60)``)."""
        return cls().replace(**changes)

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` by name (see :meth:`rules`); an unknown name is a :class:`SettingError`
        listing the allowed ones. A section may also be replaced whole by its field name.

        One pass, no recursion: each change goes straight to the section that declares it, and every section
        on the way is rebuilt once, deepest first, so each changed value is checked by its rule exactly once.
        """
        own = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        edits: dict[tuple[str, ...], dict[str, Any]] = {(): {}}
        for name, value in changes.items():
            path = (name,) if name in own else self._path(name)
            if path is None:
                raise SettingError(
                    name, f"unknown setting {excerpt(name)} for {type(self).__name__}; allowed: {self.names()}"
                )
            for depth in range(len(path)):  # every section above the change is rebuilt
                edits.setdefault(path[:depth], {})
            edits[path[:-1]][path[-1]] = value
        built: dict[tuple[str, ...], Any] = {}
        for where in sorted(edits, key=len, reverse=True):
            part: Any = self
            for depth, name in enumerate(where):  # a section given whole is the base of changes inside it
                part = edits[where[:depth]].get(name, object.__getattribute__(part, name))
            children = {p[-1]: v for p, v in built.items() if len(p) == len(where) + 1 and p[:-1] == where}
            built[where] = dataclasses.replace(part, **{**edits[where], **children})
        return built[()]

    def flat(self) -> dict[str, Any]:
        """Every setting with its value, by the names :meth:`replace` takes."""
        values: dict[str, Any] = {}
        for name, (path, _) in zip(self.rules(), self.leaves(), strict=True):
            value: Any = self
            for part in path:
                value = object.__getattribute__(value, part)
            values[name] = value
        return values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pickling and copying look up dunders before the fields exist
            raise AttributeError(name)
        path = type(self)._path(name)
        if path is None or len(path) == 1:
            raise AttributeError(f"{type(self).__name__} has no setting {name!r}")
        value: Any = self
        for part in path:
            value = object.__getattribute__(value, part)
        return value
