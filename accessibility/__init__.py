"""accessibility: can every resident reach the public services policy promises?"""

from __future__ import annotations

__version__ = "0.1.0"
