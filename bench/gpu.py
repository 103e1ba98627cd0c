"""mlplab on an NVIDIA GPU (CuPy) against PyTorch CUDA and against mlplab on the CPU.

Three sections, each timed as the median of --repeats interleaved runs, with
the ratios measured in the same run:

mnist  One epoch (469 steps) on 60000 x 784 float32 random data (seeded,
       made on the host with NumPy, moved to the GPU once), a 784-256-10 ReLU
       network, softmax cross-entropy, batch 128, plain SGD (lr 0.01),
       shuffled every epoch: mlplab on CuPy against PyTorch CUDA
       (nn.Sequential, CrossEntropyLoss, optim.SGD, a loop over a permutation
       drawn on the GPU). Goal: mlplab's time at most 1.5x PyTorch's.
       mlplab runs with fit's divergence guard off, as PyTorch's loop checks
       nothing either: the guard reads the loss on the host every step, so
       every step waits for the GPU to finish before the next one is queued.
       The same run with the guard on is timed beside it, to show that cost.
wide   A 784-4096-4096-10 ReLU network, batch 1024, a fixed number of steps
       (--steps on the GPU, --cpu-steps on the CPU, same data as mnist,
       reshuffled every 59 steps): mlplab on CuPy against mlplab on NumPy and
       PyTorch CUDA, compared per step. Goal: GPU at least 10x the CPU.
sweep  The tutorial sweep: 7 alphas (0.001 ... 1000) x 7 hidden sizes (4 ...
       256), a 3-h-1 sigmoid network without bias, the delta rule, full batch,
       --sweep-iterations iterations, on the GPU against `mlplab.lab.sweep` on
       the CPU (one process), and whether the final errors agree (1e-9
       relative for alpha <= 10; alpha 100 and 1000 are chaotic and only
       reported, 1e-3 expected). On the GPU it is `sweep(..., backend=...)`
       where `sweep` takes a backend, else one `fit` per hidden size with the
       seven alphas as a population (``MLP(..., seed=[1] * 7)``, ``sgd(alphas)``).

Every GPU timing synchronizes the device before starting and before stopping
the clock (CuPy's and torch's own calls), and every contestant is warmed up
once with a few steps first (CuPy compiles its kernels on first use). Both
libraries multiply float32 in full float32 (neither enables TF32 by default).

    python bench/gpu.py [--repeats 3] [--steps 200] [--cpu-steps 10]
                        [--sweep-iterations 60000] [--sections mnist,wide,sweep]
                        [--cpu-threads N]

On a GPU the sweep takes most of the time: each of its 7 populations is
60000 steps of a few small kernels, bound by launch latency, not arithmetic;
--sweep-iterations 10000 gives a quicker first look.

What is missing (no GPU, no CuPy, no PyTorch) is said on one line each and
the rest still runs; with no CUDA GPU at all the script says so and exits 0.
The exit status is 1 if any contestant failed (each failure is printed with
where it was raised). To check the script itself on a machine without a GPU:

    python bench/gpu.py --backend array_api_strict --tiny --repeats 1

runs every section with tiny sizes on that backend instead of CuPy, and no
PyTorch (``--backend numpy`` does the same with NumPy on both sides).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import mlplab
from mlplab.backend import get_backend
from mlplab.lab import sweep
from mlplab.lab.tutorials import ALPHAS, HIDDEN_SIZES

ROOT = Path(__file__).resolve().parents[1]
LR = 0.01
WARMUP_STEPS = 3
NO_GPU = "no CUDA GPU: nothing to measure; run this on a machine with one"


class Sizes(NamedTuple):
    """Problem sizes: data (n x d, k classes), the two networks and their batches."""

    n: int
    d: int
    k: int
    hidden: int
    batch: int
    wide: tuple[int, ...]
    wide_batch: int


FULL = Sizes(n=60000, d=784, k=10, hidden=256, batch=128, wide=(4096, 4096), wide_batch=1024)
TINY = Sizes(n=512, d=32, k=10, hidden=16, batch=32, wide=(64, 64), wide_batch=64)
# --steps, --cpu-steps, --sweep-iterations when not given
DEFAULT_STEPS = {False: (200, 10, 60000), True: (5, 3, 100)}


class Device(NamedTuple):
    """What the "GPU" side runs on: mlplab's backend (None: none usable) and PyTorch CUDA."""

    backend: str | None
    sync: Callable[[], None]
    torch: Any  # the torch module, when it has CUDA; else None


