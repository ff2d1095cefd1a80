"""``theano.scan`` for PyTorch tensors: loop a step function over axis 0 and stack what it returns.

Written to Theano's semantics so that the article's ``theano.scan(lstm, ...)`` call ports as it
stands; the differences that remain are listed in :func:`scan`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def _as_list(value: Any) -> list:
    """Theano accepts one item wherever it accepts a list: ``None`` is none, a non-list is one."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _taps(name: str, taps: Any, allow_future: bool) -> list[int]:
    taps = _as_list(taps)
    if not taps or any(isinstance(k, bool) or not isinstance(k, int) for k in taps):
        raise ValueError(f"{name} taps must be a non-empty list of ints, got {taps!r}")
    if not allow_future and max(taps) >= 0:
        raise ValueError(f"{name} taps must all be < 0 (past values of the output), got {taps}")
    return taps


def _sequence(k: int, seq: Any) -> tuple[torch.Tensor, list[int]]:
    if isinstance(seq, dict):
        unknown = set(seq) - {"input", "taps"}
        if unknown or "input" not in seq:
            raise ValueError(f"sequences[{k}] as a dict needs 'input' and optional 'taps', got keys {sorted(seq)}")
        seq, taps = seq["input"], _taps(f"sequences[{k}]", seq.get("taps", [0]), True)
    else:
        taps = [0]
    if not isinstance(seq, torch.Tensor) or seq.dim() < 1:
        raise ValueError(f"sequences[{k}] must be a tensor with time along axis 0, got {type(seq).__name__}")
    return seq, taps


def _output(k: int, info: Any) -> tuple[torch.Tensor | None, list[int]]:
    if isinstance(info, dict):
        unknown = set(info) - {"initial", "taps"}
        if unknown:
            raise ValueError(f"outputs_info[{k}] as a dict takes 'initial' and 'taps', got keys {sorted(info)}")
        init = info.get("initial")
        if init is None:
            return None, []
        taps = _taps(f"outputs_info[{k}]", info.get("taps", [-1]), False)
        if taps == [-1]:  # as Theano: the plain case, ``initial`` is the value at t - 1 itself
            return _output(k, init)
        if not isinstance(init, torch.Tensor) or init.dim() < 1 or init.shape[0] < -min(taps):
            raise ValueError(
                f"outputs_info[{k}]['initial'] must hold at least {-min(taps)} past values along axis 0 "
                f"for taps {taps}, got {tuple(init.shape) if isinstance(init, torch.Tensor) else type(init).__name__}"
            )
        return init[: -min(taps)], taps
    if info is None:
        return None, []
    if not isinstance(info, torch.Tensor):
        raise ValueError(f"outputs_info[{k}] must be a tensor, a dict or None, got {type(info).__name__}")
    return info.unsqueeze(0), [-1]


def _tap_slice(seq: torch.Tensor, k: int, taps: list[int], backwards: bool) -> torch.Tensor:
    """What tap ``k`` reads at each step, as Theano cuts it: every step has all its taps in range;
    ``go_backwards`` reverses each cut, so the steps run from the sequence's own end."""
    low, high = min(min(taps), 0), max(max(taps), 0)
    cut = seq[k - low : len(seq) - (high - k)]
    return cut.flip(0) if backwards else cut


def _check_steps(n_steps: Any, seqs: list[tuple[torch.Tensor, list[int]]]) -> int:
    lengths = [len(s) - (max(max(t), 0) - min(min(t), 0)) for s, t in seqs]
    if n_steps is not None and (isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1):
        raise ValueError(f"n_steps must be an int >= 1 or None, got {n_steps!r}")
    if not seqs and n_steps is None:
        raise ValueError("n_steps is needed when there are no sequences (an int >= 1)")
    if seqs and min(lengths) < 1:
        raise ValueError(f"sequences must leave at least 1 step after their taps, got {lengths} steps")
    if seqs and n_steps is not None and n_steps > min(lengths):
        raise ValueError(f"n_steps ({n_steps}) must be <= the shortest sequence's number of steps ({min(lengths)})")
    return min([*lengths, *([n_steps] if n_steps is not None else [])])


