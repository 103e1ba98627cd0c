"""Array backends: which array library (and device) a model computes with.

A `Backend` holds one array namespace that follows the Python array API
standard, looked up through array-api-compat (the layer scikit-learn and SciPy
use), and the device its arrays live on. Every numeric module writes its math
against ``backend.xp``, so the same code runs on NumPy, on CuPy (NVIDIA GPUs)
and on array-api-strict, a strict CPU implementation of the standard that the
tests use to catch anything NumPy-only.

NumPy is the default and the only hard dependency; its namespace is NumPy's
own (NumPy 2 implements the standard) with one change, `NUMPY_XP`: the
reductions (`sum`, `max`, `min`, `prod`, `mean`, `var`) are bound to the
functions NumPy's own wrappers end in (``np.add.reduce``, the array methods),
because on small arrays the wrappers cost more than the reduction; the
numbers are the same. Where NumPy needs a path of its own to stay fast
(``out=`` buffers, `np.dot` on 2-D weights, `np.errstate`), the code asks
one question, ``backend.is_numpy``, and nothing else.

Moving data: `Backend.asarray` brings any array (NumPy, CuPy, another
namespace) onto the backend's device; `to_numpy` brings any array back to the
host. Randomness is always drawn on the host with NumPy generators and then
moved, so a seed gives the same numbers on every backend.
"""

from __future__ import annotations

import contextlib
import importlib
import types
from typing import Any

import numpy as np

from mlplab._checks import invalid

# The backends `get_backend` knows by name (each the name of its library) and how to get them.
KNOWN = ("numpy", "cupy", "array_api_strict")
EXTRAS = {"cupy": 'pip install "mlplab[gpu]" (CuPy and array-api-compat, for NVIDIA GPUs)',
          "array_api_strict": "pip install array-api-strict array-api-compat"}


