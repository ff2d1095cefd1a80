"""Execute every chapter with papermill, in place and in table-of-contents order, then build the book."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
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


def _hide_injected(path: Path) -> None:
    """Give papermill's injected-parameters cell the tag that removes it from the rendered page."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def execute(profile: str = "full", root: Path = ROOT, only: list[str] | None = None) -> float:
    """Run each chapter in place with papermill; stop at the first failure. Returns seconds taken."""
    import papermill

    params = profile_parameters(profile, root)
    start = time.perf_counter()
    for path in chapters(root):
        if only and path.stem not in only:
            continue
        chapter_params = {"profile": profile, **params.get(path.stem, {})}
        t0 = time.perf_counter()
        print(f"[book] executing {path.relative_to(root)} ({profile})", flush=True)
        try:
            papermill.execute_notebook(
                str(path),
                str(path),
                parameters=chapter_params,
                kernel_name="python3",
                cwd=str(path.parent),
                progress_bar=False,
            )
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
            raise ChapterError(f"chapter {path.stem} failed: {exc}") from exc
        finally:
            _hide_injected(path)
        print(f"[book] {path.stem}: {time.perf_counter() - t0:.1f} s", flush=True)
    seconds = time.perf_counter() - start
    print(f"[book] execution took {seconds:.1f} s", flush=True)
    return seconds


def build(root: Path = ROOT) -> float:
    """``jupyter-book build . -W -n --keep-going``: any warning fails. Returns seconds taken."""
    start = time.perf_counter()
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(root), "-W", "-n", "--keep-going"]
    result = subprocess.run(cmd, cwd=root)
    if result.returncode != 0:
        raise ChapterError(f"jupyter-book build failed with exit code {result.returncode}")
    seconds = time.perf_counter() - start
    print(f"[book] build took {seconds:.1f} s", flush=True)
    return seconds
