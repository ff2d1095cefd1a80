"""Checks that reject bad input before any work starts, naming the parameter and what is allowed."""

from __future__ import annotations

import argparse
import math
import os
import re
import reprlib
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import torch
import yaml

from lstm_lib.files import TEMP_AFFIX

DTYPES: dict[str, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}

EXCERPT_CHARS = 80
_REPR = reprlib.Repr()
for _attr in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
    setattr(_REPR, _attr, 4)
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 40, 40, 40


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A bounded repr for error messages: a huge or deeply nested value never makes a huge message."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shorten(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to at most ``limit`` characters: an error that echoes input stays short."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


MAX_MESSAGE = 600
"""An error line is at most this long: messages quote bounded excerpts of values, never whole values."""
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
LONG_WORD = re.compile(rf"\S{{{EXCERPT_CHARS + 1},}}")


def bounded(message: str) -> str:
    """argparse's ``message`` on one line, each value it quotes (or overlong word) cut to an excerpt,
    at most MAX_MESSAGE long: argparse echoes a rejected value whole."""
    message = QUOTED.sub(lambda m: m[0] if len(m[0]) <= EXCERPT_CHARS else excerpt(m[0][1:-1]), message)
    message = LONG_WORD.sub(lambda m: shorten(m[0], EXCERPT_CHARS), message)
    return shorten(message, MAX_MESSAGE)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE short line on stderr (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {bounded(message)} (see --help)\n")


MAX_YAML_BYTES = 64 * 1024
YAML12_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$")
"""A float as YAML 1.2 writes it: YAML 1.1 (PyYAML) reads ``1e-3`` as a string, not the number meant."""


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases: a parameter file needs none, and
    aliases nested a few levels deep expand a few hundred bytes into gigabytes (a YAML bomb).
    It also refuses a key given twice (YAML would keep the last silently) and reads ``1e-3`` as a number."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent) or getattr(self.peek_event(), "anchor", None):
            raise yaml.YAMLError(f"anchors and aliases are not allowed{self.peek_event().start_mark}")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        first: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (str, int, float, bool)) and key in first:
                raise yaml.YAMLError(f"duplicate key {excerpt(key)} on line {line} (first on line {first[key]})")
            if isinstance(key, (str, int, float, bool)):
                first[key] = line
        return super().construct_mapping(node, deep=deep)


_NoAliasLoader.add_implicit_resolver("tag:yaml.org,2002:float", YAML12_FLOAT, list("-+0123456789."))


