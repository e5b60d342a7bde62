"""Forward + backward time of the course's vanilla RNNs, relative to ``torch.nn.RNN``.

Three implementations of the same layer, with the same weights, on the same input, in float32:

* ``course_lib.nn_numpy.RNN``: NumPy, hand-written backward pass (``.backward(d_output)``);
* ``course_lib.nn_torch.RNN``: plain tensor operations, a Python loop over steps, autograd;
* ``torch.nn.RNN``: the baseline, torch's fused CPU kernels (cuDNN on a GPU).

One timed call is a forward pass over the whole sequence followed by the backward pass of the
loss ``sum(output * d_output)``, which gives the gradients of every parameter and of the input.
The candidates are timed in interleaved rounds after warm-up calls and the script prints medians,
interquartile ranges and ratios to ``torch.nn.RNN``. It measures and reports; it never asserts a
speed. On a machine with CUDA it also times ``course_lib.nn_torch.RNN`` against cuDNN.

Usage::

    python benchmarks/bench_rnn.py                      # T=100 N=64 D=128 H=256, 20 repeats
    python benchmarks/bench_rnn.py --threads 1 --json /tmp/bench_rnn.json

See ``benchmarks/README.md`` for what the numbers mean and the recorded results.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from _timing import environment, format_environment, report, set_thread_env, time_round_robin

if TYPE_CHECKING:  # NumPy and torch are imported in main(), after the thread settings
    import numpy as np
    import torch

    from course_lib.nn_numpy.rnn import RNN as NumpyRNN

BASELINE = "torch.nn.RNN"
# Largest relative difference (Frobenius norms, course_lib.gradcheck.rel_error) from torch.nn.RNN
# accepted before timing. float32 over T=100 steps differs by ~1e-6; different weights give ~1.
CHECK_RTOL = 1e-4


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; see ``--help``."""
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--repeats", type=_positive_int, default=20, help="timed calls per candidate")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls per candidate first")
    p.add_argument(
        "--pause",
        type=float,
        default=0.15,
        help="seconds slept (untimed) before each timed call, so that the idle threads of the "
        "previous library stop spinning; see benchmarks/README.md",
    )
    p.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for torch (torch.set_num_threads) and NumPy's BLAS; default: leave as is",
    )
    p.add_argument("--json", metavar="PATH", default=None, help="also write the results here")
    p.add_argument("--seq-len", "-T", type=_positive_int, default=100, help="T, steps")
    p.add_argument("--batch-size", "-N", type=_positive_int, default=64, help="N, sequences")
    p.add_argument("--input-size", "-D", type=_positive_int, default=128, help="D, input features")
    p.add_argument("--hidden-size", "-H", type=_positive_int, default=256, help="H, hidden units")
    p.add_argument("--num-layers", type=_positive_int, default=1, help="stacked layers")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    args = p.parse_args(argv)
    if args.repeats < 2:
        p.error(f"--repeats must be at least 2 to give quartiles, got {args.repeats}")
    if args.warmup < 0:
        p.error(f"--warmup must be 0 or more, got {args.warmup}")
    if args.pause < 0:
        p.error(f"--pause must be 0 or more seconds, got {args.pause}")
    return args


def torch_step(module: torch.nn.Module, x: torch.Tensor, d_output: torch.Tensor) -> Callable[[], None]:
    """One forward + backward of a torch module; gradients are reset, not accumulated.

    Parameters
    ----------
    module : torch.nn.Module
        ``torch.nn.RNN`` or ``course_lib.nn_torch.RNN``, on the device of ``x``.
    x : Tensor, shape (T, N, D), requires_grad
        Input; its gradient is computed too.
    d_output : Tensor, shape (T, N, H)
        Upstream gradient of the output.

    Returns
    -------
    callable
        A function of no arguments running the forward and backward pass once.
    """

    def step() -> None:
        module.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = module(x)
        output.backward(d_output)

    return step


