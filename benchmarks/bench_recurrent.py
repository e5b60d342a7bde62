"""Forward + backward time of the course's recurrent layers (RNN, LSTM, GRU), relative to ``torch.nn``.

For one kind of layer (``--kind rnn``, ``lstm`` or ``gru``), four implementations of the same
layer, with the same weights, on the same input, in float32:

* ``course_lib.nn_numpy.<Kind>``: NumPy, hand-written backward pass (``.backward(d_output)``);
* ``course_lib.nn_torch.<Kind>``: the fast path, a Python loop over steps inside a custom autograd
  function with a hand-written backward;
* ``course_lib.nn_torch.<Kind>(fast=False)``: the readable path the book shows, a Python loop of
  tensor operations that autograd differentiates;
* ``torch.nn.<Kind>``: the baseline, torch's own kernels (oneDNN's fused LSTM and GRU on the
  CPU, cuDNN on a GPU).

One timed call is a forward pass over the whole sequence followed by the backward pass of the
loss ``sum(output * d_output)``, which gives the gradients of every parameter and of the input.
The candidates are timed in interleaved rounds after warm-up calls and the script prints medians,
interquartile ranges and ratios to the baseline. It also counts the matrix-product FLOPs of the
algorithm, measures the machine's float32 matrix-product throughput in the same run, and prints
the fraction of it that each implementation reaches, and the size of the NumPy layer's cache for
the backward pass. On a machine with CUDA it times the fast path against cuDNN at a larger size
(``--gpu-sizes``) with TF32 off. It measures and reports; it never asserts a speed.

Usage::

    python benchmarks/bench_recurrent.py --kind lstm          # T=100 N=64 D=128 H=256, 20 repeats
    python benchmarks/bench_recurrent.py --kind gru --threads 1 --json /tmp/bench_gru.json
    python benchmarks/bench_recurrent.py --kind lstm --threads 1 --clock cpu   # on a busy machine

See ``benchmarks/README.md`` for what the numbers mean and the recorded results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from _timing import environment, format_environment, report, set_thread_env, time_round_robin

if TYPE_CHECKING:  # NumPy and torch are imported in main(), after the thread settings
    import numpy as np
    import torch

KINDS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # weight blocks of size H in W_ih, W_hh
# Largest relative difference (Frobenius norms, course_lib.gradcheck.rel_error) from the baseline
# accepted before timing. float32 over T=100 steps differs by ~1e-6; different weights give ~1.
CHECK_RTOL = 1e-4
PEAK_SIZE = 2048  # square float32 matrix product used as the machine's peak (CPU)
GPU_PEAK_SIZE = 8192


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parse_args(argv: list[str] | None = None, kind: str | None = None) -> argparse.Namespace:
    """Command-line options; see ``--help``. ``kind`` fixes ``--kind`` (for ``bench_rnn.py``)."""
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    if kind is None:
        p.add_argument("--kind", choices=KINDS, default="lstm", help="which layer to time")
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
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time; cpu: CPU time of the calling thread (needs --threads 1; steadier "
        "on a busy machine, since time spent waiting for a core is left out)",
    )
    p.add_argument("--no-readable", action="store_true", help="skip the slow fast=False row")
    p.add_argument("--json", metavar="PATH", default=None, help="also write the results here")
    p.add_argument("--seq-len", "-T", type=_positive_int, default=100, help="T, steps")
    p.add_argument("--batch-size", "-N", type=_positive_int, default=64, help="N, sequences")
    p.add_argument("--input-size", "-D", type=_positive_int, default=128, help="D, input features")
    p.add_argument("--hidden-size", "-H", type=_positive_int, default=256, help="H, hidden units")
    p.add_argument("--num-layers", type=_positive_int, default=1, help="stacked layers")
    p.add_argument(
        "--gpu-sizes",
        type=_positive_int,
        nargs=4,
        metavar=("T", "N", "D", "H"),
        default=(256, 256, 1024, 1024),
        help="sizes of the GPU comparison (run only where CUDA is available)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    args = p.parse_args(argv)
    if kind is not None:
        args.kind = kind
    if args.repeats < 2:
        p.error(f"--repeats must be at least 2 to give quartiles, got {args.repeats}")
    if args.warmup < 0:
        p.error(f"--warmup must be 0 or more, got {args.warmup}")
    if args.pause < 0:
        p.error(f"--pause must be 0 or more seconds, got {args.pause}")
    if args.clock == "cpu" and args.threads != 1:
        p.error(f"--clock cpu measures one thread, so it needs --threads 1, got --threads {args.threads}")
    return args


def matmul_flops(kind: str, T: int, N: int, D: int, H: int, num_layers: int = 1) -> dict[str, int]:
    """Floating-point operations in the matrix products of one forward + backward pass.

    A product of an (m, k) and a (k, n) matrix counts ``2 m k n``. With ``G = gates * H`` columns
    (H for the RNN, 3H for the GRU, 4H for the LSTM) and ``D_l`` the input size of layer l (D,
    then H), each layer does:

    * forward: the input projection ``2 T N D_l G`` and the recurrent products ``2 T N H G``;
    * backward: ``dx`` (``2 T N G D_l``), ``dW_ih`` (``2 T N D_l G``), ``dW_hh`` (``2 T N H G``)
      and the recurrent ``dh`` products (``2 T N G H``).

    Elementwise work (gates, tanh, products) is not counted.

    Parameters
    ----------
    kind : {"rnn", "lstm", "gru"}
    T, N, D, H : int
        Steps, sequences, input size, hidden size.
    num_layers : int
        Stacked layers (one direction).

    Returns
    -------
    dict
        ``forward``, ``backward`` and ``total`` FLOPs (ints).
    """
    G = GATES[kind] * H
    forward = backward = 0
    for layer in range(num_layers):
        d_in = D if layer == 0 else H
        forward += 2 * T * N * d_in * G + 2 * T * N * H * G
        backward += 2 * (2 * T * N * G * d_in) + 2 * (2 * T * N * H * G)
    return {"forward": forward, "backward": backward, "total": forward + backward}


def torch_step(module: torch.nn.Module, x: torch.Tensor, d_output: torch.Tensor) -> Callable[[], None]:
    """One forward + backward of a torch module; gradients are reset, not accumulated.

    Parameters
    ----------
    module : torch.nn.Module
        ``torch.nn.<Kind>`` or ``course_lib.nn_torch.<Kind>``, on the device of ``x``.
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


