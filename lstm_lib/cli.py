"""Command-line interface: ``python -m lstm_lib book ...``."""

from __future__ import annotations

import argparse
import sys

from lstm_lib import book


def _book(args: argparse.Namespace) -> int:
    try:
        if not args.no_execute:
            book.execute(args.profile, only=args.chapter or None)
        if not args.no_build:
            book.build()
    except book.ChapterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lstm_lib", description="Predict time sequences with an LSTM.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("book", help="execute every chapter with papermill, then build the HTML book")
    p.add_argument("--profile", choices=book.PROFILES, default="full", help="parameter profile (default: full)")
    p.add_argument("--chapter", action="append", help="execute only this chapter (stem; repeatable)")
    p.add_argument("--no-execute", action="store_true", help="only build from the executed notebooks")
    p.add_argument("--no-build", action="store_true", help="only execute the chapters")
    p.set_defaults(func=_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
