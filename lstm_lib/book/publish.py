"""Where the book is published: the repository its buttons link to, and the build's final config.

Readers must meet no dead link, so the repository, issue and launch (Binder, Colab) buttons appear
only when a publisher names the repository: ``LSTM_BOOK_REPOSITORY`` at build time, or else the
``origin`` remote when it is on GitHub. ``_config.yml`` holds no URL; :func:`write_config` writes
``_config.yml`` plus these settings to a generated file that ``jupyter-book build --config`` reads.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from lstm_lib.files import atomic_write

REPOSITORY_ENV = "LSTM_BOOK_REPOSITORY"
"""A GitHub URL (``https://github.com/OWNER/REPO``); set but empty means: no repository buttons."""
BRANCH_ENV = "LSTM_BOOK_BRANCH"
"""The branch the buttons open (default ``main``)."""

_GITHUB = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def github_url(remote: str) -> str | None:
    """``https://github.com/OWNER/REPO`` for a GitHub remote (https or ssh form), else ``None``."""
    match = _GITHUB.match(remote.strip())
    return f"https://github.com/{match.group(1)}/{match.group(2)}" if match else None


def repository_url(root: Path) -> str | None:
    """The repository the book links to: ``$LSTM_BOOK_REPOSITORY``, else a GitHub ``origin``, else ``None``."""
    if REPOSITORY_ENV in os.environ:
        value = os.environ[REPOSITORY_ENV].strip()
        if not value:
            return None
        url = github_url(value)
        if url is None:
            raise ValueError(f"{REPOSITORY_ENV} must be a GitHub URL like https://github.com/OWNER/REPO, got {value!r}")
        return url
    done = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root, capture_output=True, text=True)
    return github_url(done.stdout) if done.returncode == 0 else None


def publish_settings(url: str | None) -> dict:
    """The ``_config.yml`` sections that link to ``url``; none at all without a URL."""
    if url is None:
        return {}
    return {
        "repository": {"url": url, "path_to_book": "", "branch": os.environ.get(BRANCH_ENV, "").strip() or "main"},
        "launch_buttons": {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
            "notebook_interface": "classic",
        },
        "html": {"use_repository_button": True, "use_issues_button": True},
    }


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def write_config(root: Path, url: str | None, dest: Path) -> Path:
    """Write ``root/_config.yml`` plus :func:`publish_settings` to ``dest`` (atomically); returns ``dest``.

    Local extension folders become absolute: jupyter-book resolves them next to the config file.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    if url is None:  # jupyter-book's own default repository would otherwise stand in for ours
        config.setdefault("repository", {})["url"] = ""
    config = _merge(config, publish_settings(url))
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str((root / folder).resolve())
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    atomic_write(dest, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return dest


WARNING = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b")


def warnings_in(log: str) -> list[str]:
    """The lines of a build log that matter to a reader of the log: Sphinx's warnings and errors."""
    return [line.strip() for line in log.splitlines() if WARNING.search(line)]