class Contestant(NamedTuple):
    """One timed thing: make(steps) builds a model and returns the call that trains it."""

    name: str
    make: Callable[[int], Callable[[], Any]]
    steps: int
    sync: Callable[[], None]


@dataclass
class Timings:
    """Median seconds per contestant, each one's last result, and failures (name -> why)."""

    seconds: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def _nothing() -> None:
    """The CPU's synchronize: there is nothing to wait for."""


# ---------------------------------------------------------------------------- the machine

def probe(backend: str) -> tuple[Device | None, list[str]]:
    """The device to measure on and the lines that say what is there and what is missing."""
    lines = [f"Python {platform.python_version()}, NumPy {np.__version__}, "
             f"mlplab {mlplab.__version__}"]
    if backend != "cupy":
        version = getattr(get_backend(backend).xp, "__version__", "")
        lines.append(f"backend {backend} {version} on the CPU in place of a GPU (a check of "
                     "this script, not a measurement); PyTorch runs skipped")
        return Device(backend, _nothing, None), lines
    cupy, cupy_line = _cupy()
    torch, torch_line = _torch_cuda()
    lines += [cupy_line, torch_line]
    if cupy is None and torch is None:
        return None, lines
    sync = cupy.cuda.Device().synchronize if cupy is not None else torch.cuda.synchronize
    return Device("cupy" if cupy is not None else None, sync, torch), lines


def _cupy() -> tuple[Any, str]:
    """(cupy, "GPU: name; versions") if CuPy sees a device, else (None, what is missing)."""
    try:
        import cupy
    except (ImportError, RuntimeError, OSError):  # absent, or built for CUDA libraries not here
        return None, 'CuPy: not installed (pip install "mlplab[gpu]"); mlplab GPU runs skipped'
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        count = 0
    if count == 0:
        return None, f"CuPy {cupy.__version__}: no CUDA device; mlplab GPU runs skipped"
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    runtime = cupy.cuda.runtime.runtimeGetVersion()
    return cupy, (f"GPU: {name}; CuPy {cupy.__version__} "
                  f"(CUDA runtime {runtime // 1000}.{runtime % 1000 // 10})")


def _torch_cuda() -> tuple[Any, str]:
    """(torch, its versions) if PyTorch has CUDA, else (None, what is missing)."""
    try:
        import torch
    except (ImportError, OSError):
        return None, "PyTorch: not installed; PyTorch CUDA runs skipped"
    if not torch.cuda.is_available():
        return None, f"PyTorch {torch.__version__}: no CUDA; PyTorch CUDA runs skipped"
    return torch, (f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}) on "
                   f"{torch.cuda.get_device_name(0)}")


# ---------------------------------------------------------------------------- timing

def measure(contestants: list[Contestant], repeats: int) -> Timings:
    """Warm each contestant up once, then time `repeats` interleaved rounds; medians.

    A contestant that raises is dropped (its failure recorded) and the others go on.
    """
    runs: dict[str, list[float]] = {}
    timings = Timings()
    for c in contestants:  # CuPy compiles each kernel the first time it runs
        if _attempt(c, min(WARMUP_STEPS, c.steps), timings) is not None:
            runs[c.name] = []
    for _ in range(repeats):  # interleaved, so machine noise hits every contestant alike
        for c in contestants:
            if c.name in runs and c.name not in timings.failures:
                seconds = _attempt(c, c.steps, timings)
                if seconds is not None:
                    runs[c.name].append(seconds)
    timings.seconds = {name: statistics.median(ts) for name, ts in runs.items()
                       if ts and name not in timings.failures}
    return timings


def _attempt(c: Contestant, steps: int, timings: Timings) -> float | None:
    """Seconds for one run of `c` (its result kept), or None with the failure recorded."""
    try:
        train = c.make(steps)
        c.sync()
        start = time.perf_counter()
        result = train()
        c.sync()
        seconds = time.perf_counter() - start
    except Exception as error:  # reported per contestant; the others still run
        timings.failures[c.name] = describe(error)
        return None
    timings.results[c.name] = result
    return seconds


