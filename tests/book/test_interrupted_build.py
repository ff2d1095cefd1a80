"""Nothing lost on interrupt: a killed or failed chapter leaves the chapter in place as it was, is
never stamped, and leaves git with no phantom change; the clean filter works from any clone."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from lstm_lib.book import chapter, nbclean
from lstm_lib.book import runner as book

ROOT = Path(__file__).resolve().parents[2]
GIT = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *GIT, *args], capture_output=True, text=True)


def _chapter(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "full"\nscale = 2')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


BODY = (
    "import os, time\n"
    "open('ran.txt', 'a').write(f'{profile} {scale}\\n')\n"
    "if os.path.exists('hang'):\n"
    "    open('started', 'w').close()\n"
    "    time.sleep(120)\n"
    "print('done', profile)"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git clone of a one-chapter book, in a folder whose path has a space, with the real filter."""
    root = tmp_path / "my book"
    (root / "chapters").mkdir(parents=True)
    (root / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "nbclean.py", root / "tools" / "nbclean.py")
    (root / "lstm_lib" / "book").mkdir(parents=True)
    shutil.copy(ROOT / "lstm_lib" / "book" / "nbclean.py", root / "lstm_lib" / "book" / "nbclean.py")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/a\n")
    (root / ".gitattributes").write_text("chapters/*.ipynb filter=nbclean\n")
    (root / ".gitignore").write_text(".cache/\nchapters/ran.txt\nchapters/hang\nchapters/started\ninterrupted.log\n")
    _chapter(root / "chapters" / "a.ipynb", BODY)
    assert _git(root, "init", "-q").returncode == 0
    nbclean.install_filter(root)
    assert _git(root, "add", "-A").returncode == 0
    assert _git(root, "commit", "-qm", "init").returncode == 0
    return root


def _outputs(path: Path) -> str:
    return json.dumps([c.get("outputs") for c in json.loads(path.read_text())["cells"]])


def _interrupt(root: Path, sig: signal.Signals, profile: str = "quick") -> None:
    """Run the book in a subprocess, wait until the chapter is executing, then send ``sig`` to the
    whole process group (as Ctrl-C does in a terminal: runner and kernel)."""
    (root / "chapters" / "hang").touch()
    # Ctrl-C as in a terminal: SIGINT raises KeyboardInterrupt even when this test was started in the
    # background of a non-interactive shell, which makes its children ignore SIGINT.
    code = (
        "import pathlib, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from lstm_lib.book import runner; "
        f"runner.execute({profile!r}, root=pathlib.Path({str(root)!r}), force=True)"
    )
    log = root / "interrupted.log"  # a file, not a pipe: a pipe nobody reads can fill and hang the runner
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )
    started = root / "chapters" / "started"
    deadline = time.monotonic() + 300  # catches a hang, not a slow start
    while not started.exists():
        assert proc.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "the chapter never started"
        time.sleep(0.1)
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    started.unlink()
    (root / "chapters" / "hang").unlink()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_interrupted_chapter_leaves_the_last_good_execution_and_no_phantom_change(repo: Path, sig) -> None:
    path = repo / "chapters" / "a.ipynb"
    book.execute("quick", root=repo)
    good = path.read_bytes()
    assert "done quick" in _outputs(path)
    _interrupt(repo, sig)
    assert path.read_bytes() == good  # the page keeps its outputs; no KeyboardInterrupt traceback
    status = _git(repo, "status", "--porcelain")
    assert status.returncode == 0 and status.stdout == "", status.stdout + status.stderr
    # the next build skips rightly (its stamp is that of the good execution), and the full profile reruns
    book.execute("quick", root=repo)
    assert path.read_bytes() == good
    book.execute("full", root=repo)
    assert "done full" in _outputs(path)
    stash = _git(repo, "stash")
    assert "No local changes" in stash.stdout + stash.stderr  # nothing for git stash to wipe


def test_interrupted_first_execution_runs_next_time(repo: Path) -> None:
    path = repo / "chapters" / "a.ipynb"
    _interrupt(repo, signal.SIGINT, "full")
    assert book._executed_stamp(path) is None
    book.execute("full", root=repo)
    assert "done full" in _outputs(path)


