"""The report as a Word document (``report_<lang>.docx``, python-docx), for government offices to paste from.

:func:`to_docx` renders the report's blocks (:func:`accessibility.briefing.report.report_blocks`):
first the headline as a table (goal, share, target, status with a coloured
cell, main caveat), the run's warnings and the map picture, then on a new
page the details as in the HTML report (per-goal sections, district tables,
charts, sources, assumptions, appendix). A4 paper; Chinese text in 宋体.

The file is deterministic: the document's dates are fixed (``doc_date``) and
the ZIP entries carry a fixed time, so the same run gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import i18n
from .headline import Headline, badge_colours

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.table import _Cell

__all__ = ["to_docx"]

#: ZIP entry time and fallback document date (ZIP cannot store times before 1980)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_PAGE_MM = (210, 297)
_MARGIN_MM = 18
_TEXT_WIDTH_MM = _PAGE_MM[0] - 2 * _MARGIN_MM
_MAP_MAX_HEIGHT_MM = 120
_EAST_ASIAN_FONT = "宋体"
#: characters XML 1.0 cannot hold (python-docx refuses them); names from planners' files may carry them
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(text: object) -> str:
    """``text`` without the control characters Word documents cannot hold."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def _setup(doc: DocumentObject, lang: str) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(_PAGE_MM[0]), Mm(_PAGE_MM[1])
    sec.left_margin = sec.right_margin = sec.top_margin = sec.bottom_margin = Mm(_MARGIN_MM)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), _EAST_ASIAN_FONT)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), "en-GB")
    lang_el.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang_el)
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en-GB"


def _shade(cell: _Cell, colour: str) -> None:
    """Fill a table cell with ``colour`` (``#rrggbb``): python-docx has no API for cell shading."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour.lstrip("#").upper())
    cell._tc.get_or_add_tcPr().append(shd)  # noqa: SLF001 - the documented way to reach the cell's XML


def _table(doc: DocumentObject, header: list[str], rows: list[list[Any]]) -> Any:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(_safe(h)).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            text = getattr(value, "text", value)
            cell.text = _safe(text)
            if hasattr(value, "text"):  # a number: right-aligned
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table


def _headline(doc: DocumentObject, h: Headline) -> None:
    kicker = doc.add_paragraph()
    kicker.add_run(h.kicker).italic = True
    doc.add_heading(_safe(h.place or h.kicker), level=0)
    for line in h.meta_lines():
        doc.add_paragraph(_safe(line))
    t = h.lang
    header = [i18n.text("goal", t), i18n.text("share", t), i18n.text("target", t), i18n.text("hl_status", t), i18n.text("hl_caveat", t)]
    rows = [[g.name, i18n.pct(g.share, t), i18n.pct(g.target, t) if g.target is not None else i18n.text("hl_no_target", t), g.badge(t), g.caveat] for g in h.goals]
    table = _table(doc, header, rows)
    colours = badge_colours()
    for row, g in zip(table.rows[1:], h.goals, strict=True):
        cell = row.cells[3]
        _shade(cell, colours[g.status])
        run = cell.paragraphs[0].runs[0]
        run.bold, run.font.color.rgb = True, RGBColor(0xFF, 0xFF, 0xFF)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _picture(doc: DocumentObject, path: Path, caption: str | None = None) -> None:
    from PIL import Image

    with Image.open(path) as img:
        w_px, h_px = img.size
    width_mm = min(_TEXT_WIDTH_MM, _MAP_MAX_HEIGHT_MM * w_px / max(h_px, 1))
    doc.add_picture(str(path), width=Mm(width_mm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if caption:
        p = doc.add_paragraph()
        r = p.add_run(_safe(caption))
        r.italic, r.font.size = True, Pt(9)


def _warn(doc: DocumentObject, text: str) -> None:
    run = doc.add_paragraph().add_run(_safe(text))
    run.bold, run.font.color.rgb = True, RGBColor(0x8A, 0x4B, 0x00)


def _render(doc: DocumentObject, block: tuple, images: dict[str, Path]) -> None:
    kind = block[0]
    if kind == "headline":
        _headline(doc, block[1])
    elif kind in ("h1", "h2", "h3"):
        doc.add_heading(_safe(block[1]), level=int(kind[1]))
    elif kind == "p":
        doc.add_paragraph(_safe(block[1]))
    elif kind == "warn":
        _warn(doc, block[1])
    elif kind == "list":
        for item in block[1]:
            doc.add_paragraph(_safe(item).strip(), style="List Bullet")
    elif kind == "table":
        _table(doc, block[1], block[2])
    elif kind == "img" and block[1] in images:
        _picture(doc, images[block[1]])
    elif kind == "figure" and block[1] in images:
        _picture(doc, images[block[1]], block[3])
    elif kind == "pagebreak":
        doc.add_page_break()


def _fixed_zip(raw: bytes) -> bytes:
    """The same ZIP with every entry's time fixed (python-docx stamps the time of saving), in the same order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def to_docx(blocks: list[tuple], *, lang: str, images: dict[str, Path], out: str | Path, doc_date: str | None = None) -> Path:
    """Write the report's blocks as a Word document.

    Parameters
    ----------
    blocks
        :func:`accessibility.briefing.report.report_blocks` (the headline block first).
    lang
        ``"zh"`` or ``"en"`` (the document's language and the headline's words).
    images
        The pictures the blocks name (``map``, ``coverage``, ``districts``).
    out
        The ``.docx`` file to write.
    doc_date
        ISO date written as the document's creation and modification date
        (default 1980-01-01): never the clock, so reruns give the same bytes.

    Returns
    -------
    Path
        ``out``.
    """
    doc = Document()
    _setup(doc, lang)
    for block in blocks:
        _render(doc, block, images)
    when = datetime.fromisoformat(doc_date).replace(tzinfo=UTC) if doc_date else datetime(*FIXED_TIME, tzinfo=UTC)
    props = doc.core_properties
    head = next((b[1] for b in blocks if b[0] == "headline"), None)
    props.title = _safe(head.place) if head is not None else ""
    props.author = props.last_modified_by = "accessibility"
    props.created = props.modified = props.last_printed = when
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    Path(out).write_bytes(_fixed_zip(buf.getvalue()))
    return Path(out)
