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


def compiled(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled without the GIL, cached on disk where numba finds a writable place (else compiled in each process)."""
    try:
        return numba.njit(nogil=True, cache=True)(fn)
    except RuntimeError:  # numba: "cannot cache function ... no locator available" (a read-only install without a home)
        return numba.njit(nogil=True)(fn)
