"""The on-disk cache's entries: one file per key, holding texts and tensors under a checksum.

Every cached result goes through here (the experiments' runs and the port's), so every one has the
same guarantees: an entry is written atomically, its SHA-256 checksum covers its key, texts and
tensors, and on reading anything wrong (a truncated file, a wrong key, a flipped bit) is reported,
deleted and recomputed, never trusted. What an entry means, and which key it is filed under, is its
caller's business.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import torch

from lstm_lib.files import atomic_write

T = TypeVar("T")
RESERVED = ("key", "checksum")
"""Fields every entry has; no text or tensor may take their names."""


def tensor_hash(t: torch.Tensor) -> str:
    """SHA-256 of a tensor's dtype, shape and values (on the CPU, contiguous)."""
    t = t.detach().cpu().contiguous()
    return hashlib.sha256(str((t.dtype, tuple(t.shape))).encode() + t.numpy().tobytes()).hexdigest()


def checksum(key: str, text: str, tensors: Mapping[str, torch.Tensor | None]) -> str:
    """SHA-256 over everything an entry returns: a flipped bit anywhere in it changes the sum.

    ``text`` is the entry's texts joined in their order; a missing tensor counts as ``none``.
    """
    digest = hashlib.sha256(key.encode() + b"\0" + text.encode())
    for name in sorted(tensors):
        value = tensors[name]
        digest.update(name.encode() + b"\0" + (tensor_hash(value) if value is not None else "none").encode())
    return digest.hexdigest()


def check_cache_dir(cache_dir: str | Path) -> Path:
    """The cache folder, created if missing; refused before any training if it cannot hold entries."""
    if str(cache_dir) == "":
        raise ValueError("cache_dir must be a folder path, got an empty string")
    path = Path(cache_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cache_dir {path} cannot be created: {exc.strerror}") from None
    if not path.is_dir():
        raise ValueError(f"cache_dir {path} is not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"cache_dir {path} is not writable")
    return path


def write(path: Path, key: str, texts: Mapping[str, str], tensors: Mapping[str, torch.Tensor | None]) -> None:
    """Write an entry with its checksum; a failure to write loses the cache entry, never the result."""
    clash = set(texts) & set(tensors) | (set(texts) | set(tensors)) & set(RESERVED)
    if clash:
        raise ValueError(f"entry fields need distinct names other than {RESERVED}, got {sorted(clash)}")
    payload: dict[str, object] = {"key": key, **texts}
    payload |= {name: value for name, value in tensors.items() if value is not None}
    payload["checksum"] = checksum(key, "".join(texts.values()), tensors)
    try:
        atomic_write(path, lambda tmp: torch.save(payload, tmp))
    except OSError as exc:
        warnings.warn(f"cache entry {path.name} not written ({exc.strerror or exc})", stacklevel=3)


def read(
    path: Path,
    key: str,
    texts: tuple[str, ...],
    tensors: tuple[str, ...],
    decode: Callable[[dict[str, str], dict[str, torch.Tensor | None]], T],
) -> T | None:
    """``decode(texts, tensors)`` of the entry at ``path``, or ``None`` if there is none.

    ``texts`` and ``tensors`` name the fields the entry was written with (texts in the order
    written). A damaged entry (unreadable, another key, a checksum mismatch, or one that ``decode``
    rejects by raising) is reported, deleted and ``None`` returned, so the caller recomputes it.
    """
    if not path.exists() and not path.is_symlink():
        return None
    try:
        if not path.is_file():
            raise ValueError("not a regular file")
        payload = torch.load(path, weights_only=True)
        if not isinstance(payload, dict) or payload.get("key") != key:
            raise ValueError("key mismatch")
        text = {name: payload.get(name) for name in texts}
        if not all(isinstance(t, str) for t in text.values()):
            raise ValueError("a text field is missing")
        tensor = {name: payload.get(name) for name in tensors}
        if not all(t is None or isinstance(t, torch.Tensor) for t in tensor.values()):
            raise ValueError("a field is not a tensor")
        if payload.get("checksum") != checksum(key, "".join(text.values()), tensor):
            raise ValueError("checksum mismatch")
        return decode(text, tensor)
    except Exception as exc:  # truncated zip, wrong content, bit rot, anything: never trust it
        warnings.warn(f"cache entry {path.name} is damaged ({str(exc)[:200]}); recomputing", stacklevel=3)
        try:
            path.unlink(missing_ok=True)
        except OSError:  # a read-only cache, or a folder where an entry should be: recompute all the same
            pass
        return None