def numpy_step(layer: object, x: np.ndarray, d_output: np.ndarray) -> Callable[[], None]:
    """One forward + backward of a ``course_lib.nn_numpy`` layer.

    Parameters
    ----------
    layer : course_lib.nn_numpy.RNN, LSTM or GRU
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
    baseline_name: str,
    impls: dict[str, object],
    x: torch.Tensor,
    d_output: torch.Tensor,
) -> dict[str, dict[str, float]]:
    """Relative difference of every candidate's output, input gradient and weight gradients from
    the baseline's, after one forward + backward each; raise if any exceeds :data:`CHECK_RTOL`.

    Timing implementations that compute different things would be meaningless, so this runs first.

    Parameters
    ----------
    baseline_name : str
        Key of the baseline (a ``torch.nn`` module) in ``impls``.
    impls : dict of str to module
        Name -> ``torch.nn`` module, ``course_lib.nn_torch`` module or ``course_lib.nn_numpy``
        layer, all with the same weights.
    x : Tensor, shape (T, N, D), requires_grad
        Input (copied to NumPy for the NumPy layer).
    d_output : Tensor, shape (T, N, H)
        Upstream gradient of the output.

    Returns
    -------
    dict of str to dict of str to float
        Name -> array (``output``, ``dx`` and each parameter's gradient) -> relative difference
        (``course_lib.gradcheck.rel_error``), for every candidate but the baseline.
    """
    import torch

    from course_lib.gradcheck import rel_error

    def run(impl: object) -> dict[str, np.ndarray]:
        if not isinstance(impl, torch.nn.Module):  # a NumPy layer
            output, _ = impl.forward(x.detach().cpu().numpy())
            dx = impl.backward(d_output.cpu().numpy())
            return {"output": output, "dx": dx, **impl.grads}
        impl.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = impl(x)
        output.backward(d_output)
        grads = {k: p.grad.detach().cpu().numpy() for k, p in impl.named_parameters()}
        return {"output": output.detach().cpu().numpy(), "dx": x.grad.cpu().numpy(), **grads}

    ref = run(impls[baseline_name])
    diffs: dict[str, dict[str, float]] = {}
    for name, impl in impls.items():
        if name == baseline_name:
            continue
        got = run(impl)
        diffs[name] = {k: rel_error(got[k], ref[k]) for k in ref}
        worst = max(diffs[name], key=diffs[name].get)
        if diffs[name][worst] > CHECK_RTOL:
            raise RuntimeError(
                f"{name} disagrees with {baseline_name}: relative difference of {worst} is "
                f"{diffs[name][worst]:.2e}, expected below {CHECK_RTOL:.0e}; not timing it"
            )
    x.grad = None
    return diffs


def build(
    kind: str, sizes: dict[str, int], num_layers: int, seed: int, device: str, readable: bool
) -> tuple[str, dict[str, object], torch.Tensor, torch.Tensor]:
    """The implementations with identical float32 weights, an input and an upstream gradient.

    Weights are drawn once (``course_lib.nn_numpy.<Kind>`` with ``seed``) and copied into the
    torch modules, which are then moved to ``device``; the NumPy layer and the readable path are
    included only on the CPU. Layout is torch's default, ``(T, N, D)``.

    Parameters
    ----------
    kind : {"rnn", "lstm", "gru"}
    sizes : dict
        ``T``, ``N``, ``D``, ``H``.
    num_layers : int
    seed : int
    device : str
        ``"cpu"`` or ``"cuda"``.
    readable : bool
        Include ``course_lib.nn_torch.<Kind>(fast=False)`` (CPU only).

    Returns
    -------
    baseline : str
        Name of the ``torch.nn`` module in ``impls``.
    impls : dict of str to module
        The baseline first, then ``course_lib.nn_torch.<Kind>``, then (CPU only) its readable
        path and ``course_lib.nn_numpy.<Kind>``.
    x : Tensor, shape (T, N, D), float32, requires_grad
        Input on ``device``.
    d_output : Tensor, shape (T, N, H), float32
        Upstream gradient of the output on ``device``.
    """
    import importlib

    import numpy as np
    import torch

    Kind = kind.upper()
    numpy_cls = getattr(importlib.import_module(f"course_lib.nn_numpy.{kind}"), Kind)
    torch_cls = getattr(importlib.import_module(f"course_lib.nn_torch.{kind}"), Kind)
    rng = np.random.default_rng(seed)
    config: dict[str, object] = {"num_layers": num_layers}
    if kind == "rnn":
        config["nonlinearity"] = "tanh"
    ref = numpy_cls(sizes["D"], sizes["H"], **config, dtype=np.float32, seed=rng)
    baseline = ref.to_torch().to(device)
    impls: dict[str, object] = {f"torch.nn.{Kind}": baseline}
    variants = [("", True)] + ([("(fast=False)", False)] if readable and device == "cpu" else [])
    for label, fast in variants:
        ours = torch_cls(sizes["D"], sizes["H"], **config, dtype=torch.float32, fast=fast).to(device)
        ours.load_state_dict(baseline.state_dict())
        impls[f"course_lib.nn_torch.{Kind}{label}"] = ours
    if device == "cpu":
        impls[f"course_lib.nn_numpy.{Kind}"] = ref
    shape = (sizes["T"], sizes["N"])
    x_np = rng.standard_normal((*shape, sizes["D"])).astype(np.float32)
    d_np = rng.standard_normal((*shape, sizes["H"])).astype(np.float32)
    x = torch.from_numpy(x_np).to(device).requires_grad_(True)  # every candidate computes dx
    d_output = torch.from_numpy(d_np).to(device)
    return f"torch.nn.{Kind}", impls, x, d_output


def time_candidates(
    impls: dict[str, object],
    x: torch.Tensor,
    d_output: torch.Tensor,
    args: argparse.Namespace,
    sync: Callable[[], object] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Interleaved timings (seconds) of one forward + backward of each implementation."""
    import torch

    x_np, d_np = x.detach().cpu().numpy(), d_output.cpu().numpy()
    candidates = {
        name: torch_step(impl, x, d_output) if isinstance(impl, torch.nn.Module) else numpy_step(impl, x_np, d_np)
        for name, impl in impls.items()
    }
    return time_round_robin(candidates, args.repeats, args.warmup, sync, args.pause, clock)


def _repeat(fn: Callable[[], object], times: int) -> Callable[[], None]:
    """A function of no arguments calling ``fn`` ``times`` times (results dropped)."""

    def run() -> None:
        for _ in range(times):
            fn()

    return run


def matmul_peak(
    device: str,
    n: int,
    step_shape: tuple[int, int, int],
    args: argparse.Namespace,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Measured float32 matrix-product throughput (FLOP/s, from the fastest run) in this process.

    On the CPU: NumPy and torch, each for a square ``n``-sized product (the machine's peak as each
    library reaches it) and for the per-step shape ``(N, H) @ (H, G)`` of the recurrence. On a GPU:
    torch only. A timed call repeats a small product enough times to last a few milliseconds.

    Parameters
    ----------
    device : str
        ``"cpu"`` or ``"cuda"``.
    n : int
        Size of the square product.
    step_shape : tuple (N, H, G)
        The per-step product ``(N, H) @ (H, G)``.
    args : argparse.Namespace
        ``pause`` and ``seed`` are used; repeats are ``min(args.repeats, 15)``.
    clock : callable
        As in :func:`_timing.time_round_robin`.

    Returns
    -------
    dict of str to float
        Name of the product -> FLOP/s.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng(args.seed)
    N, H, G = step_shape
    per_call = 3e8 if device == "cpu" else 1e11  # multiply-adds per timed call, a few ms
    shapes = {f"{n}x{n} @ {n}x{n}": (n, n, n), f"({N}, {H}) @ ({H}, {G}), one step": (N, H, G)}
    candidates: dict[str, Callable[[], object]] = {}
    flops: dict[str, int] = {}
    for label, (m, k, p) in shapes.items():
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, p)).astype(np.float32)
        at, bt = torch.from_numpy(a).to(device), torch.from_numpy(b).to(device)
        reps = max(1, int(per_call // (m * k * p)))
        if device == "cpu":
            candidates[f"numpy {label}"] = _repeat(lambda a=a, b=b: a @ b, reps)
            flops[f"numpy {label}"] = 2 * m * k * p * reps
        candidates[f"torch {label}"] = _repeat(lambda a=at, b=bt: a @ b, reps)
        flops[f"torch {label}"] = 2 * m * k * p * reps
    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    times = time_round_robin(candidates, min(args.repeats, 15), 1, sync, args.pause, clock)
    return {name: flops[name] / min(ts) for name, ts in times.items()}  # a peak: the fastest run


def format_throughput(
    flops: dict[str, int], timings: dict[str, dict], peaks: dict[str, float]
) -> tuple[str, dict[str, dict[str, float]]]:
    """Lines giving each candidate's matmul FLOP/s and its fraction of the measured peak."""
    peak = max(peaks.values())
    lines = [
        f"  matmul FLOPs of one forward + backward: {flops['total'] / 1e9:.2f} GFLOP "
        f"(forward {flops['forward'] / 1e9:.2f}, backward {flops['backward'] / 1e9:.2f})",
        "  measured float32 matmul throughput in this run: "
        + "; ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in peaks.items()),
        f"  peak taken as {peak / 1e9:.0f} GFLOP/s (the fastest of these); the rates below are "
        "matmul FLOPs / median time",
    ]
    width = max(len(n) for n in timings)
    fractions: dict[str, dict[str, float]] = {}
    for name, t in timings.items():
        rate = flops["total"] / t["median_s"]
        fractions[name] = {"flop_per_s": rate, "fraction_of_peak": rate / peak}
        lines.append(f"  {name:{width}}  {rate / 1e9:6.1f} GFLOP/s of matmul work = {rate / peak:5.1%} of peak")
    return "\n".join(lines), fractions


def cache_size(impls: dict[str, object], sizes: dict[str, int]) -> tuple[str, dict[str, float]]:
    """Bytes the NumPy layer keeps for its backward pass (``cache.nbytes``), per step and per T·N·H."""
    import torch

    layer = next(v for v in impls.values() if not isinstance(v, torch.nn.Module))
    # The layer keeps the caches of its last forward pass (one per layer and direction) for
    # backward(); the timed calls have just run it at these sizes.
    nbytes = sum(cache.nbytes for cache in layer._tape["caches"].values())
    T, N, H = sizes["T"], sizes["N"], sizes["H"]
    out = {"bytes": nbytes, "bytes_per_step": nbytes / T, "bytes_per_TNH": nbytes / (T * N * H)}
    text = (
        f"  NumPy cache for the backward pass: {nbytes / 2**20:.1f} MiB = {nbytes / T / 1024:.1f} KiB "
        f"per step = {nbytes / (T * N * H):.1f} bytes per T·N·H (float32, input included)"
    )
    return text, out


def bench_cpu(args: argparse.Namespace) -> tuple[str, dict]:
    """Check agreement, time every implementation on the CPU, then the matmul peak and the cache."""
    sizes = {"T": args.seq_len, "N": args.batch_size, "D": args.input_size, "H": args.hidden_size}
    baseline, impls, x, d_output = build(args.kind, sizes, args.num_layers, args.seed, "cpu", not args.no_readable)
    agreement = check_agreement(baseline, impls, x, d_output)
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    times = time_candidates(impls, x, d_output, args, None, clock)
    table, timings = report(times, baseline)
    worst = {name: max(d.values()) for name, d in agreement.items()}
    check = ", ".join(f"{name} {w:.1e}" for name, w in worst.items())
    flops = matmul_flops(args.kind, sizes["T"], sizes["N"], sizes["D"], sizes["H"], args.num_layers)
    peaks = matmul_peak("cpu", PEAK_SIZE, (sizes["N"], sizes["H"], GATES[args.kind] * sizes["H"]), args, clock)
    throughput, fractions = format_throughput(flops, timings, peaks)
    cache_text, cache = cache_size(impls, sizes)
    agree = f"  largest relative difference from {baseline} (output, dx, grads): {check}"
    text = "\n".join([agree, table, "", throughput, cache_text])
    result = {
        "agreement": agreement,
        "timings": timings,
        "matmul_flops": flops,
        "matmul_peak_flop_per_s": peaks,
        "throughput": fractions,
        "numpy_cache": cache,
    }
    return text, result


def tf32_off() -> str:
    """Make float32 matrix products and cuDNN's RNNs use full float32 (no TF32); describe it."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    settings = {}
    backends = (("matmul", torch.backends.cuda.matmul), ("cudnn.rnn", getattr(torch.backends.cudnn, "rnn", None)))
    for name, backend in backends:
        if backend is not None and hasattr(backend, "fp32_precision"):  # torch >= 2.9
            backend.fp32_precision = "ieee"
            settings[name] = backend.fp32_precision
    legacy = f"allow_tf32 matmul={torch.backends.cuda.matmul.allow_tf32} cudnn={torch.backends.cudnn.allow_tf32}"
    extra = "".join(f", {k}.fp32_precision={v}" for k, v in settings.items())
    return f"TF32 off for both ({legacy}{extra})"


def bench_gpu(args: argparse.Namespace, device: str = "cuda") -> tuple[str, dict]:
    """``course_lib.nn_torch.<Kind>`` (fast path) against cuDNN at ``--gpu-sizes``, TF32 off."""
    import torch

    T, N, D, H = args.gpu_sizes
    sizes = {"T": T, "N": N, "D": D, "H": H}
    tf32 = tf32_off()
    baseline, impls, x, d_output = build(args.kind, sizes, args.num_layers, args.seed, device, False)
    agreement = check_agreement(baseline, impls, x, d_output)
    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    times = time_candidates(impls, x, d_output, args, sync)  # wall clock: the GPU works apart
    table, timings = report(times, baseline)
    worst = {name: max(d.values()) for name, d in agreement.items()}
    check = ", ".join(f"{name} {w:.1e}" for name, w in worst.items())
    flops = matmul_flops(args.kind, T, N, D, H, args.num_layers)
    peaks = matmul_peak(device, GPU_PEAK_SIZE, (N, H, GATES[args.kind] * H), args)
    throughput, fractions = format_throughput(flops, timings, peaks)
    text = "\n".join(
        [
            f"  T={T} N={N} D={D} H={H}, float32; {tf32}",
            f"  largest relative difference from {baseline} (output, dx, grads): {check}",
            table,
            "",
            throughput,
        ]
    )
    result = {
        "sizes": sizes,
        "tf32": tf32,
        "agreement": agreement,
        "timings": timings,
        "matmul_flops": flops,
        "matmul_peak_flop_per_s": peaks,
        "throughput": fractions,
    }
    return text, result


def main(argv: list[str] | None = None, kind: str | None = None) -> dict:
    """Run the benchmark, print the report and return it as a dict (also written to ``--json``)."""
    args = parse_args(argv, kind)
    if args.threads is not None:
        set_thread_env(args.threads)  # before NumPy and torch load their thread pools
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    env = environment()
    Kind = args.kind.upper()
    sizes = {k: getattr(args, k) for k in ("seq_len", "batch_size", "input_size", "hidden_size")}
    extra = ", tanh" if args.kind == "rnn" else ""
    clock = "wall-clock time" if args.clock == "wall" else "CPU time of the calling thread"
    print(
        f"{Kind} forward + backward, float32, T={args.seq_len} N={args.batch_size} "
        f"D={args.input_size} H={args.hidden_size}, {args.num_layers} layer(s){extra}; "
        f"median of {args.repeats} interleaved runs after {args.warmup} warm-up runs each, "
        f"{args.pause} s pause before each; {clock}"
    )
    print(format_environment(env))
    result: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([sys.executable.rsplit("/", 1)[-1], *sys.argv]),
        "kind": args.kind,
        "environment": env,
        "sizes": {**sizes, "num_layers": args.num_layers, "dtype": "float32"},
        "repeats": args.repeats,
        "warmup": args.warmup,
        "pause_s": args.pause,
        "clock": args.clock,
        "baseline": f"torch.nn.{Kind}",
    }
    print("\nCPU")
    text, result["cpu"] = bench_cpu(args)
    print(text)
    if torch.cuda.is_available():
        print(f"\nGPU ({torch.cuda.get_device_name()}; baseline is cuDNN)")
        text, result["gpu"] = bench_gpu(args)
        print(text)
    else:
        build_kind = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
        reason = f"torch.cuda.is_available() is False (torch {torch.__version__}, {build_kind})"
        print(f"\nGPU part skipped: {reason}")
        result["gpu"] = {"skipped": reason}
    result["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    print(f"\nload average at the end: {result['load_average_after']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        print(f"results written to {args.json}")
    return result


if __name__ == "__main__":
    main()
