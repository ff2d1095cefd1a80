"""Execute every chapter with papermill, in place and in table-of-contents order, then build the book."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import EllipsisType

import yaml

from lstm_lib import sources
from lstm_lib.book import nbclean
from lstm_lib.files import atomic_write_text
from lstm_lib.settings import PROFILE_NAMES
from lstm_lib.validation import excerpt, shorten

ROOT = Path(__file__).resolve().parents[2]
PROFILES = PROFILE_NAMES
"""The profiles, defined once in :data:`lstm_lib.settings.PROFILES`."""


class BookError(RuntimeError):
    """The book could not be executed or built: a chapter failed, a profile is wrong, or the build failed."""


class BookInputError(BookError):
    """A bad profile, chapter name or parameter, found before any chapter runs (the CLI exits 2)."""


MAX_ERROR = 400
"""A chapter's error is quoted up to this many characters: its full traceback is in the failed notebook."""


def _failure(exc: Exception) -> str:
    """A chapter's error in one short line: papermill's exception name and value, never its whole traceback."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if isinstance(ename, str) and isinstance(evalue, str) else str(exc)
    return shorten(text, MAX_ERROR)


def chapters(root: Path = ROOT) -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found: list[Path] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                path = root / f"{node['file']}.ipynb"
                if path.exists():
                    found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
"""The kernel's log to the terminal keeps its errors only: its transport notice ("running over TCP
without encryption", a local kernel) would otherwise print once per chapter. Cell output is untouched."""


def _kernel_manager_class() -> type:
    """jupyter_client's kernel manager, minus the interrupt it sends before every shutdown request.

    That SIGINT lands while the kernel is still finishing a message (it did after chapters 2 and 7)
    and makes it log "KeyboardInterrupt caught in kernel" as an ERROR for a normal, successful run.
    A shutdown request follows anyway; interrupts asked for at any other time pass through.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager


STAMP_KEY = "lstm_lib_stamp"
WORK = Path(".cache") / "book"
"""Where papermill writes while a chapter runs (``<stem>.running.ipynb``) and where a failed or
interrupted execution is kept (``<stem>.failed.ipynb``); the chapter in place is replaced only
by a successful execution."""


def _read(path: Path) -> dict:
    """The notebook at ``path``; a truncated or foreign file is a :class:`BookError` saying how to recover."""
    try:
        return nbclean.parse(path.read_bytes(), str(path))
    except nbclean.NotANotebook as exc:
        raise BookError(f"{exc}; restore it with `git checkout -- {path}`") from None


def stamp(path: Path, parameters: dict) -> str:
    """Hash of what a chapter's outputs depend on: its cells, its parameters and the lstm_lib code it reaches."""
    nb = nbclean.clean(_read(path))
    digest = hashlib.sha256(nbclean.dumps(nb).encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    digest.update(sources.code_hash(sources.imported_modules(_python_only(code))).encode())
    return digest.hexdigest()


def _python_only(code: str) -> str:
    """Notebook code without IPython's magics and shell escapes, so ``ast`` can parse it."""
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))


def _executed_stamp(path: Path) -> str | None:
    """The digest of the execution that produced the notebook in place, or ``None``.

    Only :func:`_finish` writes a stamp, and only into a notebook whose execution succeeded;
    the input given to papermill never carries one (it is cleaned first).
    """
    try:
        recorded = nbclean.parse(path.read_bytes(), str(path)).get("metadata", {}).get(STAMP_KEY)
    except nbclean.NotANotebook:
        return None
    return recorded.get("digest") if isinstance(recorded, dict) else None


