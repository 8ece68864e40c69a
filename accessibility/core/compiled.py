"""numba compilation as the package uses it: off the GIL, cached on disk where possible.

Imported only by the modules that hold compiled kernels
(:mod:`accessibility.network.heapsearch`, :mod:`accessibility.readers.pbfdecode`),
and those only where a run needs them: numba's import and the load of its
cache cost ~0.2-0.4 s per process, which a rerun from the cache must not pay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

__all__ = ["compiled"]


def compiled(fn: Callable[..., Any] | None = None, *, ieee: bool = False) -> Any:
    """``fn`` compiled without the GIL, cached on disk where numba finds a writable place (else compiled in each process).

    ``ieee``: a float divided by zero gives an infinity or NaN, as in C (numba's
    ``error_model="numpy"``), instead of raising ``ZeroDivisionError`` as Python does:
    for kernels that must compute what a C library computes.
    """
    if fn is None:
        return lambda f: compiled(f, ieee=ieee)
    options: dict[str, Any] = {"nogil": True, "error_model": "numpy" if ieee else "python"}
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # numba: "cannot cache function ... no locator available" (a read-only install without a home)
        return numba.njit(**options)(fn)
