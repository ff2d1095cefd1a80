"""The shapes of the article's LSTM and the layout of its packed parameter vector ``W``.

The article keeps every parameter in one flat vector ``W`` and unzips it inside the kernel.
:class:`Spec` owns that layout, so the kernel, the fused backend, the optimisers and the
book's layout figure all read the same slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

GATES: tuple[str, ...] = ("input", "forget", "cell", "output")
"""Gate order inside every 4*n_hidden block: PyTorch's i, f, g, o."""


class Params(NamedTuple):
    """Named views into a packed ``W`` (no copies: writing to a view writes to ``W``)."""

    w_ih: torch.Tensor  # (4*n_hidden, n_in): input -> gates
    w_hh: torch.Tensor  # (4*n_hidden, n_hidden): previous hidden -> gates
    b: torch.Tensor  # (4*n_hidden,): gate biases (PyTorch's two biases summed)
    w_out: torch.Tensor  # (n_out, n_hidden): hidden -> output (the readout)
    b_out: torch.Tensor  # (n_out,): readout bias


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")


@dataclass(frozen=True)
class Spec:
    """Shapes of the network: ``n_in`` inputs, ``n_hidden`` LSTM units, ``n_out`` outputs."""

    n_in: int = 1
    n_hidden: int = 51
    n_out: int = 1

    def __post_init__(self) -> None:
        for name in ("n_in", "n_hidden", "n_out"):
            _check_positive_int(name, getattr(self, name))

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each named block, in the order the blocks are stored in ``W``."""
        g, h = 4 * self.n_hidden, self.n_hidden
        return {
            "w_ih": (g, self.n_in),
            "w_hh": (g, h),
            "b": (g,),
            "w_out": (self.n_out, h),
            "b_out": (self.n_out,),
        }

    @property
    def offsets(self) -> dict[str, tuple[int, int]]:
        """``name -> (start, stop)`` of each block inside ``W``."""
        out, start = {}, 0
        for name, shape in self.shapes.items():
            stop = start + int(torch.Size(shape).numel())
            out[name] = (start, stop)
            start = stop
        return out

    @property
    def size(self) -> int:
        """Length of the packed vector ``W``."""
        return self.offsets["b_out"][1]

    def gate_rows(self, gate: str) -> slice:
        """Rows of ``w_ih``, ``w_hh`` and ``b`` that belong to ``gate`` (one of :data:`GATES`)."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        k = GATES.index(gate)
        return slice(k * self.n_hidden, (k + 1) * self.n_hidden)

    def _check_w(self, W: torch.Tensor) -> None:
        if not isinstance(W, torch.Tensor) or W.dim() != 1 or W.numel() != self.size:
            shape = tuple(W.shape) if isinstance(W, torch.Tensor) else type(W).__name__
            raise ValueError(f"W must be a 1-D tensor of length spec.size={self.size}, got {shape}")

    def unpack(self, W: torch.Tensor) -> Params:
        """Named views into ``W``; gradients flow from the views back to ``W``."""
        self._check_w(W)
        views = {name: W[start:stop].view(self.shapes[name]) for name, (start, stop) in self.offsets.items()}
        return Params(**views)

    def pack(self, parts: Params | dict[str, torch.Tensor]) -> torch.Tensor:
        """Inverse of :meth:`unpack`: concatenate the named blocks into a new flat ``W``."""
        parts = parts._asdict() if isinstance(parts, Params) else dict(parts)
        if set(parts) != set(self.shapes):
            raise ValueError(f"parts must have exactly the keys {list(self.shapes)}, got {sorted(parts)}")
        flat = []
        for name, shape in self.shapes.items():
            t = parts[name]
            if tuple(t.shape) != shape:
                raise ValueError(f"parts[{name!r}] must have shape {shape}, got {tuple(t.shape)}")
            flat.append(t.reshape(-1))
        return torch.cat(flat)

    @classmethod
    def from_modules(cls, cell: torch.nn.LSTMCell, readout: torch.nn.Linear) -> Spec:
        """The spec matching a PyTorch ``LSTMCell`` followed by a ``Linear`` readout."""
        if readout.in_features != cell.hidden_size:
            raise ValueError(
                f"readout.in_features ({readout.in_features}) must equal cell.hidden_size ({cell.hidden_size})"
            )
        return cls(cell.input_size, cell.hidden_size, readout.out_features)

    def from_torch(self, cell: torch.nn.LSTMCell, readout: torch.nn.Linear) -> torch.Tensor:
        """Pack PyTorch's weights into a new ``W`` (same gate order; the two biases summed)."""
        if Spec.from_modules(cell, readout) != self:
            raise ValueError(f"modules have shapes {Spec.from_modules(cell, readout)}, spec is {self}")
        with torch.no_grad():
            b = cell.bias_ih + cell.bias_hh if cell.bias else torch.zeros(4 * self.n_hidden, dtype=cell.weight_ih.dtype)
            b_out = readout.bias if readout.bias is not None else torch.zeros(self.n_out, dtype=b.dtype)
            return self.pack(
                Params(
                    cell.weight_ih.detach(),
                    cell.weight_hh.detach(),
                    b.detach(),
                    readout.weight.detach(),
                    b_out.detach(),
                )
            ).clone()