def test_a_chapter_failing_twice_is_run_twice_and_never_stamped(repo: Path) -> None:
    path = repo / "chapters" / "a.ipynb"
    _chapter(path, "raise RuntimeError('boom')")
    before = path.read_bytes()
    for _ in range(2):
        with pytest.raises(book.BookError, match="(?s)boom.*a.failed.ipynb"):
            book.execute("quick", root=repo)
        assert path.read_bytes() == before
    failed = json.loads((repo / ".cache" / "book" / "a.failed.ipynb").read_text())
    tagged = [c for c in failed["cells"] if "papermill-error-cell-tag" in c["metadata"].get("tags", [])]
    assert tagged, "papermill marks the failed run"
    assert not any("papermill-error-cell-tag" in json.dumps(c) for c in nbclean.clean(failed)["cells"])


def test_executed_chapter_has_the_users_umask_and_a_stamp_saying_what_ran(repo: Path) -> None:
    old = os.umask(0o022)
    try:
        book.execute("quick", root=repo)
    finally:
        os.umask(old)
    path = repo / "chapters" / "a.ipynb"
    assert path.stat().st_mode & 0o777 == 0o644
    recorded = json.loads(path.read_text())["metadata"][book.STAMP_KEY]
    assert recorded["parameters"] == {"profile": "quick"}
    assert recorded["digest"] == book.stamp(path, {"profile": "quick"})


# ---------------------------------------------------------------- the clean filter


def test_filter_works_in_a_path_with_a_space_without_venv_and_never_hangs(repo: Path) -> None:
    book.execute("quick", root=repo)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    for args in (["status", "--porcelain"], ["diff", "--exit-code"], ["add", "-A"]):  # a hang fails, not a slow disk
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, f"git {args}: {done.stderr}"
    staged = _git(repo, "show", ":chapters/a.ipynb").stdout
    assert json.loads(staged)["cells"][1]["outputs"] == []
    moved = repo.parent / "moved clone"
    repo.rename(moved)
    assert _git(moved, "status", "--porcelain").returncode == 0


def test_truncated_notebook_is_refused_by_git_add_and_named_by_the_runner(repo: Path) -> None:
    path = repo / "chapters" / "a.ipynb"
    book.execute("quick", root=repo)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    added = _git(repo, "add", "chapters/a.ipynb")
    assert added.returncode != 0 and "a.ipynb is not valid notebook JSON" in added.stderr
    assert (
        "outputs" not in _git(repo, "show", ":chapters/a.ipynb").stdout
        or json.loads(_git(repo, "show", ":chapters/a.ipynb").stdout)["cells"][1]["outputs"] == []
    )
    with pytest.raises(book.BookError, match="git checkout"):
        book.execute("quick", root=repo, force=True)


def test_runner_installs_the_filter_in_a_fresh_clone(repo: Path) -> None:
    for key in nbclean.FILTER:
        _git(repo, "config", "--unset", key)
    book.execute("quick", root=repo)
    assert (
        _git(repo, "config", "--get", "filter.nbclean.clean").stdout.strip() == nbclean.FILTER["filter.nbclean.clean"]
    )
    assert _git(repo, "status", "--porcelain").stdout == ""


# ---------------------------------------------------------------- parameters: misspelling, up-front profile check


def test_misspelled_papermill_parameter_fails_in_the_first_cell(tmp_path: Path) -> None:
    import papermill

    path = tmp_path / "c.ipynb"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n_hidden = 51\nlr = 0.05")
    params.metadata["tags"] = ["parameters"]
    check = nbformat.v4.new_code_cell(
        "from lstm_lib.book.chapter import reject_unknown_parameters\nreject_unknown_parameters()"
    )
    nb.cells = [params, check, nbformat.v4.new_code_cell("open('work', 'w').close()")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    with pytest.raises(papermill.PapermillExecutionError, match="n_hiden.*lr.*n_hidden"):
        papermill.execute_notebook(
            str(path),
            str(tmp_path / "o.ipynb"),
            parameters={"n_hiden": 4},
            kernel_name="python3",
            cwd=str(tmp_path),
            progress_bar=False,
        )
    assert not (tmp_path / "work").exists()
    papermill.execute_notebook(
        str(path),
        str(tmp_path / "o.ipynb"),
        parameters={"n_hidden": 4},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (tmp_path / "work").exists()


def test_reject_unknown_parameters_reads_the_cell_history() -> None:
    declared, injected = "n_hidden = 51\nseeds = [0, 1]", "# Parameters\nn_hiden = 4\n"
    with pytest.raises(ValueError, match=r"\['n_hiden'\].*\['n_hidden', 'seeds'\]"):
        chapter.reject_unknown_parameters(["", declared, injected, "x = 1"])
    chapter.reject_unknown_parameters(["", declared, "# Parameters\nn_hidden = 4\n"])
    chapter.reject_unknown_parameters(["", declared])  # nothing injected