def _finish(executed: Path, target: Path, digest: str, parameters: dict) -> None:
    """Put a successful execution in place atomically: hide papermill's injected cell, record the stamp."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nb.setdefault("metadata", {})[STAMP_KEY] = {"digest": digest, "parameters": parameters}
    atomic_write_text(target, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    executed.unlink()


def _refresh_git_index(path: Path, root: Path) -> None:
    """Tell git that an executed notebook is unchanged when its cleaned content equals the index.

    git trusts a changed file size over the clean filter (``git status`` would list the notebook
    as modified while ``git diff`` is empty); re-adding a file whose filtered blob is already in
    the index only refreshes git's stat cache and never stages a real edit.
    """

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    rel = path.relative_to(root).as_posix()
    if not git("config", "--get", "filter.nbclean.clean"):
        return
    staged = git("ls-files", "-s", "--", rel).split()
    if len(staged) >= 2 and git("hash-object", "--path", rel, "--", rel) == staged[1]:
        git("add", "--", rel)


def _ensure_clean_filter(root: Path) -> None:
    """Configure the clean filter in ``root``'s clone if ``make install`` has not (a fresh clone)."""
    if not (root / "tools" / "nbclean.py").is_file():
        return
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True)
    if top.returncode == 0 and Path(top.stdout.strip()).resolve() == root.resolve():
        nbclean.install_filter(root)


def _plan(profile: str, root: Path, only: list[str] | None, scheduler: str | None = None) -> list[tuple[Path, dict]]:
    """Each selected chapter with its parameters (the profile alone), all checked before anything runs:
    the chapter's ``parameters`` cell must declare ``profile``, and the settings of a chapter of this book
    are built for the profile by :func:`lstm_lib.settings.settings_for`, the call the chapter itself
    makes first (a chapter the settings do not know, such as a test's, checks itself when it runs)."""
    import papermill

    from lstm_lib.settings import CHAPTERS, settings_for

    if profile not in PROFILES:
        raise BookInputError(f"profile must be one of {PROFILES}, got {excerpt(profile)}")
    selected = chapters(root)
    stems = [p.stem for p in selected]
    if only:
        unknown = sorted(set(only) - set(stems))
        if unknown:
            raise BookInputError(f"--chapter {excerpt(unknown)} not in _toc.yml; chapters: {stems}")
        selected = [p for p in selected if p.stem in only]
    plan = [(path, _parameters(path.stem, profile, scheduler)) for path in selected]
    for path, parameters in plan:
        _read(path)
        if "profile" not in papermill.inspect_notebook(str(path)):
            raise BookInputError(f"chapter {path.stem}: its parameters cell must declare profile")
        try:
            if path.stem in CHAPTERS:
                settings_for(path.stem, profile, parameters.get("overrides"))
        except ValueError as exc:
            raise BookInputError(f"chapter {path.stem}, profile {profile}: {shorten(str(exc), MAX_ERROR)}") from None
    return plan


def _run(path: Path, parameters: dict, digest: str, root: Path) -> None:
    """Execute one chapter into ``.cache/book/`` and move it in place only if it succeeded.

    papermill gets the cleaned notebook (no outputs, no previous stamp), so nothing from an
    earlier run can pass for this one; a failure or an interrupt (Ctrl-C, a kill) leaves the
    chapter in place as it was, and the partial notebook is kept as ``<stem>.failed.ipynb``.
    """
    import nbformat
    import papermill

    work = root / WORK
    work.mkdir(parents=True, exist_ok=True)
    running, failed = work / f"{path.stem}.running.ipynb", work / f"{path.stem}.failed.ipynb"
    running.unlink(missing_ok=True)
    source = nbformat.from_dict(nbclean.clean(_read(path)))
    try:
        papermill.execute_notebook(
            source,
            str(running),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(path.parent),
            progress_bar=False,
            extra_arguments=KERNEL_ARGUMENTS,
            kernel_manager_class=_kernel_manager_class(),
        )
    except BaseException as exc:
        if running.exists():
            os.replace(running, failed)
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: stop, as asked
            raise
        where = f"; the failed execution is in {failed.relative_to(root)}" if failed.exists() else ""
        raise BookError(f"chapter {path.stem} failed: {_failure(exc)}{where}") from exc
    _finish(running, path, digest, parameters)
    failed.unlink(missing_ok=True)


