"""No dead links: the repository, issue and launch buttons link to the repository a publisher names
(``LSTM_BOOK_REPOSITORY`` or a GitHub ``origin``) and are left out when there is none."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _site import ROOT, require_html

from lstm_lib.book import publish

PLACEHOLDERS = ("lstm-book/predict-time-sequence", "executablebooks/jupyter-book")


@pytest.mark.parametrize(
    "remote, url",
    [
        ("https://github.com/alice/lstm-book.git", "https://github.com/alice/lstm-book"),
        ("git@github.com:alice/lstm-book.git\n", "https://github.com/alice/lstm-book"),
        ("ssh://git@github.com/alice/lstm.book", "https://github.com/alice/lstm.book"),
        ("https://github.com/alice/lstm-book/", "https://github.com/alice/lstm-book"),
        ("/work/main", None),
        ("https://gitlab.com/alice/lstm-book.git", None),
        ("https://github.com/alice", None),
    ],
)
def test_github_url(remote: str, url: str | None) -> None:
    assert publish.github_url(remote) == url


def _git_repo(path: Path, remote: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)
    return path


def test_repository_from_origin_or_the_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(publish.REPOSITORY_ENV, raising=False)
    assert publish.repository_url(_git_repo(tmp_path / "bare", None)) is None
    assert publish.repository_url(_git_repo(tmp_path / "local", "/srv/git/book")) is None
    github = _git_repo(tmp_path / "gh", "git@github.com:alice/book.git")
    assert publish.repository_url(github) == "https://github.com/alice/book"
    monkeypatch.setenv(publish.REPOSITORY_ENV, "https://github.com/bob/fork")
    assert publish.repository_url(github) == "https://github.com/bob/fork"
    monkeypatch.setenv(publish.REPOSITORY_ENV, "")
    assert publish.repository_url(github) is None, "an empty variable means: no buttons"
    monkeypatch.setenv(publish.REPOSITORY_ENV, "example.org/book")
    with pytest.raises(ValueError, match=publish.REPOSITORY_ENV):
        publish.repository_url(github)


def test_generated_config_links_only_to_a_named_repository(tmp_path: Path) -> None:
    without = yaml.safe_load(publish.write_config(ROOT, None, tmp_path / "a.yml").read_text())
    assert not without.get("repository", {}).get("url")
    assert not without["html"].get("use_repository_button") and not without["html"].get("use_issues_button")
    assert not without["launch_buttons"].get("binderhub_url") and not without["launch_buttons"].get("colab_url")
    assert Path(without["sphinx"]["local_extensions"]["offline_book"]).is_absolute()
    url = "https://github.com/alice/book"
    with_url = yaml.safe_load(publish.write_config(ROOT, url, tmp_path / "b.yml").read_text())
    assert with_url["repository"]["url"] == url and with_url["html"]["use_issues_button"] is True
    assert with_url["launch_buttons"]["thebe"] is False, "the generated config keeps _config.yml's settings"
    assert with_url["title"] == yaml.safe_load((ROOT / "_config.yml").read_text())["title"]


def test_config_yml_names_no_repository() -> None:
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "github.com" not in text
    assert "url" not in (yaml.safe_load(text).get("repository") or {})


def test_warnings_in_keeps_warnings_only() -> None:
    log = "reading sources... [ 50%] chapters/01\nx.md:3: WARNING: undefined label\nbuild succeeded.\n"
    assert publish.warnings_in(log) == ["x.md:3: WARNING: undefined label"]


def _hide(tmp_path: Path, names: tuple[str, ...]) -> str:
    """A PATH with every program of this one except ``names``."""
    hidden = tmp_path / "bin"
    hidden.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for exe in Path(folder).iterdir():
            if exe.name not in names and not (hidden / exe.name).exists():
                (hidden / exe.name).symlink_to(exe)
    return str(hidden)


@pytest.mark.book
def test_a_bare_build_needs_no_npm_and_links_to_no_placeholder(tmp_path: Path) -> None:
    """Build the executed chapters with npm and node hidden and no repository: no buttons, math served locally."""
    require_html()
    path = _hide(tmp_path, ("npm", "npx", "node", "nodejs"))
    assert shutil.which("npm", path=path) is None and shutil.which("node", path=path) is None
    env = {**os.environ, "PATH": path, publish.REPOSITORY_ENV: ""}
    code = f"from lstm_lib.book import runner; runner.build(out={str(tmp_path / 'site')!r})"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "without encryption" not in done.stdout + done.stderr
    html = tmp_path / "site" / "_build" / "html"
    assert list((html / "_static" / "mathjax").glob("tex-*.js"))
    pages = sorted(html.rglob("*.html"))
    assert pages
    links = {m for page in pages for m in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))}
    dead = [link for link in links if any(p in link for p in PLACEHOLDERS)]
    assert not dead, f"links to a placeholder repository: {dead}"
    buttons = [link for link in links if "mybinder.org" in link or "colab.research" in link or "/issues/new" in link]
    assert not buttons, f"launch or issue buttons without a repository: {buttons}"