def _numpy_namespace() -> types.SimpleNamespace:
    """NumPy's namespace with the standard's reductions bound to what np.sum & co. call."""
    namespace = types.SimpleNamespace(**{k: v for k, v in vars(np).items()
                                         if not k.startswith("__")})
    namespace.__name__ = "numpy"
    # The standard's defaults (axis=None: every axis) on the ufuncs' reductions, which is
    # what np.sum & co. call behind a wrapper that costs more than a small reduction.
    for name, ufunc in (("sum", np.add), ("prod", np.multiply), ("max", np.maximum),
                        ("min", np.minimum)):
        setattr(namespace, name, _reduction(ufunc))

    def mean(x: np.ndarray, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        return x.mean(axis=axis, keepdims=keepdims)

    def var(x: np.ndarray, /, *, axis: Any = None, correction: float = 0.0,
            keepdims: bool = False) -> Any:
        return x.var(axis=axis, ddof=correction, keepdims=keepdims)

    namespace.mean, namespace.var = mean, var
    return namespace


def _reduction(ufunc: np.ufunc) -> Any:
    reduce = ufunc.reduce

    def reduction(x: Any, /, *, axis: Any = None, dtype: Any = None,
                  keepdims: bool = False) -> Any:
        return reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    reduction.__name__ = reduction.__qualname__ = f"{ufunc.__name__}_reduce"
    return reduction


NUMPY_XP = _numpy_namespace()


class Backend:
    """An array namespace and a device; ``is_numpy`` marks NumPy's fast paths.

    name: "numpy", "cupy", "array_api_strict" or another namespace's module
    name; xp: the namespace; device: where arrays are made (None: the default).
    """

    def __init__(self, name: str, xp: Any, device: Any = None) -> None:
        if xp is np:
            xp = NUMPY_XP
        self.is_numpy = xp is NUMPY_XP
        if device is None and not self.is_numpy:  # the namespace's default, named
            import array_api_compat

            device = array_api_compat.device(xp.asarray(0.0))
        self.name, self.xp, self.device = name, xp, device

    def asarray(self, a: Any, *, dtype: Any = None) -> Any:
        """`a` (any array or nested list) on this backend's device, as `dtype` if given.

        NumPy data already of the right dtype is returned as it is (no copy).
        """
        if dtype is not None and isinstance(dtype, str):
            dtype = self.dtype(dtype)
        if self.is_numpy:
            return np.asarray(to_numpy(a), dtype=dtype)
        if not _is_array_of(a, self.xp):
            host = to_numpy(a) if _is_array(a) else np.asarray(a)
            with self._on_device():
                return self.xp.asarray(host, dtype=dtype, **self._device_argument)
        import array_api_compat

        if array_api_compat.device(a) != self.device:  # this library, another device: move
            a = array_api_compat.to_device(a, self.device)
        return a if dtype is None or a.dtype == dtype else self.xp.astype(a, dtype)

    def _on_device(self) -> Any:
        """CuPy makes arrays on its current device: make ours current (a no-op elsewhere)."""
        return self.device if self.name == "cupy" else contextlib.nullcontext()

    @property
    def _device_argument(self) -> dict[str, Any]:
        """The standard's ``device=`` argument, for the namespaces that take it."""
        return {} if self.name == "cupy" else {"device": self.device}

    def dtype(self, name: str) -> Any:
        """The namespace's dtype object for "float64", "float32", "int64", "bool"."""
        return getattr(self.xp, name)

    def zeros(self, shape: tuple[int, ...], dtype: str = "float64") -> Any:
        """A zero array of `shape` on this backend's device."""
        if self.is_numpy:
            return np.zeros(shape, dtype=dtype)
        with self._on_device():
            return self.xp.zeros(shape, dtype=self.dtype(dtype), **self._device_argument)

    def errstate(self, **kwargs: str) -> Any:
        """`np.errstate(**kwargs)` on NumPy; other namespaces do not warn, so nothing."""
        return np.errstate(**kwargs) if self.is_numpy else contextlib.nullcontext()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled by name (a module cannot be pickled); unpickling imports it again."""
        return _unpickle, (self.xp.__name__, self.name, None if self.is_numpy else self.device)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Backend) and other.xp is self.xp
                and str(other.device) == str(self.device))

    def __hash__(self) -> int:
        return hash((self.name, str(self.device)))

    def __repr__(self) -> str:
        device = "" if self.device is None else f", device={self.device!r}"
        return f"Backend({self.name!r}{device})"


NUMPY = Backend("numpy", np)


def get_backend(backend: Any = "numpy", *, device: Any = None, owner: str = "get_backend",
                parameter: str = "backend") -> Backend:
    """A Backend from a name ("numpy", "cupy", "array_api_strict"), a namespace or a Backend.

    device: where its arrays live (the namespace's default when None), e.g. a
    ``cupy.cuda.Device(1)``. Names are imported on first use, so CuPy is never
    imported unless asked for; a missing library is named with the command that
    installs it.
    """
    if isinstance(backend, Backend):
        return backend if device is None else Backend(backend.name, backend.xp, device)
    if backend is np or backend is NUMPY_XP or backend == "numpy":
        return NUMPY
    if isinstance(backend, str) and backend in KNOWN:
        return namespace_backend(_import(backend), device)
    if not isinstance(backend, str) and hasattr(backend, "asarray") and hasattr(
            backend, "matmul"):  # a namespace module
        return namespace_backend(backend, device)
    raise invalid(parameter, owner, "one of " + ", ".join(repr(k) for k in sorted(KNOWN))
                  + ", an array namespace or a Backend", backend)


def _import(name: str) -> Any:
    """The library behind a backend name, with array-api-compat; says what to install."""
    try:
        module = importlib.import_module(name)
        importlib.import_module("array_api_compat")
    except ImportError as error:
        raise ImportError(f"The {name!r} backend needs {error.name or name}: "
                          f"{EXTRAS[name]}") from None
    return module


def namespace_backend(module: Any, device: Any = None) -> Backend:
    """The Backend of an array library given as its module (wrapped by array-api-compat)."""
    import array_api_compat

    if module is np or array_api_compat.is_numpy_namespace(module):
        return NUMPY
    name = module.__name__.split(".")[-1]
    if array_api_compat.is_cupy_namespace(module):
        return Backend("cupy", array_api_compat.array_namespace(module.empty(0)), device)
    return Backend(name, module, device)


def backend_of(*arrays: Any) -> Backend:
    """The Backend the given arrays live on (NumPy for NumPy arrays, lists and numbers)."""
    found = [a for a in arrays if _is_array(a) and not isinstance(a, np.ndarray | np.generic)]
    if not found:
        return NUMPY
    import array_api_compat

    xp = array_api_compat.array_namespace(*found)
    name = xp.__name__.split(".")[-1]
    return Backend(name, xp, array_api_compat.device(found[0]))


def _unpickle(module: str, name: str, device: Any) -> Backend:
    if name == "numpy":
        return NUMPY
    return Backend(name, importlib.import_module(module), device)


def to_numpy(a: Any) -> Any:
    """Any array (CuPy, array-api-strict, ...) as a NumPy array on the host; others unchanged."""
    if isinstance(a, np.ndarray | np.generic) or not _is_array(a):
        return a
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):
        return a.get()
    try:
        return np.from_dlpack(a)
    except (TypeError, RuntimeError, BufferError):
        return np.asarray(a)


def _is_array(a: Any) -> bool:
    return isinstance(a, np.ndarray | np.generic) or hasattr(a, "__array_namespace__")


def _is_array_of(a: Any, xp: Any) -> bool:
    if not hasattr(a, "__array_namespace__") or isinstance(a, np.ndarray | np.generic):
        return False
    import array_api_compat

    found = array_api_compat.array_namespace(a)
    return found is xp or getattr(found, "__name__", None) == getattr(xp, "__name__", "")
