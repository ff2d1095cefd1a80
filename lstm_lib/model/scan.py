"""``theano.scan`` for our use: loop a step function over time and stack what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch


def scan(
    fn: Callable[..., Any],
    sequences: Sequence[torch.Tensor] = (),
    outputs_info: Sequence[torch.Tensor | None] = (),
    non_sequences: Sequence[Any] = (),
    n_steps: int | None = None,
) -> list[torch.Tensor]:
    """Call ``fn(*seq_t, *recurrent, *non_sequences)`` for each time step ``t``; stack the outputs.

    As in Theano: ``sequences`` are iterated along dim 1 (time; dim 0 is the batch);
    ``outputs_info[k]`` is the initial value of output ``k``, which is then fed back as the
    next call's argument, or ``None`` for an output that is not fed back; ``non_sequences``
    are passed unchanged to every call. ``n_steps`` is needed only when there are no
    sequences. Returns one tensor per output, stacked over time at dim 1.
    """
    steps = [seq.unbind(1) for seq in sequences]  # unbind, not seq[:, t]: see the speed notes
    lengths = {len(s) for s in steps}
    if len(lengths) > 1:
        raise ValueError(f"sequences must share their length (dim 1), got {sorted(lengths)}")
    if steps:
        length = lengths.pop()
        if n_steps is not None and n_steps != length:
            raise ValueError(f"n_steps ({n_steps}) must equal the sequences' length ({length})")
    elif n_steps is None or isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 0:
        raise ValueError(f"n_steps must be an int >= 0 when there are no sequences, got {n_steps!r}")
    else:
        length = n_steps
    recurrent = [init for init in outputs_info if init is not None]
    collected: list[list[torch.Tensor]] = [[] for _ in outputs_info]
    for t in range(length):
        out = fn(*(s[t] for s in steps), *recurrent, *non_sequences)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(out) != len(outputs_info):
            raise ValueError(f"fn returned {len(out)} outputs, outputs_info has {len(outputs_info)}")
        for k, value in enumerate(out):
            collected[k].append(value)
        recurrent = [value for value, init in zip(out, outputs_info, strict=True) if init is not None]
    if length == 0:
        raise ValueError("scan over zero steps has nothing to stack")
    return [torch.stack(values, dim=1) for values in collected]
