"""Same parameters, same results: a chapter executed twice gives bit-identical glued values and files.

Each notebook is copied into a fresh folder (the repository's files are never touched) and executed
twice with papermill, with its own empty experiment cache each time (``LSTM_LIB_CACHE``), so the
second run recomputes instead of reading the first run's results. Compared: every value the
notebook glues (myst-nb ``glue``: outputs with ``scrapbook`` metadata, all mime types, figures
included) and the bytes of every file it writes next to itself (``figures/``, ``results/``, ...).
Wall-clock timings are measurements, not results, and are left out: glued names matching
:data:`TIMING`, and a checkpoint's ``seconds``/``wall_seconds`` (a ``.pt`` checkpoint is compared
field by field, everything else bit for bit; :func:`lstm_lib.save` itself writes equal results
as equal bytes).

Runs on a small notebook written here (always) and on the quick chapters in :data:`CHAPTERS` that exist.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from lstm_lib import load

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["01_lstm_cell"]
"""Quick chapters checked (a few seconds each with the quick profile)."""
TIMING = re.compile(r"seconds|timing|_time|speed|per_step|wall", re.IGNORECASE)

TINY_NOTEBOOK = [
    ("code", 'profile = "full"\nseed = 0\niterations = 5', ["parameters"]),
    (
        "code",
        "from pathlib import Path\n"
        "import matplotlib.pyplot as plt\n"
        "from myst_nb import glue\n"
        "from lstm_lib import TrainConfig, save, train\n"
        "from lstm_lib.figures.style import save as save_figure, use_style\n"
        "from lstm_lib.runs.task import WaveTask\n"
        "use_style()\n"
        "task = WaveTask.make(n_train=3, length=30)\n"
        "config = TrainConfig(iterations=iterations, n_hidden=6, seed=seed, method='denoising')\n"
        "result = train(config, task.train_data(seed), progress=False)\n"
        "glue('final_mse', result.final_mse, display=False)\n"
        "glue('last_loss', result.history[-1].item(), display=False)\n"
        "glue('w_sum', float(result.W.sum()), display=False)\n"
        "glue('train_seconds', result.wall_seconds, display=False)\n"
        "fig, ax = plt.subplots()\n"
        "ax.plot(result.history.numpy())\n"
        "ax.set_xlabel('iteration')\n"
        "ax.set_ylabel('squared error')\n"
        "save_figure(fig, 'loss')\n"
        "glue('fig_loss', fig, display=False)\n"
        "save(result, Path('results') / 'model.pt')",
        [],
    ),
]


def _tiny_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in TINY_NOTEBOOK:
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def glued(path: Path) -> dict[str, dict]:
    """``name -> mime bundle`` of every value the notebook glued (myst-nb stores them as display outputs)."""
    nb = nbformat.read(path, as_version=4)
    values: dict[str, dict] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta and "name" in meta:
                values[meta["name"]] = dict(output.get("data", {}))
    return values


def _fingerprint(path: Path) -> str:
    """sha256 of the file's bytes; of a checkpoint's results, without its wall-clock timings."""
    if path.suffix == ".pt":
        try:
            result = load(path)
        except ValueError:  # not a lstm_lib checkpoint: compare its bytes
            pass
        else:
            digest = hashlib.sha256()
            for tensor in (result.W, result.history):
                digest.update(str((tensor.dtype, tuple(tensor.shape))).encode() + tensor.numpy().tobytes())
            meta = [result.config.to_dict(), result.spec.size, repr(result.final_mse), result.evaluations, result.extra]
            digest.update(json.dumps(meta, sort_keys=True).encode())
            return digest.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def written_files(folder: Path, notebook: Path) -> dict[str, str]:
    """``relative path -> fingerprint`` of every file in ``folder`` except the notebook itself."""
    return {
        p.relative_to(folder).as_posix(): _fingerprint(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p != notebook and ".ipynb_checkpoints" not in p.parts
    }


def execute_twice(source: Path, parameters: dict, tmp_path: Path, monkeypatch) -> list[tuple[dict, dict]]:
    import papermill

    runs = []
    for k in range(2):
        folder = tmp_path / f"run{k}"
        (folder / "figures").mkdir(parents=True)
        notebook = folder / source.name
        shutil.copy(source, notebook)
        monkeypatch.setenv("LSTM_LIB_CACHE", str(tmp_path / f"cache{k}"))
        papermill.execute_notebook(
            str(notebook),
            str(notebook),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(folder),
            progress_bar=False,
        )
        runs.append((glued(notebook), written_files(folder, notebook)))
    return runs


def assert_identical(runs: list[tuple[dict, dict]], name: str) -> None:
    (glue_a, files_a), (glue_b, files_b) = runs
    assert glue_a, f"{name} glued nothing: nothing to compare"
    assert sorted(glue_a) == sorted(glue_b), f"{name}: the two runs glued different names"
    differ = [key for key in glue_a if not TIMING.search(key) and glue_a[key] != glue_b[key]]
    assert not differ, f"{name}: glued values differ between two runs with the same parameters: {differ}"
    assert files_a, f"{name} wrote no files: nothing to compare"
    assert sorted(files_a) == sorted(files_b), f"{name}: the two runs wrote different files"
    differ = [path for path in files_a if files_a[path] != files_b[path]]
    assert not differ, f"{name}: files differ in bytes between two runs with the same parameters: {differ}"


def test_tiny_notebook_is_bit_identical(tmp_path: Path, monkeypatch) -> None:
    source = _tiny_notebook(tmp_path)
    runs = execute_twice(source, {"profile": "quick", "iterations": 4, "seed": 2}, tmp_path, monkeypatch)
    glue_a, files_a = runs[0]
    assert {"final_mse", "last_loss", "w_sum", "fig_loss"} <= set(glue_a)
    assert any("image/png" in mime for mime in glue_a["fig_loss"]), "the glued figure has no PNG"
    assert {"figures/loss.png", "results/model.pt"} <= set(files_a)
    assert_identical(runs, "tiny notebook")


@pytest.mark.parametrize("stem", CHAPTERS)
def test_quick_chapter_is_bit_identical(stem: str, tmp_path: Path, monkeypatch) -> None:
    source = ROOT / "chapters" / f"{stem}.ipynb"
    parameters = {"profile": "quick"}
    assert_identical(execute_twice(source, parameters, tmp_path, monkeypatch), stem)
