"""Writing files safely: atomic replacement, standard JSON, content hashes.

Every file this package writes goes to a temporary name beside its target
and is moved into place with :func:`os.replace`, so a crash never leaves a
half-written file that looks complete. Temporary names carry the writer's
process id, so a later run can tell the leftovers of a killed process from
the files of one still running (:func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_path",
    "check_output_file",
    "json_text",
    "pid_alive",
    "remove_stale_temporaries",
    "sha256_file",
    "spreadsheet_safe",
    "write_json",
    "write_text",
]

log = logging.getLogger(__name__)

_TMP = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp(\.[^/]*)?$")


def _tmp_name(name: str) -> str:
    # short enough for a 255-byte file name whatever the target's length
    return f".{name[:100]}.{os.getpid()}.{secrets.token_hex(4)}.tmp{''.join(Path(name).suffixes)[-20:]}"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place when the block succeeds.

    The temporary file does not exist when the block starts (writers such as
    GDAL want to create it themselves) and is removed when the block fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(_tmp_name(path.name))
    try:
        yield tmp
        os.replace(tmp, path)  # noqa: PTH105 - atomic rename
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    raise TypeError(f"not JSON serialisable: {type(obj)}")


def _clean(obj: Any) -> Any:
    """Replace NaN/inf by None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def json_text(data: Any) -> str:
    """``data`` as indented UTF-8 JSON text with NaN/inf as null (standard JSON)."""
    return json.dumps(_clean(data), ensure_ascii=False, indent=2, default=_json_default, allow_nan=False) + "\n"


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as UTF-8 JSON, atomically, with NaN/inf as null."""
    write_text(path, json_text(data))


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (hashed in C, without holding the GIL)."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def check_output_file(path: str | Path, *, what: str = "output file") -> Path:
    """Check, before any work, that ``path`` can be written as a file; returns it.

    Parameters
    ----------
    path
        The file to be written (a missing parent folder is not an error:
        :func:`atomic_path` creates it).
    what
        What the file is, for the message.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        For a folder, a parent that is a file or cannot be written, or a name
        too long for the file system.
    """
    from .. import errors

    path = Path(path)
    if path.is_dir():
        raise errors.InputError(f"{what} {path} is a folder; give a file name, e.g. {path / 'answers.csv'}")
    parent = path.parent if str(path.parent) else Path()
    if len(os.fsencode(path.name)) > 255:
        raise errors.InputError(f"{what} {path}: the name is longer than file systems allow; choose a shorter one")
    if parent.exists() and not parent.is_dir():
        raise errors.InputError(f"{what} {path}: {parent} is a file, not a folder")
    if parent.is_dir() and not os.access(parent, os.W_OK):
        raise errors.InputError(f"{what} {path}: the folder {parent} cannot be written; choose another place")
    return path


_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(frame: Any) -> Any:
    """A copy of a DataFrame whose text cannot run as a spreadsheet formula when the CSV is opened.

    Excel and WPS evaluate a cell starting with ``=``, ``+``, ``-`` or ``@``
    (``=HYPERLINK(...)`` in a facility name). Such text cells get a leading
    apostrophe, as OWASP recommends for CSV files; numbers are left alone.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object and str(out[col].dtype) not in ("string", "str"):  # pandas 3 infers text columns as "str"
            continue
        values = out[col].astype(object)  # pandas 3 text columns ("str") hold the same text; masks as plain numpy booleans
        text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        as_text = values.astype(str)
        risky = text & as_text.str.match(_FORMULA).to_numpy(dtype=bool) & ~as_text.str.strip().str.match(_NUMBER).to_numpy(dtype=bool)
        if risky.any():
            out[col] = values.where(~risky, "'" + as_text)
    return out


def remove_stale_temporaries(folder: str | Path) -> int:
    """Remove temporary files left in ``folder`` by processes that no longer run; returns how many."""
    folder = Path(folder)
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        m = _TMP.match(entry.name)
        if m and not pid_alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                removed += 1
    if removed:
        log.info("%s: removed %d temporary files left by interrupted runs", folder, removed)
    return removed
