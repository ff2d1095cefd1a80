"""The book runner: table-of-contents order, profile checks before any work, skipping unchanged chapters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from lstm_lib.book import runner as book


def _chapter(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "full"\nscale = 2')
    params.metadata["tags"] = ["parameters", "remove-cell"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "chapters").mkdir(parents=True)
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/b_second\n  - file: chapters/a_first\n"
    )
    for stem in ("a_first", "b_second"):
        _chapter(tmp_path / "chapters" / f"{stem}.ipynb", "open('ran.txt', 'a').write(f'{profile} {scale}\\n')")
    return tmp_path


def _outputs(path: Path) -> list:
    return [c.get("outputs") for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_chapters_follow_the_toc(site: Path) -> None:
    assert [p.stem for p in book.chapters(site)] == ["b_second", "a_first"]


def test_unchanged_chapters_are_skipped_and_changes_rerun(site: Path, capfd) -> None:
    ran = site / "chapters" / "ran.txt"
    book.execute("quick", root=site)
    assert ran.read_text().splitlines() == ["quick 2", "quick 2"]
    first = capfd.readouterr()
    assert re.fullmatch(r"(\[book\] \w+: executed in [\d.]+ s \(quick\)\n){2}\[book\] execution took .*\n", first.out)
    assert "without encryption" not in first.err, "the kernel's transport notice reached the log"
    book.execute("quick", root=site)  # nothing changed: nothing runs
    assert ran.read_text().splitlines() == ["quick 2", "quick 2"]
    assert capfd.readouterr().out.count("cached (unchanged since its last execution)") == 2
    nb = json.loads((site / "chapters" / "a_first.ipynb").read_text())
    nb["cells"][0]["source"] = 'profile = "full"\nscale = 3'
    (site / "chapters" / "a_first.ipynb").write_text(json.dumps(nb))
    book.execute("quick", root=site)  # a chapter changed: only that chapter reruns
    assert ran.read_text().splitlines()[2:] == ["quick 3"]
    book.execute("quick", root=site, force=True)
    assert len(ran.read_text().splitlines()) == 5


def test_a_chapter_without_a_profile_parameter_fails_before_any_chapter_runs(site: Path) -> None:
    nb = json.loads((site / "chapters" / "a_first.ipynb").read_text())
    nb["cells"][0]["source"] = "scale = 3"
    (site / "chapters" / "a_first.ipynb").write_text(json.dumps(nb))
    with pytest.raises(book.BookError, match="a_first.*must declare profile"):
        book.execute("quick", root=site)
    assert not (site / "chapters" / "ran.txt").exists()


def test_a_bad_profile_setting_of_a_late_chapter_fails_before_the_first_runs(tmp_path: Path, monkeypatch) -> None:
    """The runner builds each chapter's settings as the chapter will, so a bad value in the profile
    of the last chapter stops the build before the first chapter runs."""
    from lstm_lib import settings

    (tmp_path / "chapters").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/01_lstm_cell\n  - file: chapters/09_timing\n"
    )
    for stem in ("01_lstm_cell", "09_timing"):
        _chapter(tmp_path / "chapters" / f"{stem}.ipynb", "open('ran.txt', 'a').write('ran')")
    quick = {**settings.PROFILES["quick"], "09_timing": {"repeats": 0}}
    monkeypatch.setitem(settings.PROFILES, "quick", quick)
    with pytest.raises(book.BookInputError, match="chapter 09_timing, profile quick: repeats must be an int >= 1"):
        book.execute("quick", root=tmp_path)
    assert not (tmp_path / "chapters" / "ran.txt").exists()


def test_unknown_chapter_and_profile_are_refused(site: Path) -> None:
    with pytest.raises(book.BookError, match="nope"):
        book.execute("quick", root=site, only=["nope"])
    with pytest.raises(book.BookInputError, match="profile must be one of"):
        book.execute("medium", root=site)


def test_a_failing_chapter_names_itself_and_is_not_stamped(site: Path) -> None:
    _chapter(site / "chapters" / "a_first.ipynb", "raise RuntimeError('boom')")
    with pytest.raises(book.BookError, match="a_first"):
        book.execute("quick", root=site)
    assert book._executed_stamp(site / "chapters" / "a_first.ipynb") is None


def test_library_lines_reach_the_build_log_and_the_kernel_logs_no_interrupt(site: Path, capfd) -> None:
    body = "import sys\nprint('[lstm_lib] used 3 committed rows from x.csv', file=sys.stderr)\nprint('[other] no')"
    _chapter(site / "chapters" / "a_first.ipynb", body)
    book.execute("quick", root=site, only=["a_first"])
    captured = capfd.readouterr()
    assert "[book] a_first: used 3 committed rows from x.csv\n" in captured.out
    assert "[other]" not in captured.out
    assert "KeyboardInterrupt" not in captured.err + captured.out


def test_kernels_are_not_interrupted_on_the_way_to_a_shutdown(monkeypatch) -> None:
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    calls = []

    async def interrupt(self) -> None:
        calls.append(self.shutting_down)

    monkeypatch.setattr(AsyncKernelManager, "_async_interrupt_kernel", interrupt)
    manager = book._kernel_manager_class()()
    for shutting_down in (True, False):
        manager.shutting_down = shutting_down
        asyncio.run(manager._async_interrupt_kernel())
    assert calls == [False]  # only the interrupt asked for outside a shutdown went through


def test_a_scheduler_reaches_the_training_chapters_as_their_setting_not_the_environment(tmp_path: Path) -> None:
    from lstm_lib.settings import CHAPTERS

    with_setting = [stem for stem, s in CHAPTERS.items() if "scheduler" in s.names()]
    assert "04_adagrad" in with_setting and "08_pytorch_port" in with_setting and "01_lstm_cell" not in with_setting
    for stem in CHAPTERS:
        parameters = book._parameters(stem, "quick", "tcp://host:8786")
        expected = {"scheduler": "tcp://host:8786"} if stem in with_setting else None
        assert parameters.get("overrides") == expected and parameters["profile"] == "quick"
    assert book._parameters("04_adagrad", "quick", None) == {"profile": "quick"}