def scan(
    fn: Callable[..., Any],
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: int | None = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    return_list: bool = False,
) -> tuple[torch.Tensor | list[torch.Tensor], dict]:
    """``theano.scan``: ``outputs, updates = scan(fn, sequences, outputs_info, non_sequences, n_steps)``.

    Time runs along axis 0 of every sequence. At step ``t``, ``fn`` receives, in Theano's order:
    each sequence's slice (or, for ``dict(input=s, taps=[...])``, ``s[t + k]`` for each tap ``k``,
    shifted as Theano shifts it so that every tap is in range), then each fed-back output's past
    values (a tensor in ``outputs_info`` is the value at ``t - 1`` before step 0;
    ``dict(initial=v, taps=[-2, -1])`` feeds ``t - 2`` and ``t - 1``, the first 2 rows of ``v``
    along axis 0 being the values before step 0; with ``taps=[-1]``, ``v`` is the value itself),
    then ``non_sequences``. ``None`` in ``outputs_info``, or leaving it out
    (a map), collects an output without feeding it back. One item is accepted wherever a list is.
    The number of steps is the shortest sequence's, or ``n_steps`` if that is smaller (a larger one is
    an error, as in Theano). ``go_backwards`` reads every sequence from its own end. Returns the
    outputs stacked along a new axis 0 (one output bare, several as a list, or always a list with
    ``return_list``) and ``updates``, always an empty dict.

    Differences from Theano: eager, not symbolic (``fn`` runs on tensors; gradients come from
    autograd); ``fn`` must return only its outputs (no updates dict, no ``until`` condition);
    ``truncate_gradient`` other than -1 and ``n_steps`` of 0 or negative are refused; ``mode``,
    ``name``, ``profile``, ``strict`` and ``allow_gc`` are not taken; sequences and initial values
    must be torch tensors (Theano also converts numpy arrays), while non_sequences may be any Python
    object (the library passes its ``Spec``).
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    if truncate_gradient != -1:
        raise ValueError(f"truncate_gradient is not implemented: only -1 (full gradient), got {truncate_gradient!r}")
    if not isinstance(go_backwards, bool):
        raise ValueError(f"go_backwards must be a bool, got {go_backwards!r}")
    seqs = [_sequence(k, s) for k, s in enumerate(_as_list(sequences))]
    outs = [_output(k, o) for k, o in enumerate(_as_list(outputs_info))]
    fixed = _as_list(non_sequences)
    length = _check_steps(n_steps, seqs)
    slices = [[_tap_slice(s, k, t, go_backwards).unbind(0) for k in t] for s, t in seqs]  # unbind: speed notes
    past = [list(init.unbind(0)) if init is not None else [] for init, _ in outs]
    collected: list[list[torch.Tensor]] | None = [[] for _ in outs] if outs else None
    for t in range(length):
        args = [sl[t] for taps in slices for sl in taps]
        args += [past[j][len(past[j]) + k] for j, (_, taps) in enumerate(outs) for k in taps]
        out = fn(*args, *fixed)
        if isinstance(out, dict):
            raise ValueError("fn returned a dict: updates are not implemented; return the outputs only")
        out = list(out) if isinstance(out, (tuple, list)) else [out]
        if collected is None:  # outputs_info left out: a map, nothing fed back
            outs, past, collected = [(None, [])] * len(out), [[] for _ in out], [[] for _ in out]
        if len(out) != len(outs):
            raise ValueError(f"fn returned {len(out)} outputs, outputs_info has {len(outs)}")
        for j, value in enumerate(out):
            collected[j].append(value)
            if outs[j][1]:
                past[j].append(value)
    stacked = [torch.stack(values) for values in collected or []]
    return (stacked[0] if len(stacked) == 1 and not return_list else stacked), {}
