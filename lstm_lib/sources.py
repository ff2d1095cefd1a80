"""What a result depends on: the lstm_lib modules a piece of code can reach through its imports.

One rule serves both caches: a trained run is keyed on the modules that training and evaluation
reach, and a chapter's stamp on the modules that the chapter's code reaches. Importing a module
also runs its parent packages' ``__init__``, so those count too. Editing a module that the code
cannot reach (the CLI, the book runner) changes neither key.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
NAME = PACKAGE.name


def module_file(module: str) -> Path | None:
    """The file of the lstm_lib module ``module`` (dotted), or ``None`` if it is not one."""
    parts = module.split(".")
    if parts[0] != NAME:
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(source: str) -> set[str]:
    """The lstm_lib modules that ``source`` imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if module_file(m) is not None}


def reachable(modules: Iterable[str]) -> list[str]:
    """Every lstm_lib module reachable from ``modules``, their parent packages included, sorted."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for k in range(1, len(parts) + 1):
            name = ".".join(parts[:k])
            path = module_file(name)
            if path is None or name in seen:
                continue
            seen.add(name)
            todo.extend(imported_modules(path.read_text(encoding="utf-8")))
    return sorted(seen)


def code_hash(modules: Iterable[str]) -> str:
    """SHA-256 over the names and bytes of every module reachable from ``modules``."""
    digest = hashlib.sha256()
    for name in reachable(modules):
        path = module_file(name)
        assert path is not None
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
