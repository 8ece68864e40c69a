"""Planners' CSV/TXT/XLSX tables read as they are, with what a reader must tell the user.

:func:`read_rows_table` is the text-and-workbook half of
:func:`accessibility.readers.areas.read_table`: every cell as given, row numbers as a
person sees them (CSV line, Excel row), the header found below any title
rows. Besides the table it returns a :class:`TableInfo` with what the caller
must report rather than lose:

* CSV rows with more or fewer fields than the header (an unquoted comma in
  a name shifts every later value);
* Excel cells holding a formula without a saved value (a workbook written
  by a program and never opened in Excel/WPS: the cell reads as empty);
* the encoding used, when it was not UTF-8.

:func:`describe_sheets` lists a workbook's sheets with the lon/lat-like
columns found in each, for errors about the wrong sheet.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from . import tabletext

__all__ = ["FORMULA_FIX", "TableInfo", "describe_sheets", "formula_text", "read_rows_table"]

log = logging.getLogger(__name__)

FORMULA_FIX = "open and save the file in Excel/WPS, or paste values"


def formula_text(cells: Sequence[str]) -> str:
    """'cell C5 holds a formula with no saved value' (or 'cells C5, D5 hold formulas ...')."""
    if len(cells) == 1:
        return f"cell {cells[0]} holds a formula with no saved value"
    return f"cells {', '.join(cells)} hold formulas with no saved value"


@dataclass
class TableInfo:
    """What reading a table found besides its cells.

    Attributes
    ----------
    kind
        ``"csv"``, ``"xlsx"``, ``"json"`` or ``"vector"``.
    header_row
        Row number of the header (CSV line or Excel row); ``None`` for
        JSON and GIS layers.
    header_width
        Fields in the header up to its last named one.
    short_rows, long_rows
        CSV rows (by line) with fewer fields than the header, or with
        non-empty values beyond it: row -> number of fields.
    formulas
        ``(row, column) -> cell`` ("C5") for Excel cells holding a formula
        with no saved value (read as empty).
    sheet, sheets
        The sheet read and every sheet of the workbook.
    encoding
        The encoding note (``None`` for UTF-8).
    """

    kind: str = "csv"
    header_row: int | None = None
    header_width: int = 0
    short_rows: dict[int, int] = field(default_factory=dict)
    long_rows: dict[int, int] = field(default_factory=dict)
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None

    def field_problem(self, row: int) -> str:
        """The message for a ragged row ('' if the row is not ragged)."""
        if row in self.long_rows:
            return (
                f"line {row} has {self.long_rows[row]} fields but the header has {self.header_width}, so its values cannot be matched "
                "to the columns (a comma inside an unquoted value?); put the value in double quotes or remove the extra delimiter"
            )
        if row in self.short_rows:
            return f"line {row} has {self.short_rows[row]} of the header's {self.header_width} fields; the missing ones are taken as empty"
        return ""


def _is_number(v: object) -> bool:
    try:
        float(str(v).replace(",", ""))
    except ValueError:
        return False
    return True


def _header_score(row: Sequence[object], wanted: set[str], width: int) -> int:
    """2: names every wanted column; 1: looks like a header (>= 2 cells, half the width, all text); 0: not."""
    cells = [v for v in row if v is not None and str(v).strip()]
    if wanted and wanted <= {tabletext.normalise_column(v) for v in cells}:
        return 2
    return int(len(cells) >= 2 and len(cells) >= width / 2 and not any(_is_number(v) for v in cells))


def _pick_header(rows: list[list[object]], wanted: set[str]) -> int:
    width = max(len(r) for r in rows[:200])
    scores = [_header_score(r, wanted, width) for r in rows[:20]]
    return int(np.argmax(scores)) if max(scores) > 0 else 0


def _frame_from_rows(rows: list[list[object]], numbers: list[int], header_row: int | None, wanted: set[str], path: Path, info: TableInfo) -> pd.DataFrame:
    """Pick the header (given, or the best of the first 20 rows) and build the table."""
    if not rows:
        where = f" (sheet {info.sheet!r})" if info.sheet is not None else ""
        raise errors.EmptyLayerError(f"{path}: the file{where} has no rows")
    if header_row is not None:
        if header_row not in numbers:
            raise errors.InputError(f"{path}: header row {header_row} is empty or beyond the end of the file")
        h = numbers.index(header_row)
    else:
        h = _pick_header(rows, wanted)
    info.header_row = numbers[h]
    head = list(rows[h])
    named = [i for i, v in enumerate(head) if v is not None and str(v).strip()]
    info.header_width = named[-1] + 1 if named else len(head)
    width = max(len(r) for r in rows)
    header: list[str] = []
    for i, v in enumerate(head + [None] * (width - len(head))):
        name = str(v).strip() if v is not None and str(v).strip() else f"column_{i + 1}"
        while name in header:
            name += "_dup"
        header.append(name)
    if info.kind == "csv":
        for r, n in zip(rows[h + 1 :], numbers[h + 1 :], strict=True):
            if len(r) > len(head) and any(v is not None and str(v).strip() for v in r[len(head) :]):
                info.long_rows[n] = len(r)
            elif len(r) < info.header_width:
                info.short_rows[n] = len(r)
    body = [list(r) + [None] * (width - len(r)) for r in rows[h + 1 :]]
    return pd.DataFrame(body, columns=header, dtype=object, index=pd.Index(numbers[h + 1 :], name="source_row"))


def _read_csv(path: Path, encoding: str | None, notes: list[str], info: TableInfo) -> tuple[list[list[object]], list[int]]:
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise errors.InputError(f"{path}: not a valid gzip file ({exc}); decompress it or pass the plain file") from exc
    if not data.strip():
        raise errors.EmptyLayerError(f"{path}: the file is empty ({len(data)} bytes); export the table again")
    text, note = tabletext.decode(data, encoding=encoding, name=str(path))
    info.encoding = note
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if "\t" in sample and "," not in sample else csv.excel
    if note is not None:
        sep = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}.get(dialect.delimiter, repr(dialect.delimiter))
        notes.append(f"{path.name}: {note}, {sep}-separated")
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    rows: list[list[object]] = []
    numbers: list[int] = []
    line = 0
    try:
        for row in reader:
            start, line = line + 1, reader.line_num
            if any(c.strip() for c in row):
                rows.append(list(row))
                numbers.append(start)
    except csv.Error as exc:
        raise errors.InputError(
            f"{path}: line {line + 1}: the file's quoting is broken ({exc}); a value holding the delimiter, a quote or a line break "
            'must be in double quotes, with quotes inside doubled ("say ""hi"""). Re-export it from Excel/WPS as CSV'
        ) from exc
    return rows, numbers