def describe(error: BaseException) -> str:
    """The error in one line, with the innermost frame of this repository that raised it."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(ROOT)
            and ".venv" not in Path(f.filename).parts]
    frame = (ours or frames)[-1]
    where = Path(frame.filename).resolve()
    where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    message = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {message} (raised in {where}:{frame.lineno}, {frame.name})"


# ---------------------------------------------------------------------------- contestants

def synthetic_data(sizes: Sizes, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Float32 inputs (n, d) and learnable class labels (n,) from a random linear map."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sizes.n, sizes.d), dtype=np.float32)
    scores = X @ rng.standard_normal((sizes.d, sizes.k), dtype=np.float32)
    return X, np.argmax(scores, axis=1).astype(np.int64)


def mlplab_contestant(name: str, data: tuple[Any, Any], layers: list[int], batch: int,
                      steps: int, backend: str, sync: Callable[[], None], *,
                      guard: bool = False) -> Contestant:
    """mlplab: a ReLU MLP of `layers` trained `steps` SGD steps on data already on `backend`."""
    X, y = data

    def make(n_steps: int) -> Callable[[], Any]:
        net = mlplab.MLP(layers, activation="relu", output_activation="linear",
                         dtype="float32", backend=backend, seed=0)
        return lambda: mlplab.fit(net, X, y, loss="softmax_crossentropy",
                                  optimizer=mlplab.sgd(LR), iterations=n_steps,
                                  batch_size=batch, seed=0, guard=guard)

    return Contestant(name, make, steps, sync)


def torch_contestant(torch: Any, data: tuple[np.ndarray, np.ndarray], layers: list[int],
                     batch: int, steps: int) -> Contestant:
    """PyTorch CUDA: the same network, loss and SGD, over a permutation drawn on the GPU."""
    X, y = torch.from_numpy(data[0]).cuda(), torch.from_numpy(data[1]).cuda()

    def make(n_steps: int) -> Callable[[], Any]:
        torch.manual_seed(0)
        modules = []
        for n_in, n_out in itertools.pairwise(layers):
            modules += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        model = torch.nn.Sequential(*modules[:-1]).cuda()
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()

        def train() -> None:
            for rows in _torch_batches(torch, X.shape[0], batch, n_steps):
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(X[rows]), y[rows]).backward()
                optimizer.step()

        return train

    return Contestant("PyTorch (cuda)", make, steps, torch.cuda.synchronize)


def _torch_batches(torch: Any, n: int, batch: int, steps: int) -> Any:
    """Row indices of `steps` mini-batches: a fresh permutation on the GPU every epoch."""
    step = 0
    while True:
        order = torch.randperm(n, device="cuda")
        for start in range(0, n, batch):
            if step == steps:
                return
            yield order[start:start + batch]
            step += 1


# ---------------------------------------------------------------------------- sections

def section_mnist(device: Device, args: argparse.Namespace, sizes: Sizes) -> Timings:
    """Section 1: one epoch of the 784-256-10 network at batch 128, GPU mlplab against torch."""
    steps = -(-sizes.n // sizes.batch)  # one epoch
    layers = [sizes.d, sizes.hidden, sizes.k]
    print(f"\n[mnist] 1 epoch = {steps} steps of batch {sizes.batch} on {sizes.n} x {sizes.d} "
          f"float32, {'-'.join(map(str, layers))} ReLU, softmax cross-entropy, SGD lr {LR}; "
          f"median of {args.repeats}")
    host = synthetic_data(sizes)
    contestants = []
    if device.backend is not None:
        data = _moved(host, device.backend)
        name = f"mlplab ({device.backend})"
        contestants += [
            mlplab_contestant(name, data, layers, sizes.batch, steps, device.backend,
                              device.sync),
            mlplab_contestant(name + ", guard on", data, layers, sizes.batch, steps,
                              device.backend, device.sync, guard=True)]
    if device.torch is not None:
        contestants.append(torch_contestant(device.torch, host, layers, sizes.batch, steps))
    timings = measure(contestants, args.repeats)
    print_table(contestants, timings, sizes.batch)
    gpu, guarded = f"mlplab ({device.backend})", f"mlplab ({device.backend}), guard on"
    print_ratio(f"{gpu} / PyTorch (cuda) time", timings, gpu, "PyTorch (cuda)",
                "at most 1.5" if not args.tiny else None)
    print_ratio("guard on / guard off time (the guard syncs the device every step)",
                timings, guarded, gpu)
    return timings


def section_wide(device: Device, args: argparse.Namespace, sizes: Sizes) -> Timings:
    """Section 2: the 784-4096-4096-10 network at batch 1024, GPU against CPU, per step."""
    layers = [sizes.d, *sizes.wide, sizes.k]
    print(f"\n[wide] {'-'.join(map(str, layers))} ReLU, batch {sizes.wide_batch}, "
          f"{args.steps} steps on the GPU, {args.cpu_steps} on the CPU "
          f"({args.cpu_threads} BLAS thread(s)), compared per step; median of {args.repeats}")
    host = synthetic_data(sizes)
    gpu, cpu = f"mlplab ({device.backend})", "mlplab (numpy, CPU)"
    contestants = []
    if device.backend is not None:
        contestants.append(mlplab_contestant(gpu, _moved(host, device.backend), layers,
                                             sizes.wide_batch, args.steps, device.backend,
                                             device.sync))
    if device.torch is not None:
        contestants.append(torch_contestant(device.torch, host, layers, sizes.wide_batch,
                                            args.steps))
    contestants.append(mlplab_contestant(cpu, host, layers, sizes.wide_batch, args.cpu_steps,
                                         "numpy", _nothing))
    timings = measure(contestants, args.repeats)
    print_table(contestants, timings, sizes.wide_batch)
    per_step = _per_step(contestants, timings)
    print_ratio(f"speed-up of {gpu} over {cpu} per step", per_step, cpu, gpu,
                "at least 10" if not args.tiny else None)
    print_ratio(f"{gpu} / PyTorch (cuda) time per step", per_step, gpu, "PyTorch (cuda)")
    return timings


def section_sweep(device: Device, args: argparse.Namespace, sizes: Sizes) -> Timings:
    """Section 3: the 49-configuration tutorial sweep, GPU against CPU, and its agreement."""
    print(f"\n[sweep] {len(ALPHAS)} alphas x {len(HIDDEN_SIZES)} hidden sizes, 3-h-1 sigmoid, "
          f"no bias, delta rule, {args.sweep_iterations} full-batch iterations; "
          f"median of {args.repeats}")
    gpu, cpu = f"mlplab ({device.backend})", "mlplab sweep (numpy, CPU)"
    contestants = [Contestant(cpu, lambda n: lambda: sweep_on_cpu(n), args.sweep_iterations,
                              _nothing)]
    if device.backend is not None:
        print(f"  on {device.backend}: sweep(..., backend=...), one population per hidden size")
        contestants.insert(0, Contestant(gpu, lambda n: lambda: sweep_on(n, device.backend),
                                         args.sweep_iterations, device.sync))
    timings = measure(contestants, args.repeats)
    for c in contestants:
        _print_seconds(c.name, timings)
    print_ratio(f"speed-up of {gpu} over {cpu}", timings.seconds, cpu, gpu)
    if gpu in timings.results and cpu in timings.results:
        print("\n".join(agreement(timings.results[gpu], timings.results[cpu])))
    return timings


def sweep_on_cpu(iterations: int) -> dict[tuple[int, float], float]:
    """Final error per (hidden, alpha): `mlplab.lab.sweep` on NumPy, one process."""
    result = sweep(alpha=list(ALPHAS), hidden=list(HIDDEN_SIZES), iterations=iterations,
                   every=iterations, n_jobs=1)
    return {(row["hidden"], row["alpha"]): row["error"] for row in result.final()}


def sweep_on(iterations: int, backend: str) -> dict[tuple[int, float], float]:
    """Final error per (hidden, alpha): `mlplab.lab.sweep` on `backend`."""
    result = sweep(alpha=list(ALPHAS), hidden=list(HIDDEN_SIZES), iterations=iterations,
                   every=iterations, n_jobs=1, backend=backend)
    return {(row["hidden"], row["alpha"]): float(row["error"]) for row in result.final()}


def agreement(gpu: dict, cpu: dict) -> list[str]:
    """Worst relative difference of the final errors, for alpha <= 10 and for 100 and 1000."""
    lines = []
    for chaotic, tolerance in ((False, 1e-9), (True, 1e-3)):
        keys = [key for key in cpu if (key[1] > 10) == chaotic]
        difference = np.array([abs(gpu[key] - cpu[key]) / abs(cpu[key]) for key in keys])
        worst = float(np.max(difference))  # NaN, if any, propagates and fails the check
        verdict = "agree" if worst <= tolerance else "DIFFER"
        label = "alpha 100, 1000 (chaotic, reported only)" if chaotic else "alpha <= 10"
        lines.append(f"  final errors, {label}: worst relative difference {worst:.1e} "
                     f"(tolerance {tolerance:g}): {verdict}")
    return lines


# ---------------------------------------------------------------------------- printing

def print_table(contestants: list[Contestant], timings: Timings, batch: int) -> None:
    """Seconds, time per step and samples per second of each contestant, or why it is absent."""
    for c in contestants:
        if c.name in timings.seconds:
            seconds = timings.seconds[c.name]
            print(f"  {c.name + ':':<38} {seconds:8.3f} s  {c.steps:5d} steps  "
                  f"{1e3 * seconds / c.steps:9.3f} ms/step  "
                  f"{c.steps * batch / seconds:11.0f} samples/s")
        else:
            _print_seconds(c.name, timings)


def _print_seconds(name: str, timings: Timings) -> None:
    if name in timings.seconds:
        print(f"  {name + ':':<38} {timings.seconds[name]:8.3f} s")
    else:
        print(f"  {name + ':':<38} failed: {timings.failures.get(name, 'no result')}")


def print_ratio(label: str, seconds: Timings | dict[str, float], top: str, bottom: str,
                goal: str | None = None) -> None:
    """Print `label`: seconds[top] / seconds[bottom] and the goal if given; nothing if one is
    missing."""
    seconds = seconds.seconds if isinstance(seconds, Timings) else seconds
    if top not in seconds or bottom not in seconds:
        return
    ratio = seconds[top] / seconds[bottom]
    verdict = ""
    if goal is not None:
        bound = float(goal.split()[-1])
        met = ratio <= bound if goal.startswith("at most") else ratio >= bound
        verdict = f"   (goal: {goal}: {'met' if met else 'NOT met'})"
    print(f"{label}: {ratio:.2f}x{verdict}")


def _per_step(contestants: list[Contestant], timings: Timings) -> dict[str, float]:
    return {c.name: timings.seconds[c.name] / c.steps for c in contestants
            if c.name in timings.seconds}


def _moved(data: tuple[np.ndarray, np.ndarray], backend: str) -> tuple[Any, Any]:
    """The host arrays on `backend`'s device, moved once before any timing."""
    move = get_backend(backend).asarray
    return move(data[0]), move(data[1])


