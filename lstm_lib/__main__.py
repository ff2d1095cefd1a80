"""``python -m lstm_lib``: see :mod:`lstm_lib.cli`."""

from lstm_lib.cli import main

raise SystemExit(main())