def _formula_cells(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (a cheap scan of the XML)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any(re.search(rb"<(?:\w+:)?f[ >/]", zf.read(n)) for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def _open_workbook(path: Path, *, data_only: bool) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it drops; the cells are read
            return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds; the error names the file and the fix
        head = path.read_bytes()[:8]
        why = " (an old .xls, or a password-protected workbook)" if head.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise errors.InputError(f"{path}: cannot open as an Excel workbook{why} ({exc}); open it in Excel/WPS and save as .xlsx, without a password") from exc


def _sheet_rows(wb: Any, sheet: str | int | None, path: Path) -> tuple[Any, list[tuple]]:
    names = wb.sheetnames
    if sheet is None:
        if not wb.worksheets:
            raise errors.InputError(f"{path}: the workbook has no worksheet (sheets: {names})")
        ws = wb.worksheets[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not -len(wb.worksheets) <= sheet < len(wb.worksheets):
            raise errors.InputError(f"{path}: no sheet number {sheet} (0-based); sheets are {names}. Name it instead: sheet={names[0]!r}")
        ws = wb.worksheets[sheet]
    elif sheet in names and sheet in [w.title for w in wb.worksheets]:
        ws = wb[sheet]
    else:
        raise errors.InputError(f"{path}: no worksheet {sheet!r}; sheets are {names}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ws, list(ws.iter_rows(min_row=1, values_only=True))


def _read_xlsx(path: Path, sheet: str | int | None, info: TableInfo) -> tuple[list[list[object]], list[int], dict[tuple[int, int], str]]:
    """The sheet's rows and their numbers, and the formula cells without values by (row, column index)."""
    from openpyxl.utils import get_column_letter

    wb = _open_workbook(path, data_only=True)
    try:
        info.sheets = list(wb.sheetnames)
        ws, values = _sheet_rows(wb, sheet, path)
        info.sheet = ws.title
    finally:
        wb.close()
    cells: dict[tuple[int, int], str] = {}
    if _formula_cells(path):
        wb = _open_workbook(path, data_only=False)
        try:
            _, formulas = _sheet_rows(wb, info.sheet, path)
        finally:
            wb.close()
        # the same sheet read twice (cached values, then formulas): the same rows and cells
        for i, (cached, formula) in enumerate(zip(values, formulas, strict=True), start=1):
            for j, (v, f) in enumerate(zip(cached, formula, strict=True)):
                if v is None and f is not None:
                    cells[(i, j)] = f"{get_column_letter(j + 1)}{i}"
    with_formula = {i for i, _ in cells}
    rows: list[list[object]] = []
    numbers: list[int] = []
    for i, row in enumerate(values, start=1):
        if any(v is not None and str(v).strip() for v in row) or i in with_formula:
            rows.append(list(row))
            numbers.append(i)
    return rows, numbers, cells


def read_rows_table(
    path: Path,
    kind: str,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    wanted: set[str] | None = None,
) -> tuple[pd.DataFrame, list[str], TableInfo]:
    """Read a CSV/TXT/TSV (``kind`` ``".csv"``...) or XLSX (``".xlsx"``) table: every cell as given.

    Returns
    -------
    frame, notes, info
        ``frame``: the file's columns (object dtype), the row numbers as
        its index (``source_row``). ``notes``: the encoding when not UTF-8,
        ragged rows, formulas without saved values. ``info``: see
        :class:`TableInfo`.
    """
    notes: list[str] = []
    wanted = wanted or set()
    cells: dict[tuple[int, int], str] = {}
    if kind in (".xlsx", ".xlsm"):
        info = TableInfo(kind="xlsx")
        rows, numbers, cells = _read_xlsx(path, sheet, info)
    else:
        info = TableInfo(kind="csv")
        rows, numbers = _read_csv(path, encoding, notes, info)
    frame = _frame_from_rows(rows, numbers, header_row, wanted, path, info)
    if cells:
        info.formulas = {(r, str(frame.columns[j])): ref for (r, j), ref in cells.items() if r in frame.index and j < len(frame.columns)}
        refs = [ref for _, ref in sorted(cells.items())]
        more = f" and {len(refs) - 8} more" if len(refs) > 8 else ""
        notes.append(
            f"{path.name} (sheet {info.sheet!r}): {len(refs)} cells hold a formula with no saved value ({', '.join(refs[:8])}{more}), "
            f"read as empty; {FORMULA_FIX}"
        )
    for label, rows_ in (("more", info.long_rows), ("fewer", info.short_rows)):
        if rows_:
            lines = ", ".join(map(str, list(rows_)[:8])) + (f" and {len(rows_) - 8} more" if len(rows_) > 8 else "")
            has = "row has" if len(rows_) == 1 else "rows have"
            notes.append(f"{path.name}: {len(rows_)} {has} {label} fields than the header's {info.header_width} (lines {lines})")
    return frame, notes, info


def describe_sheets(path: str | Path, *, lon_names: Sequence[str] = tabletext.LON_NAMES, lat_names: Sequence[str] = tabletext.LAT_NAMES) -> tuple[str, list[str]]:
    """Every sheet of a workbook with what it holds, for an error about the wrong sheet.

    Returns
    -------
    text, good
        ``text``: e.g. ``sheets: '说明' (3 rows; no lon/lat-like column:
        '填表说明'), '养老机构' (12 rows; lon/lat-like columns '经度',
        '纬度' in row 2)``; ``good``: the sheets with both a lon- and a
        lat-like column (or a 经纬度-like one).
    """
    lon_n = {tabletext.normalise_column(c) for c in lon_names}
    lat_n = {tabletext.normalise_column(c) for c in lat_names}
    pair_n = {tabletext.normalise_column(c) for c in tabletext.PAIR_NAMES}
    wb = _open_workbook(Path(path), data_only=True)
    parts, good = [], []
    try:
        for name in wb.sheetnames:
            ws = wb[name]
            if name not in [w.title for w in wb.worksheets]:
                parts.append(f"{name!r} (a chart sheet)")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = [(i, r) for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if any(v is not None and str(v).strip() for v in r)]
            if not rows:
                parts.append(f"{name!r} (empty)")
                continue
            found = None
            for i, r in rows[:20]:
                cells = [str(v).strip() for v in r if v is not None and str(v).strip()]
                norm = [tabletext.normalise_column(c) for c in cells]
                lon = [c for c, n in zip(cells, norm, strict=True) if n in lon_n]
                lat = [c for c, n in zip(cells, norm, strict=True) if n in lat_n]
                pair = [c for c, n in zip(cells, norm, strict=True) if n in pair_n]
                if (lon and lat) or pair:
                    found = (i, lon[:1] + lat[:1] if lon and lat else pair[:1])
                    break
            if found:
                good.append(name)
                cols = ", ".join(repr(c) for c in found[1])
                parts.append(f"{name!r} ({len(rows)} row{'s' if len(rows) > 1 else ''}; lon/lat-like columns {cols} in row {found[0]})")
            else:
                first = [str(v).strip()[:20] for v in rows[0][1] if v is not None and str(v).strip()][:3]
                parts.append(f"{name!r} ({len(rows)} row{'s' if len(rows) > 1 else ''}; no lon/lat-like column; first row: {', '.join(map(repr, first))})")
    finally:
        wb.close()
    return "sheets: " + ", ".join(parts), good