LIBRARY_MARK = "[lstm_lib] "
"""Lines the library prints for the build log (:func:`lstm_lib.runs.records.report`): which committed
results a chapter used or why it retrained them."""


def library_lines(path: Path) -> list[str]:
    """The library's log lines in an executed chapter's output streams, without their mark (at most 20)."""
    lines = []
    for cell in _read(path).get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = "".join(output.get("text", ""))
                marked = [ln for ln in text.splitlines() if ln.startswith(LIBRARY_MARK)]
                lines += [ln[len(LIBRARY_MARK) :][:300] for ln in marked]
    return lines[:20]


def _parameters(stem: str, profile: str, scheduler: str | None) -> dict:
    """A chapter's papermill parameters: the profile, and the Dask scheduler as an override for the chapters
    whose settings take one (passed down, never through the environment)."""
    from lstm_lib.settings import CHAPTERS

    if scheduler and stem in CHAPTERS and "scheduler" in CHAPTERS[stem].names():
        return {"profile": profile, "overrides": {"scheduler": scheduler}}
    return {"profile": profile}


def execute(
    profile: str = "full",
    root: Path = ROOT,
    only: list[str] | None = None,
    force: bool = False,
    scheduler: str | None = None,
) -> float:
    """Run each chapter in place with papermill; stop at the first failure. Returns seconds taken.

    Every chapter's parameters are checked before the first one runs. A chapter whose source,
    parameters and library code are unchanged since its last successful execution (same
    :func:`stamp`) is not run again, unless ``force``.
    """
    root = Path(root)
    plan = _plan(profile, root, only, scheduler)
    _ensure_clean_filter(root)
    start = time.perf_counter()
    for path, chapter_params in plan:
        current = stamp(path, chapter_params)
        if not force and _executed_stamp(path) == current:
            print(f"[book] {path.stem}: cached (unchanged since its last execution)", flush=True)
            continue
        t0 = time.perf_counter()
        _run(path, chapter_params, current, root)
        _refresh_git_index(path, root)
        for line in library_lines(path):
            print(f"[book] {path.stem}: {line}", flush=True)
        print(f"[book] {path.stem}: executed in {time.perf_counter() - t0:.1f} s ({profile})", flush=True)
    seconds = time.perf_counter() - start
    print(f"[book] execution took {seconds:.1f} s", flush=True)
    return seconds


def build(root: Path = ROOT, out: Path | None = None, repository: str | None | EllipsisType = ...) -> float:
    """``jupyter-book build . -W -n --keep-going``: any warning fails. Returns seconds taken.

    The log shows Sphinx's warnings and errors only (the whole log when the build fails). The
    repository, issue and launch buttons come from :func:`repository_url` (``repository`` overrides
    it; ``None`` builds without them). ``out`` is the output folder (default: ``root``).
    """
    from lstm_lib.book import publish

    root = Path(root).resolve()
    start = time.perf_counter()
    try:
        url = publish.repository_url(root) if repository is ... else repository
    except ValueError as exc:
        raise BookError(str(exc)) from None
    out = root if out is None else Path(out)
    config = publish.write_config(root, url, out / "_build" / ".config" / "_config.yml")
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(root), "--config", str(config), "-W", "-n", "--keep-going"]
    if out != root:
        cmd += ["--path-output", str(out)]
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        print("\n".join(log.splitlines()[-80:]), file=sys.stderr, flush=True)
        raise BookError(f"jupyter-book build failed with exit code {result.returncode} (its log is above)")
    for line in publish.warnings_in(log):
        print(f"[book] {line}", flush=True)
    html = out / "_build" / "html"
    seconds = time.perf_counter() - start
    where = f"{url} buttons" if url else "no repository buttons (set LSTM_BOOK_REPOSITORY to add them)"
    print(f"[book] build: {seconds:.1f} s, {where}; open {html / 'index.html'}", flush=True)
    return seconds
