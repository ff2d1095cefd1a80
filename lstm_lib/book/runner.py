"""Execute every chapter with papermill, in place and in table-of-contents order, then build the book."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from types import EllipsisType

import yaml

from lstm_lib import sources

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("quick", "full")


class ChapterError(RuntimeError):
    """A chapter's execution failed; names the chapter."""


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


def profile_parameters(profile: str, root: Path = ROOT) -> dict[str, dict]:
    """``chapter stem -> parameters`` for a profile; ``full`` is the notebooks' own defaults."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    path = root / "chapters" / "params" / f"{profile}.yaml"
    if not path.exists():
        return {}
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path} must map chapter names to parameter mappings")
    return values


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
"""The kernel's log to the terminal keeps its errors only: its transport notice ("running over TCP
without encryption", a local kernel) would otherwise print once per chapter. Cell output is untouched."""

STAMP_KEY = "lstm_lib_stamp"


def stamp(path: Path, parameters: dict) -> str:
    """Hash of what a chapter's outputs depend on: its cells, its parameters and the lstm_lib code it reaches."""
    from lstm_lib.book import nbclean

    nb = nbclean.clean(json.loads(path.read_text(encoding="utf-8")))
    digest = hashlib.sha256(nbclean.dumps(nb).encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    digest.update(sources.code_hash(sources.imported_modules(_python_only(code))).encode())
    return digest.hexdigest()


def _python_only(code: str) -> str:
    """Notebook code without IPython's magics and shell escapes, so ``ast`` can parse it."""
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))


def _executed_stamp(path: Path) -> str | None:
    """The stamp of the chapter's last successful execution (stripping the outputs removes it too)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb.get("metadata", {}).get(STAMP_KEY)


def _after_execution(path: Path, stamp_value: str | None) -> None:
    """Hide papermill's injected-parameters cell from the rendered page and, after a success, record the stamp."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    if stamp_value is not None:
        nb.setdefault("metadata", {})[STAMP_KEY] = stamp_value
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


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


def execute(profile: str = "full", root: Path = ROOT, only: list[str] | None = None, force: bool = False) -> float:
    """Run each chapter in place with papermill; stop at the first failure. Returns seconds taken.

    A chapter whose source, parameters and library code are unchanged since its last successful
    execution (same :func:`stamp`) is not run again, unless ``force``.
    """
    import papermill

    params = profile_parameters(profile, root)
    selected = chapters(root)
    if only:
        unknown = sorted(set(only) - {p.stem for p in selected})
        if unknown:
            raise ChapterError(f"--chapter {unknown} not in _toc.yml; chapters: {[p.stem for p in selected]}")
        selected = [p for p in selected if p.stem in only]
    plan = [(path, {"profile": profile, **params.get(path.stem, {})}) for path in selected]
    for path, chapter_params in plan:  # a typo in a profile fails before any chapter runs
        known = set(papermill.inspect_notebook(str(path)))
        unknown = sorted(set(chapter_params) - known)
        if unknown:
            raise ChapterError(f"chapter {path.stem}: unknown parameter(s) {unknown}; its parameters: {sorted(known)}")
    start = time.perf_counter()
    for path, chapter_params in plan:
        current = stamp(path, chapter_params)
        if not force and _executed_stamp(path) == current:
            print(f"[book] {path.stem}: cached (unchanged since its last execution)", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(path),
                str(path),
                parameters=chapter_params,
                kernel_name="python3",
                cwd=str(path.parent),
                progress_bar=False,
                extra_arguments=KERNEL_ARGUMENTS,
            )
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
            _after_execution(path, None)
            raise ChapterError(f"chapter {path.stem} failed: {exc}") from exc
        _after_execution(path, current)
        _refresh_git_index(path, root)
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
        raise ChapterError(str(exc)) from None
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
        raise ChapterError(f"jupyter-book build failed with exit code {result.returncode} (its log is above)")
    for line in publish.warnings_in(log):
        print(f"[book] {line}", flush=True)
    html = out / "_build" / "html"
    seconds = time.perf_counter() - start
    where = f"{url} buttons" if url else "no repository buttons (set LSTM_BOOK_REPOSITORY to add them)"
    print(f"[book] build: {seconds:.1f} s, {where}; open {html / 'index.html'}", flush=True)
    return seconds
