"""A vanilla RNN written with plain tensor operations, with the contract of ``torch.nn.RNN``.

Autograd supplies the backward pass, and the module runs wherever its parameters live: CPU, CUDA
or Apple's MPS. Its parameters have torch's names and shapes, so ``load_state_dict`` moves weights
between this module and ``torch.nn.RNN`` in both directions, and ``torch.nn.RNN`` serves as the
oracle in the tests.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from course_lib._checks import NONLINEARITIES, check_positive_int

__all__ = ["RNN"]


class RNN(nn.Module):
    """Multi-layer Elman RNN: ``h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Parameters
    ----------
    input_size, hidden_size, num_layers, nonlinearity, bias, batch_first
        As in ``torch.nn.RNN``.
    device, dtype
        Where and in which precision to create the parameters.

    Attributes
    ----------
    weight_ih_l{k} : Parameter, shape (H, D_k)
    weight_hh_l{k} : Parameter, shape (H, H)
    bias_ih_l{k}, bias_hh_l{k} : Parameter, shape (H,), if ``bias``
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bool(bias), bool(batch_first)
        self.bidirectional = False
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            d_in = input_size if layer == 0 else hidden_size
            # Registered in torch's order so that state dicts list the same keys in the same order.
            self.register_parameter(
                f"weight_ih_l{layer}", nn.Parameter(torch.empty(hidden_size, d_in, **factory))
            )
            self.register_parameter(
                f"weight_hh_l{layer}", nn.Parameter(torch.empty(hidden_size, hidden_size, **factory))
            )
            if bias:
                for name in (f"bias_ih_l{layer}", f"bias_hh_l{layer}"):
                    self.register_parameter(name, nn.Parameter(torch.empty(hidden_size, **factory)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn.RNN`` does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"nonlinearity={self.nonlinearity!r}, bias={self.bias}, batch_first={self.batch_first}"
        )

    def _layer_forward(self, layer: int, x: Tensor, h: Tensor) -> Tensor:
        """One layer over the sequence: x (N, T, D_k), h (N, H) -> all hidden states (N, T, H)."""
        w_ih = getattr(self, f"weight_ih_l{layer}")
        w_hh = getattr(self, f"weight_hh_l{layer}")
        act = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        xw = x @ w_ih.T  # the input part of every step in one matrix product
        if self.bias:
            xw = xw + getattr(self, f"bias_ih_l{layer}") + getattr(self, f"bias_hh_l{layer}")
        steps = []
        for t in range(x.shape[1]):
            h = act(xw[:, t] + h @ w_hh.T)
            steps.append(h)
        return torch.stack(steps, dim=1)

    def forward(self, x: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run every layer over the sequence.

        Parameters
        ----------
        x : Tensor, shape (T, N, D), (N, T, D) if ``batch_first``, or (T, D) unbatched
        hx : Tensor, shape (num_layers, N, H) or (num_layers, H) unbatched, optional
            Initial hidden states; zeros if omitted.

        Returns
        -------
        output : Tensor, shape (T, N, H), (N, T, H) if ``batch_first``, or (T, H) unbatched
        h_n : Tensor, shape (num_layers, N, H) or (num_layers, H) unbatched
        """
        x, unbatched = self._check_input(x)
        hx = self._check_state(hx, x, unbatched)
        out, h_n = x, []
        for layer in range(self.num_layers):
            out = self._layer_forward(layer, out, hx[layer])
            h_n.append(out[:, -1])
        h_n_t = torch.stack(h_n)
        if unbatched:
            return out[0], h_n_t[:, 0]
        return (out if self.batch_first else out.transpose(0, 1)), h_n_t

    def _check_input(self, x: object) -> tuple[Tensor, bool]:
        """Return x as (N, T, D) and whether it was one unbatched sequence."""
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the parameters are {w.dtype}")
        if x.device != w.device:
            raise ValueError(f"x is on {x.device} but the parameters are on {w.device}")
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"x must have shape {layout} (or (T, D) unbatched) with D={self.input_size}, "
                f"got {tuple(x.shape)}"
            )
        if x.numel() == 0:
            raise ValueError(f"x must hold at least one step, got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("x contains NaN or infinite values; all must be finite")
        if x.dim() == 2:
            return x.unsqueeze(0), True
        return (x if self.batch_first else x.transpose(0, 1)), False

    def _check_state(self, hx: object, x: Tensor, unbatched: bool) -> Tensor:
        """Return hx as (num_layers, N, H), zeros if None."""
        L, N, H = self.num_layers, x.shape[0], self.hidden_size
        if hx is None:
            return x.new_zeros(L, N, H)
        if not isinstance(hx, Tensor):
            raise TypeError(f"hx must be a torch.Tensor or None, got {type(hx).__name__}")
        expected = (L, H) if unbatched else (L, N, H)
        if tuple(hx.shape) != expected:
            raise ValueError(f"hx must have shape {expected} (num_layers, N, H), got {tuple(hx.shape)}")
        if hx.dtype != x.dtype or hx.device != x.device:
            raise TypeError(
                f"hx must match x: dtype {x.dtype} on {x.device}, got {hx.dtype} on {hx.device}"
            )
        if not torch.isfinite(hx).all():
            raise ValueError("hx contains NaN or infinite values; all must be finite")
        return hx.unsqueeze(1) if unbatched else hx
