"""Running the command line inside a test: exit code, stdout and stderr (used by several test modules)."""

from __future__ import annotations

import contextlib
import io

from accessibility import cli


def run_cli(*argv: object) -> tuple[int, str, str]:
    """``accessibility <argv>`` in this process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()