def numpy_step(layer: NumpyRNN, x: np.ndarray, d_output: np.ndarray) -> Callable[[], None]:
    """One forward + backward of ``course_lib.nn_numpy.RNN``.

    Parameters
    ----------
    layer : course_lib.nn_numpy.RNN
        The layer; its gradients land in ``layer.grads``.
    x : ndarray, shape (T, N, D)
        Input.
    d_output : ndarray, shape (T, N, H)
        Upstream gradient of the output.

    Returns
    -------
    callable
        A function of no arguments running the forward and backward pass once.
    """

    def step() -> None:
        layer.forward(x)
        layer.backward(d_output)

    return step


def check_agreement(
    baseline: torch.nn.Module, others: dict[str, object], x: torch.Tensor, d_output: torch.Tensor
) -> dict[str, dict[str, float]]:
    """Relative difference of every candidate's output, input gradient and weight gradients from
    the baseline's, after one forward + backward each; raise if any exceeds :data:`CHECK_RTOL`.

    Timing implementations that compute different things would be meaningless, so this runs first.

    Parameters
    ----------
    baseline : torch.nn.Module
        ``torch.nn.RNN``.
    others : dict of str to module
        Name -> ``course_lib.nn_torch.RNN`` or ``course_lib.nn_numpy.RNN`` with the same weights.
    x : Tensor, shape (T, N, D), requires_grad
        Input (copied to NumPy for the NumPy layer).
    d_output : Tensor, shape (T, N, H)
        Upstream gradient of the output.

    Returns
    -------
    dict of str to dict of str to float
        Name -> array (``output``, ``dx`` and each parameter's gradient) -> relative difference
        (``course_lib.gradcheck.rel_error``).
    """
    from course_lib.gradcheck import rel_error
    from course_lib.nn_numpy.rnn import RNN as NumpyRNN

    def run_torch(module: torch.nn.Module) -> dict[str, np.ndarray]:
        module.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = module(x)
        output.backward(d_output)
        grads = {k: p.grad.detach().cpu().numpy() for k, p in module.named_parameters()}
        return {"output": output.detach().cpu().numpy(), "dx": x.grad.cpu().numpy(), **grads}

    ref = run_torch(baseline)
    diffs: dict[str, dict[str, float]] = {}
    for name, impl in others.items():
        if isinstance(impl, NumpyRNN):
            x_np, d_np = x.detach().cpu().numpy(), d_output.cpu().numpy()
            output, _ = impl.forward(x_np)
            got = {"output": output, "dx": impl.backward(d_np), **impl.grads}
        else:
            got = run_torch(impl)
        diffs[name] = {k: rel_error(got[k], ref[k]) for k in ref}
        worst = max(diffs[name], key=diffs[name].get)
        if diffs[name][worst] > CHECK_RTOL:
            raise RuntimeError(
                f"{name} disagrees with {BASELINE}: relative difference of {worst} is "
                f"{diffs[name][worst]:.2e}, expected below {CHECK_RTOL:.0e}; not timing it"
            )
    x.grad = None
    return diffs


def build(args: argparse.Namespace, device: str) -> tuple[dict[str, object], torch.Tensor, torch.Tensor]:
    """The implementations with identical float32 weights, an input and an upstream gradient.

    Weights are drawn once (``course_lib.nn_numpy.RNN`` with ``seed``) and copied into the torch
    modules, which are then moved to ``device``; the NumPy layer is included only on the CPU.
    Layout is torch's default, ``(T, N, D)``.

    Parameters
    ----------
    args : argparse.Namespace
        Sizes and seed from :func:`parse_args`.
    device : str
        ``"cpu"`` or ``"cuda"``.

    Returns
    -------
    impls : dict of str to module
        ``torch.nn.RNN`` (the baseline) first, then ``course_lib.nn_torch.RNN``, then (CPU only)
        ``course_lib.nn_numpy.RNN``.
    x : Tensor, shape (T, N, D), float32, requires_grad
        Input on ``device``.
    d_output : Tensor, shape (T, N, H), float32
        Upstream gradient of the output on ``device``.
    """
    import numpy as np
    import torch

    from course_lib.nn_numpy.rnn import RNN as NumpyRNN
    from course_lib.nn_torch.rnn import RNN as TorchRNN

    rng = np.random.default_rng(args.seed)
    config = {"num_layers": args.num_layers, "nonlinearity": "tanh"}
    ref = NumpyRNN(args.input_size, args.hidden_size, **config, dtype=np.float32, seed=rng)
    baseline = ref.to_torch().to(device)
    ours = TorchRNN(args.input_size, args.hidden_size, **config, dtype=torch.float32).to(device)
    ours.load_state_dict(baseline.state_dict())
    shape = (args.seq_len, args.batch_size)
    x_np = rng.standard_normal((*shape, args.input_size)).astype(np.float32)
    d_np = rng.standard_normal((*shape, args.hidden_size)).astype(np.float32)
    x = torch.from_numpy(x_np).to(device).requires_grad_(True)  # all three compute dx
    d_output = torch.from_numpy(d_np).to(device)
    impls: dict[str, object] = {BASELINE: baseline, "course_lib.nn_torch.RNN": ours}
    if device == "cpu":
        impls["course_lib.nn_numpy.RNN"] = ref
    return impls, x, d_output


