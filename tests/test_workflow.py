"""The CI workflow says what the project promises: tests on pull requests; the full book, its
artifacts and a Pages deployment on main; every action pinned to a version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("jobs"), f"{WORKFLOW} holds no jobs"
    return data


def _triggers(workflow: dict) -> dict:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    return {name: None for name in on} if isinstance(on, list) else dict(on)


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def _job_running(workflow: dict, command: str) -> tuple[str, dict]:
    for name, job in workflow["jobs"].items():
        if any(command in step.get("run", "") for step in _steps(job)):
            return name, job
    raise AssertionError(f"no job runs `{command}`")


def _uses(job: dict, action: str) -> list[dict]:
    return [step for step in _steps(job) if step.get("uses", "").split("@")[0] == action]


def test_every_action_is_pinned(workflow: dict) -> None:
    uses = [step["uses"] for job in workflow["jobs"].values() for step in _steps(job) if "uses" in step]
    assert uses
    unpinned = [u for u in uses if not PINNED.match(u)]
    assert not unpinned, f"actions must be pinned to a version tag or a commit SHA: {unpinned}"
    kinds = {"sha" if re.search(r"@[0-9a-f]{40}$", u) else "tag" for u in uses}
    assert len(kinds) == 1, "pin every action the same way (all version tags or all SHAs)"


def test_library_tests_run_on_every_supported_python(workflow: dict) -> None:
    name, job = _job_running(workflow, "pytest")
    assert "if" not in job or "pull_request" in job["if"]
    versions = [str(v) for v in job["strategy"]["matrix"]["python"]]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [c.rsplit(" :: ", 1)[1] for c in pyproject["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)]
    assert declared and versions == declared, "CI tests exactly the Python versions pyproject declares"
    assert pyproject["requires-python"] == f">={declared[0]}"
    assert _uses(job, "actions/setup-python")[0]["with"]["python-version"] == "${{ matrix.python }}"
    assert any(".[dev]" in step.get("run", "") for step in _steps(job)), f"{name} does not install the extras"


def test_full_book_keeps_the_training_cache_keyed_on_the_training_code(workflow: dict) -> None:
    name, job = _job_running(workflow, "make book")
    caches = _uses(job, "actions/cache")
    assert caches, f"{name} does not keep .cache/experiments between pushes"
    assert caches[0]["with"]["path"] == ".cache/experiments"
    key_steps = [s for s in _steps(job) if "--cache-version" in s.get("run", "")]
    assert key_steps and key_steps[0]["id"] in caches[0]["with"]["key"]
    steps = _steps(job)
    assert steps.index(caches[0]) < next(i for i, s in enumerate(steps) if "make book" in s.get("run", ""))
