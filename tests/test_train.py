"""The training loop: it learns, it resumes exactly, it clips, it stops early."""

import pytest
import torch
from torch import nn

from course_lib.nn_torch import LSTM
from course_lib.train import History, evaluate, fit


class TinyRegressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = LSTM(2, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, 0:8]).squeeze(-1)


def mse(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def data(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, 2, generator=g)
    return x, x[:, :, 0].sum(1)  # target: the sum of the first feature


def shuffled(x, y, batch=4):
    def batches(epoch, generator):
        order = torch.randperm(len(x), generator=generator)
        return [(x[order[i : i + batch]], y[order[i : i + batch]]) for i in range(0, len(x), batch)]

    return batches


def test_overfits_a_tiny_batch():
    torch.manual_seed(0)
    model = TinyRegressor()
    x, y = data()
    history = fit(model, [(x, y)], mse, epochs=150, lr=0.02, progress="off")
    assert history.train_loss[-1] < 0.02 * history.train_loss[0]
    assert len(history.train_loss) == 150 and history.best_epoch == 149


def test_resume_gives_the_same_next_steps(tmp_path):
    x, y = data()
    torch.manual_seed(1)
    straight = TinyRegressor()
    fit(straight, shuffled(x, y), mse, epochs=4, progress="off", seed=3)

    torch.manual_seed(1)
    interrupted = TinyRegressor()
    ckpt = tmp_path / "run.pt"
    first = fit(interrupted, shuffled(x, y), mse, epochs=2, progress="off", seed=3, checkpoint=ckpt)
    torch.manual_seed(99)  # a different process: fresh weights, a different global seed
    resumed = TinyRegressor()
    history = fit(resumed, shuffled(x, y), mse, epochs=4, progress="off", seed=3, checkpoint=ckpt, resume=True)
    assert history.train_loss[:2] == first.train_loss
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_clipping_bounds_the_global_norm():
    torch.manual_seed(0)
    model = TinyRegressor()
    x, y = data()
    seen = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
            seen.append(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item())
            return super().step(closure)

    history = fit(model, [(x, y * 1000)], mse, epochs=3, optimizer=Spy(model.parameters(), lr=1e-6),
                  clip_norm=0.5, progress="off")
    assert max(history.grad_norm) > 0.5  # the raw gradient was larger ...
    assert max(seen) <= 0.5 + 1e-5  # ... and what the optimizer saw was clipped


def test_early_stopping_restores_the_best_weights():
    torch.manual_seed(0)
    model = TinyRegressor()
    x, y = data()
    xv, yv = data(seed=1)
    # A learning rate far too large makes validation worse quickly.
    history = fit(model, [(x, y)], mse, val=[(xv, yv)], epochs=50, lr=0.5, patience=2, progress="off")
    assert history.stopped_early
    assert len(history.val_loss) == history.best_epoch + 3
    assert evaluate(model, [(xv, yv)], mse) == pytest.approx(min(history.val_loss), rel=1e-5)


def test_metric_progress_lines_and_plot(capsys):
    import matplotlib

    matplotlib.use("Agg")
    torch.manual_seed(0)
    model = TinyRegressor()
    x, y = data()
    history = fit(model, [(x, y)], mse, val=[(x, y)], metric_fn=lambda m: 0.5, epochs=2, progress="lines")
    assert history.val_metric == [0.5, 0.5]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch   1/2  train ") and "val" in out[0] and "metric 0.5000" in out[0]
    ax = history.plot(title="curves")
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_bad_arguments(tmp_path):
    model = TinyRegressor()
    x, y = data()
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        fit(model, [(x, y)], mse, epochs=0)
    with pytest.raises(ValueError, match="patience needs validation data"):
        fit(model, [(x, y)], mse, patience=2)
    with pytest.raises(ValueError, match="progress must be"):
        fit(model, [(x, y)], mse, progress="fancy")
    with pytest.raises(ValueError, match="the training batches are empty"):
        fit(model, [], mse, progress="off")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="could not be resumed"):
        fit(model, [(x, y)], mse, checkpoint=bad, resume=True, progress="off")
    assert isinstance(History(), History)
