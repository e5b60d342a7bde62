"""One small training loop for every page and assignment of the course.

:func:`fit` trains a ``torch.nn.Module`` with a loss that you write as a function of the model and
a batch. It picks the device (CUDA, then Apple MPS, then the CPU), seeds everything it draws,
clips the gradient's global norm, validates after every epoch, stops early when validation stops
improving (and restores the best weights), saves a checkpoint that a later call resumes from
exactly, and returns a :class:`History` that plots as learning curves. Progress is a tqdm bar in a
terminal and one plain line per epoch elsewhere (logs, CI, a built book).
"""

from __future__ import annotations

import math
import pickle
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from course_lib.nn_torch import pick_device

__all__ = ["History", "fit", "evaluate", "to_device"]

Batch = Any
Batches = Iterable[Batch] | Callable[[int, torch.Generator], Iterable[Batch]]
LossFn = Callable[[nn.Module, Batch], torch.Tensor]


@dataclass
class History:
    """What happened during :func:`fit`, one entry per epoch.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss of each epoch (mean over batches).
    val_loss : list of float
        Validation loss after each epoch (empty without validation data).
    val_metric : list of float
        The optional metric after each epoch.
    grad_norm : list of float
        Largest global gradient norm seen in each epoch, before clipping.
    best_epoch : int
        Epoch (0-based) with the lowest validation loss, or the last epoch without validation.
    stopped_early : bool
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False

    def plot(self, ax=None, title: str | None = None):
        """Learning curves: training and validation loss against epoch. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        epochs = range(1, len(self.train_loss) + 1)
        marker = {"marker": "o"} if len(self.train_loss) <= 40 else {}  # markers clutter long runs
        ax.plot(epochs, self.train_loss, **marker, label="training loss")
        if self.val_loss:
            ax.plot(epochs, self.val_loss, **marker, label="validation loss")
            ax.axvline(self.best_epoch + 1, color="grey", linestyle=":", label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if title:
            ax.set_title(title)
        ax.legend()
        return ax


def to_device(batch: Batch, device: torch.device) -> Batch:
    """Move every tensor of a (possibly nested) tuple, list or dict batch to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _batches(source: Batches, epoch: int, generator: torch.Generator) -> Iterable[Batch]:
    return source(epoch, generator) if callable(source) else source


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable[Batch], loss_fn: LossFn, device=None) -> float:
    """Mean of ``loss_fn`` over ``batches`` in evaluation mode (no dropout, no gradients)."""
    device = pick_device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    losses = [float(loss_fn(model, to_device(b, device))) for b in batches]
    model.train(was_training)
    if not losses:
        raise ValueError("batches is empty: nothing to evaluate")
    return sum(losses) / len(losses)


class _Progress:
    """A tqdm bar in a terminal; otherwise one plain line per epoch (nothing per batch)."""

    def __init__(self, epochs: int, mode: str) -> None:
        if mode not in ("auto", "bar", "lines", "off"):
            raise ValueError(f"progress must be 'auto', 'bar', 'lines' or 'off', got {mode!r}")
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "lines"
        self.mode, self.bar = mode, None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=epochs, unit="epoch")

    def epoch(self, epoch: int, epochs: int, stats: dict[str, float]) -> None:
        text = "  ".join(f"{k} {v:.4f}" for k, v in stats.items())
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.update(1)
        elif self.mode == "lines":
            print(f"epoch {epoch + 1:>3}/{epochs}  {text}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def fit(
    model: nn.Module,
    train: Batches,
    loss_fn: LossFn,
    *,
    val: Iterable[Batch] | None = None,
    metric_fn: Callable[[nn.Module], float] | None = None,
    epochs: int = 10,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    clip_norm: float | None = 1.0,
    patience: int | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: str = "auto",
) -> History:
    """Train ``model`` and return its :class:`History`.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to the chosen device.
    train : iterable of batches, or callable ``(epoch, generator) -> iterable of batches``
        The callable form gets a ``torch.Generator`` seeded from ``seed`` and the epoch, so that
        shuffling is reproducible and a resumed run sees the same batches as an uninterrupted one.
    loss_fn : callable ``(model, batch) -> scalar tensor``
        Computes the loss of one batch (already on the device).
    val : iterable of batches, optional
        Validation batches, scored with ``loss_fn`` after every epoch.
    metric_fn : callable ``(model) -> float``, optional
        Any extra number to record after every epoch (accuracy, say), in evaluation mode.
    epochs : int
        Maximum number of epochs.
    optimizer : torch.optim.Optimizer, optional
        Defaults to Adam with learning rate ``lr``.
    clip_norm : float or None
        Clip the global gradient norm to this value (None: no clipping).
    patience : int, optional
        Stop after this many epochs without a lower validation loss, and restore the best weights.
    device : str or torch.device, optional
        Defaults to :func:`course_lib.nn_torch.pick_device` (CUDA, MPS, CPU).
    seed : int
        Seeds torch's generator (initialisation done after this call, dropout) and the data order.
    checkpoint : path, optional
        Saved after every epoch: model, optimizer, history, epoch and random state.
    resume : bool
        If ``checkpoint`` exists, continue from it (the result equals an uninterrupted run).
    progress : {"auto", "bar", "lines", "off"}

    Returns
    -------
    History
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if patience is not None and val is None:
        raise ValueError("patience needs validation data: pass val=...")
    device = pick_device(device)
    torch.manual_seed(seed)
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history, start, best_state = History(), 0, None
    if resume and checkpoint is not None and Path(checkpoint).exists():
        start, history, best_state = _load(checkpoint, model, optimizer)
    bar = _Progress(epochs, progress)
    try:
        for epoch in range(start, epochs):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            _train_epoch(model, _batches(train, epoch, generator), loss_fn, optimizer, clip_norm, device, history)
            stats = {"train": history.train_loss[-1]}
            if val is not None:
                history.val_loss.append(evaluate(model, val, loss_fn, device))
                stats["val"] = history.val_loss[-1]
                if history.val_loss[-1] <= min(history.val_loss):
                    history.best_epoch = epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                history.best_epoch = epoch
            if metric_fn is not None:
                model.eval()
                with torch.no_grad():
                    history.val_metric.append(float(metric_fn(model)))
                model.train()
                stats["metric"] = history.val_metric[-1]
            bar.epoch(epoch, epochs, stats)
            stop = patience is not None and epoch - history.best_epoch >= patience
            if checkpoint is not None:
                _save(checkpoint, model, optimizer, history, epoch + 1, best_state)
            if stop:
                history.stopped_early = True
                break
    finally:
        bar.close()
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history


def _train_epoch(model, batches, loss_fn, optimizer, clip_norm, device, history) -> None:
    model.train()
    total, count, largest = 0.0, 0, 0.0
    for batch in batches:
        loss = loss_fn(model, to_device(batch, device))
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss.item()} after {count} batches; lower lr or clip")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, clip_norm if clip_norm else math.inf)
        largest = max(largest, float(norm))
        optimizer.step()
        total += float(loss.detach())
        count += 1
    if count == 0:
        raise ValueError("the training batches are empty")
    history.train_loss.append(total / count)
    history.grad_norm.append(largest)


def _save(path, model, optimizer, history, next_epoch, best_state) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "history": asdict(history),
            "next_epoch": next_epoch,
            "best_state": best_state,
            "torch_rng": torch.get_rng_state(),
        },
        tmp,
    )
    tmp.replace(path)  # never leave a half-written checkpoint behind


def _load(path, model, optimizer):
    try:
        state = torch.load(path, map_location=next(model.parameters()).device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"].cpu())
        return state["next_epoch"], History(**state["history"]), state["best_state"]
    except (KeyError, RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:
        raise ValueError(f"checkpoint {path} could not be resumed: {err}") from err