# ---------------------------------------------------------------------------- main

SECTIONS = {"mnist": section_mnist, "wide": section_wide, "sweep": section_sweep}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None,
                        help="wide section: steps on the GPU (default 200; tiny 5)")
    parser.add_argument("--cpu-steps", type=int, default=None,
                        help="wide section: steps on the CPU (default 10; tiny 3)")
    parser.add_argument("--sweep-iterations", type=int, default=None,
                        help="sweep section: iterations (default 60000; tiny 100)")
    parser.add_argument("--sections", default="mnist,wide,sweep",
                        help="comma-separated, from: " + ", ".join(SECTIONS))
    parser.add_argument("--cpu-threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS threads for the CPU runs (default: all cores)")
    parser.add_argument("--backend", default="cupy",
                        choices=["cupy", "array_api_strict", "numpy"],
                        help="the GPU side's mlplab backend; the others check the script "
                             "on the CPU (with --tiny)")
    parser.add_argument("--tiny", action="store_true",
                        help="tiny sizes, to check the script itself in seconds")
    args = parser.parse_args(argv)
    defaults = DEFAULT_STEPS[args.tiny]
    for name, default in zip(("steps", "cpu_steps", "sweep_iterations"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"--sections must name some of {', '.join(SECTIONS)}; got {unknown}")
    return args


@contextlib.contextmanager
def cpu_threads(n: int):
    """At most `n` BLAS threads for NumPy (the CPU runs); unchanged without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=n):
        yield


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device, lines = probe(args.backend)
    print("\n".join(lines))
    if device is None:
        print(NO_GPU)
        return 0
    sizes = TINY if args.tiny else FULL
    failed = 0
    with cpu_threads(args.cpu_threads):
        for name in args.sections:
            failed += len(SECTIONS[name](device, args, sizes).failures)
    if failed:
        print(f"\n{failed} run(s) failed; see the 'failed:' lines above")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
