"""The CI workflow says what the project promises: tests on pull requests; the full book, its
artifacts and a Pages deployment on main; every action pinned to a version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "book.yml"
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


def test_triggers(workflow: dict) -> None:
    on = _triggers(workflow)
    assert "pull_request" in on
    assert "main" in (on.get("push") or {}).get("branches", [])


def test_pull_requests_run_make_test_with_chromium(workflow: dict) -> None:
    _, job = _job_running(workflow, "make test")
    assert "pull_request" in job.get("if", "pull_request")
    assert any("apt-get install -y chromium" in step.get("run", "") for step in _steps(job))
    setup = _uses(job, "actions/setup-python")
    assert setup and str(setup[0]["with"]["python-version"]) == "3.11"


def test_main_builds_the_full_book_and_keeps_artifacts(workflow: dict) -> None:
    _, job = _job_running(workflow, "make book")
    assert "main" in job.get("if", "") and "pull_request" in job.get("if", "")
    assert str(_uses(job, "actions/setup-python")[0]["with"]["python-version"]) == "3.11"
    uploads = _uses(job, "actions/upload-artifact")
    assert uploads, "the book job uploads no artifact"
    upload = uploads[0]
    assert str(upload.get("if", "")).replace(" ", "") == "always()", "artifacts must be kept when the build fails"
    paths = upload["with"]["path"]
    assert "_build/html" in paths and "chapters/*.ipynb" in paths
    pages = _uses(job, "actions/upload-pages-artifact")
    assert pages and pages[0]["with"]["path"] == "_build/html"
    steps = [step.get("uses", step.get("run", "")) for step in _steps(job)]
    make_book = next(i for i, s in enumerate(steps) if "make book" in s)
    assert make_book < steps.index(upload["uses"]) and make_book < steps.index(pages[0]["uses"])


def test_pages_deployment(workflow: dict) -> None:
    book_job, _ = _job_running(workflow, "make book")
    deploys = [(name, job) for name, job in workflow["jobs"].items() if _uses(job, "actions/deploy-pages")]
    assert deploys, "no job uses actions/deploy-pages"
    name, job = deploys[0]
    needs = job.get("needs", [])
    assert book_job in ([needs] if isinstance(needs, str) else needs)
    permissions = {**workflow.get("permissions", {}), **job.get("permissions", {})}
    assert permissions.get("pages") == "write" and permissions.get("id-token") == "write"
    assert job.get("environment", {}).get("name") == "github-pages"


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
    assert versions == ["3.11", "3.12", "3.13"]
    assert _uses(job, "actions/setup-python")[0]["with"]["python-version"] == "${{ matrix.python }}"
    assert any(".[dev]" in step.get("run", "") for step in _steps(job)), f"{name} does not install the extras"


def test_the_published_book_names_its_repository(workflow: dict) -> None:
    _, job = _job_running(workflow, "make book")
    step = next(step for step in _steps(job) if "make book" in step.get("run", ""))
    assert step["env"]["LSTM_BOOK_REPOSITORY"] == "https://github.com/${{ github.repository }}"