def load_yaml(path: str | Path, name: str, max_bytes: int = MAX_YAML_BYTES) -> object:
    """The YAML in ``path``: a regular UTF-8 file of at most ``max_bytes``, without aliases.

    Every failure is a ``ValueError`` naming ``name`` (the flag or setting) and the file.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise ValueError(f"{name}: {excerpt(str(path))} is not a readable file")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {excerpt(str(path))}: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise ValueError(f"{name}: {excerpt(str(path))} is larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: {excerpt(str(path))} is not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        message = " ".join(str(exc).split())
        raise ValueError(f"{name}: {excerpt(str(path))} is not valid YAML: {message[:200]}") from None


class SettingError(ValueError):
    """A bad value of a named setting. ``field`` is the name (without an index such as ``[3]``), so a
    caller that must point at a flag or a file line reads the attribute, never the message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.field = name.split("[", 1)[0]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` must be an int >= ``minimum``."""
    if not _is_int(value) or value < minimum:
        raise SettingError(name, f"{name} must be an int >= {minimum}, got {excerpt(value)}")
    return value


def check_seed(name: str, value: object) -> int:
    """A seed is an int in [0, 2**63)."""
    if not _is_int(value) or not 0 <= value < 2**63:
        raise SettingError(name, f"{name} must be an int in [0, 2**63), got {excerpt(value)}")
    return value


def check_float(
    name: str, value: object, *, low: float, high: float = math.inf, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` must be a finite real number in the given interval."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open or high == math.inf else "]"
        raise SettingError(name, f"{name} must be a finite number in {lo}{low}, {high}{hi}, got {excerpt(value)}")
    return float(value)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` must be one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise SettingError(name, f"{name} must be one of {allowed}, got {excerpt(value)}")
    return value  # type: ignore[return-value]


def check_dtype(name: str, value: object) -> torch.dtype:
    """A dtype given as ``torch.float64``/``torch.float32`` or their names."""
    if isinstance(value, torch.dtype) and value in DTYPES.values():
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise SettingError(name, f"{name} must be one of {tuple(DTYPES)}, got {excerpt(value)}")


def check_sequences(name: str, data: object, n_in: int | None = None, min_length: int = 2) -> torch.Tensor:
    """A finite float tensor of shape (n, length, n_in) with length >= ``min_length``."""
    if not isinstance(data, torch.Tensor) or data.dim() != 3 or not data.is_floating_point():
        shape = tuple(data.shape) if isinstance(data, torch.Tensor) else type(data).__name__
        raise SettingError(name, f"{name} must be a float tensor of shape (n, length, n_in), got {shape}")
    n, length, features = data.shape
    if n < 1 or length < min_length or features < 1:
        raise SettingError(
            name, f"{name} must have n >= 1, length >= {min_length}, n_in >= 1, got shape {tuple(data.shape)}"
        )
    if n_in is not None and features != n_in:
        raise SettingError(name, f"{name} must have n_in={n_in} features in its last dimension, got {features}")
    if not torch.isfinite(data).all():
        raise SettingError(name, f"{name} must be finite, got NaN or inf values")
    return data


NAME_MAX = 255
"""The longest file name (bytes) where the file system does not say: ext4, xfs, btrfs, tmpfs, APFS."""
PATH_MAX = 4096


def _name_limit(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or the folder is gone
        return NAME_MAX


def _check_lengths(name: str, path: Path, folder: Path) -> None:
    """Every part of ``path`` must be a name the file system takes, with room for the temporary file's affix."""
    limit = _name_limit(folder) - TEMP_AFFIX
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > limit:
            raise ValueError(f"{name}: the name {excerpt(part)} is {size} bytes long; at most {limit} are allowed")
    if len(os.fsencode(str(path.absolute()))) + TEMP_AFFIX >= PATH_MAX:
        raise ValueError(f"{name}: the path {excerpt(str(path))} is longer than the {PATH_MAX} bytes allowed")


def _existing_folder(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (where the missing folders would be created)."""
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def _check_can_create(name: str, folder: Path) -> None:
    """Create and remove a file in ``folder``: the one check that also catches /proc, read-only mounts and quotas."""
    if not folder.is_dir():
        raise ValueError(f"{name}: {excerpt(str(folder))} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: cannot write in {excerpt(str(folder))}")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
    except OSError as exc:
        raise ValueError(f"{name}: cannot create a file in {excerpt(str(folder))} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(name: str, value: object) -> Path:
    """A path a file can be written to, checked before any work: not empty, not a folder, names the file
    system takes, under a folder where a file can be created."""
    if not isinstance(value, (str, Path)) or str(value) in ("", ".") or "\0" in str(value):
        raise SettingError(name, f"{name} must be a file path, got {excerpt(value)}")
    path = Path(value)
    folder = _existing_folder(path)
    _check_lengths(name, path, folder)
    if os.path.isdir(path) or str(value).endswith(("/", os.sep)):
        example = excerpt(str(path / "out.csv"))
        raise ValueError(f"{name}: {excerpt(str(path))} is a directory; give a file such as {example}")
    _check_can_create(name, folder)
    return path


def check_input_file(name: str, value: object) -> Path:
    """An existing regular file (a name too long to exist is reported, not raised as ``OSError``)."""
    path = Path(str(value))
    try:
        found = str(value) != "" and "\0" not in str(value) and path.is_file()
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {excerpt(str(value))} ({exc.strerror})") from None
    if not found:
        raise ValueError(f"{name}: no such file: {excerpt(str(value))}")
    return path


def available_memory(device: str = "cpu") -> int | None:
    """Bytes that ``device`` can still allocate (a GPU's free memory; Linux's MemAvailable, else the
    physical memory); ``None`` when unknown."""
    if device == "cuda" and torch.cuda.is_available():
        return torch.cuda.mem_get_info()[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError, AttributeError):
        return None


def check_memory(what: str, needed: int, device: str = "cpu") -> None:
    """``needed`` bytes must fit in ``device``'s free memory: a huge size fails here, not in an allocation."""
    free = available_memory(device)
    if free is not None and needed > free:
        raise ValueError(f"{what} needs at least {needed / 2**30:.3g} GiB of memory; {free / 2**30:.3g} GiB are free")