def bench_device(args: argparse.Namespace, device: str) -> tuple[str, dict]:
    """Check agreement, then time every implementation available on ``device``.

    Parameters
    ----------
    args : argparse.Namespace
        Options from :func:`parse_args`.
    device : str
        ``"cpu"`` or ``"cuda"`` (then ``torch.cuda.synchronize`` brackets every timing).

    Returns
    -------
    text : str
        The agreement line and the timing table.
    results : dict
        ``agreement`` (relative differences per candidate and array) and ``timings``
        (see ``_timing.report``).
    """
    import torch

    impls, x, d_output = build(args, device)
    others = {k: v for k, v in impls.items() if k != BASELINE}
    agreement = check_agreement(impls[BASELINE], others, x, d_output)
    x_np, d_np = x.detach().cpu().numpy(), d_output.cpu().numpy()
    candidates = {
        name: numpy_step(impl, x_np, d_np)
        if not isinstance(impl, torch.nn.Module)
        else torch_step(impl, x, d_output)
        for name, impl in impls.items()
    }
    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    times = time_round_robin(candidates, args.repeats, args.warmup, sync, args.pause)
    table, timings = report(times, BASELINE)
    worst = {name: max(d.values()) for name, d in agreement.items()}
    check = ", ".join(f"{name} {w:.1e}" for name, w in worst.items())
    text = f"  largest relative difference from {BASELINE} (output, dx, grads): {check}\n{table}"
    return text, {"agreement": agreement, "timings": timings}


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the report and return it as a dict (also written to ``--json``)."""
    args = parse_args(argv)
    if args.threads is not None:
        set_thread_env(args.threads)  # before NumPy and torch load their thread pools
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    env = environment()
    sizes = {k: getattr(args, k) for k in ("seq_len", "batch_size", "input_size", "hidden_size")}
    print(
        f"RNN forward + backward, float32, T={args.seq_len} N={args.batch_size} "
        f"D={args.input_size} H={args.hidden_size}, {args.num_layers} layer(s), tanh; "
        f"median of {args.repeats} interleaved runs after {args.warmup} warm-up runs each, "
        f"{args.pause} s pause before each"
    )
    print(format_environment(env))
    result: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([sys.executable.rsplit("/", 1)[-1], *sys.argv]),
        "environment": env,
        "sizes": {**sizes, "num_layers": args.num_layers, "dtype": "float32"},
        "repeats": args.repeats,
        "warmup": args.warmup,
        "pause_s": args.pause,
        "baseline": BASELINE,
    }
    print("\nCPU")
    text, result["cpu"] = bench_device(args, "cpu")
    print(text)
    if torch.cuda.is_available():
        print(f"\nGPU ({torch.cuda.get_device_name()}; baseline is cuDNN)")
        text, result["gpu"] = bench_device(args, "cuda")
        print(text)
    else:
        build_kind = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
        reason = f"torch.cuda.is_available() is False (torch {torch.__version__}, {build_kind})"
        print(f"\nGPU part skipped: {reason}")
        result["gpu"] = {"skipped": reason}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        print(f"\nresults written to {args.json}")
    return result


if __name__ == "__main__":
    main()
