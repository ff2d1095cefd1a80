"""The arithmetic a run ran on, recorded with every row, so a re-check knows what it may expect.

Across CPUs torch's floating-point results differ in the last bits: MKL picks a code path per CPU
model (``MKL_CBWR`` overrides it), ATen picks its vector kernels per CPU capability
(``ATEN_CPU_CAPABILITY`` overrides it), and the torch, MKL and oneDNN versions change kernels too.
Two runs with equal fingerprints are expected to be bit-identical; with different ones, only
within the tolerances of :mod:`lstm_lib.study.verify`.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache

import torch

SWITCHES = ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA")
"""Environment switches that change the arithmetic on the same machine."""


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux), or the architecture elsewhere."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def _build_versions() -> tuple[str, str]:
    """The MKL and oneDNN versions torch was built with (from ``torch.__config__.show()``)."""
    shown = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+?)(?:-Product|\s)", shown)
    onednn = re.search(r"MKL-DNN v([\w.]+)", shown)
    return (mkl.group(1) if mkl else "none"), (onednn.group(1) if onednn else "none")


def fingerprint(threads: int, device: str = "cpu") -> dict[str, str | int]:
    """What the arithmetic of a run on ``threads`` torch threads on ``device`` depends on."""
    mkl, onednn = _build_versions()
    on_gpu = device.startswith("cuda") and torch.cuda.is_available()
    return {
        "torch": torch.__version__,
        "capability": torch.backends.cpu.get_cpu_capability(),
        "mkl": mkl,
        "onednn": onednn,
        "cpu": cpu_model(),
        "device": torch.cuda.get_device_name() if on_gpu else "cpu",
        "threads": threads,
        **{name: os.environ.get(name, "") for name in SWITCHES},
    }


def fingerprint_text(threads: int, device: str = "cpu") -> str:
    """:func:`fingerprint` as one JSON string (keys sorted), the form a row and a cache entry keep."""
    return json.dumps(fingerprint(threads, device), sort_keys=True)


def describe_difference(recorded: str, current: str) -> str:
    """The fields in which two fingerprints differ, e.g. ``cpu: AMD EPYC -> Intel Xeon``; empty if equal."""
    try:
        old, new = json.loads(recorded), json.loads(current)
    except (TypeError, ValueError):
        return "the recorded fingerprint is unreadable"
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return "; ".join(f"{k}: {old.get(k, '?')!s:.40} -> {new.get(k, '?')!s:.40}" for k in changed)
