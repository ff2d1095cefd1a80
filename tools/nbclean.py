"""The git clean filter for chapters/*.ipynb, runnable by any python3: standard library only.

git runs it from the repository root (``python3 tools/nbclean.py --stdin --path %f``). It loads
``lstm_lib/book/nbclean.py`` by file path, not through the ``lstm_lib`` package, so no torch
import, no .venv and no absolute path are needed: the filter survives a moved clone.
"""

import importlib.util
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "lstm_lib" / "book" / "nbclean.py"

spec = importlib.util.spec_from_file_location("nbclean", SOURCE)
nbclean = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nbclean)

if __name__ == "__main__":
    sys.exit(nbclean.main())
