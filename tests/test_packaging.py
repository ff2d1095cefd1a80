"""What users install: any Python from 3.11 to 3.13, and a conda environment with pyproject's packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _key(text: str) -> tuple[str, frozenset[str], str]:
    req = Requirement(text)
    return canonicalize_name(req.name), frozenset(req.extras), str(req.specifier)


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_requires_python_admits(version: str) -> None:
    assert SpecifierSet(PROJECT["requires-python"]).contains(version)


def test_environment_yml_names_the_packages_of_pyproject() -> None:
    own = canonicalize_name(PROJECT["name"])
    wanted = {_key(r) for r in PROJECT["dependencies"]}
    for extra in PROJECT["optional-dependencies"].values():
        wanted |= {_key(r) for r in extra if canonicalize_name(Requirement(r).name) != own}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {_key(r) for r in pip if not r.startswith("-")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject.toml: {wanted - listed}"
    assert "-e ." in pip, "environment.yml installs lstm_lib itself"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    spec = SpecifierSet(python.removeprefix("python"))
    assert all(spec.contains(v) for v in ("3.11", "3.12", "3.13"))
