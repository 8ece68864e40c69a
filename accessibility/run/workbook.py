"""``results.xlsx``: the run as a workbook a planner opens in Excel or WPS.

Sheets (headers ``中文 / English``, the header row and first column frozen,
percentages, thousands separators):

``结论 Verdicts``
    per goal: verdict, covered share, target, covered / uncovered / eligible
    people, the main caveat (Chinese and English).
``说明 Notes``
    every caveat: the population source, data coverage, likely incomplete
    facility data, the run's notes, every goal's warnings, and the notes of
    suggestions and provision ratios. A number without its caveat is a bug.
``分区 Districts``
    per goal and district (runs with ``--districts``).
``最差网格 Worst hexagons``
    per goal, the hexagons with the most uncovered people, with their centres.
``设施 Facilities``, ``未用设施 Not used``
    the facilities used, and those left out with the reason.
``剔除记录 Rejects``
    every row of ``rejects_*.csv`` (planners' data not used or changed).
``建议新址 Suggested sites``, ``配置指标 Provision``
    what ``accessibility suggest`` and ``accessibility provision`` added
    (the workbook is rewritten when they add their files).

The workbook is built from the run folder's own files (``goals.json``,
``facilities.parquet``, the CSVs, the suggestions and provision files), so the
run writes it and ``suggest``/``provision`` rewrite it the same way
(:func:`refresh_workbook`). Text never becomes a formula, and the file's dates
and zip entries are fixed, so a rerun gives an identical file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from ..core import fileio
from ..core.notes import Note
from ..stages import hexes as hexes_mod
from . import folder as runfolder

__all__ = ["SHEETS", "STATUS_LABELS", "Table", "refresh_workbook", "workbook_bytes", "workbook_tables", "write_workbook"]

#: sheet names by key (Excel allows 31 characters)
SHEETS = {
    "verdicts": "结论 Verdicts",
    "notes": "说明 Notes",
    "districts": "分区 Districts",
    "worst": "最差网格 Worst hexagons",
    "facilities": "设施 Facilities",
    "not_used": "未用设施 Not used",
    "rejects": "剔除记录 Rejects",
    "suggestions": "建议新址 Suggested sites",
    "provision": "配置指标 Provision",
}
#: the verdict of a goal as the workbook writes it
STATUS_LABELS = {"pass": "达标 / PASS", "fail": "未达标 / FAIL", "incomplete_data": "数据不完整 / INCOMPLETE DATA", "undefined": "无法判定 / n/a"}
_POPULATION = {"total": "全部常住人口 / all residents", "older": "老年人口 / older people"}
_MODES = {"walk": "步行 / walk", "bike": "骑行 / bike", "drive": "驾车 / drive"}
_SEVERITY = {"warning": "提示 / warning", "info": "信息 / info"}
_SCOPE = {"complete": "完整 / complete", "partial": "部分数据 / partial data", "outside": "不在数据范围内 / outside the data"}
_FORMATS = {"int": "#,##0", "num": "#,##0.0", "pct": "0.0%", "coord": "0.000000", "id": "0", "text": "General", "ratio": "#,##0.00"}
#: a fixed date for the workbook's properties (the run's real date is in manifest.json)
_DATE = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - a constant, no time zone wanted
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_MAX_TEXT = 32_767  # Excel's limit on the characters of a cell

#: Chinese names and formats of the columns of facility tables (other columns keep their name)
_COLUMNS: dict[str, tuple[str, str]] = {
    "facility_id": ("设施编号", "id"), "service": ("服务类型", "text"), "tier": ("等级", "text"), "name": ("名称", "text"),
    "source": ("来源", "text"), "osm_type": ("OSM类型", "text"), "osm_id": ("OSM编号", "id"), "area_m2": ("占地面积（平方米）", "num"),
    "snap_dist_m": ("距路网（米）", "num"), "access_points": ("路网接入点", "int"), "status": ("状态", "text"), "beds": ("床位", "int"),
    "places": ("学位", "int"), "floor_area_m2": ("建筑面积（平方米）", "num"), "source_row": ("原表行号", "id"), "osm_ref": ("对应OSM设施", "text"),
    "import_note": ("导入说明", "text"), "lon": ("经度", "coord"), "lat": ("纬度", "coord"), "source_file": ("来源文件", "text"),
    "reason": ("原因", "text"), "action": ("处理", "text"), "rejects_file": ("剔除记录文件", "text"),
}


@dataclass
class Table:
    """One sheet: its columns (key, header ``中文 / English``, number format key) and rows of plain values."""

    key: str
    columns: list[tuple[str, str, str]]
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        """The header row."""
        return [h for _, h, _ in self.columns]


def _col(key: str, zh: str, en: str, fmt: str = "text") -> tuple[str, str, str]:
    return key, f"{zh} / {en}", fmt


# --------------------------------------------------------------------------- reading the run's files


def _read_json(paths: Mapping[str, Path], name: str) -> Any:
    try:
        return json.loads(paths[name].read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.RunDirectoryError(f"{paths[name]}: cannot be read ({exc}); run the command that wrote it again") from None


def _names(paths: Mapping[str, Path], pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return sorted(n for n in paths if rx.fullmatch(n))


def _note_rows(about: str, notes: Iterable[Any]) -> list[list[Any]]:
    rows = []
    for raw in notes:
        n = Note.from_dict(raw)
        rows.append([about, _SEVERITY.get(n.severity, n.severity), n.code, n.text("zh"), n.message])
    return rows


# --------------------------------------------------------------------------- the sheets


def _verdicts(doc: Mapping) -> Table:
    t = Table("verdicts", [
        _col("id", "目标编号", "goal id"), _col("name_zh", "目标", "goal (Chinese)"), _col("name_en", "目标（英文）", "goal"),
        _col("status", "判定", "verdict"), _col("share", "覆盖率", "covered share", "pct"), _col("target", "目标值", "target", "pct"),
        _col("covered_pop", "已覆盖人口", "covered people", "int"), _col("uncovered_pop", "未覆盖人口", "uncovered people", "int"),
        _col("eligible_pop", "应覆盖人口", "eligible people", "int"), _col("population", "人群", "population"),
        _col("threshold", "标准", "threshold"), _col("mode", "出行方式", "mode"),
        _col("caveat_zh", "主要说明", "main caveat (Chinese)"), _col("caveat_en", "主要说明（英文）", "main caveat"),
        _col("notes", "其他说明", "other notes"), _col("target_label", "目标依据", "target source"),
    ])
    for g in doc.get("goals", []):
        target = g["targets"][0] if g.get("targets") else None
        caveat = g.get("main_caveat") or {}
        n = len(g.get("warnings") or [])
        t.rows.append([
            g["id"], g.get("name_zh"), g.get("name_en"), STATUS_LABELS.get(g.get("status", ""), g.get("status")), g.get("share"),
            target["share"] if target else None, g.get("covered_pop"), g.get("uncovered_pop"), g.get("eligible_pop"),
            _POPULATION.get(g.get("population", ""), g.get("population")), g.get("threshold"), _MODES.get(g.get("mode", ""), g.get("mode")),
            caveat.get("zh"), caveat.get("en"), f"见“说明”表 {n} 条 / {n} on the Notes sheet" if n else None, target["label"] if target else None,
        ])
    return t


def _notes(doc: Mapping, extra: Sequence[list[Any]]) -> Table:
    t = Table("notes", [
        _col("about", "对象", "about"), _col("severity", "级别", "severity"), _col("code", "代码", "code"),
        _col("zh", "说明", "note (Chinese)"), _col("en", "说明（英文）", "note"),
    ])
    source = str(doc.get("population_source", ""))
    if doc.get("population_is_estimate"):
        t.rows.append(["人口 / population", _SEVERITY["warning"], "population.estimate", f"人口为估算（{source}），覆盖率仅供参考",
                       f"Population is an estimate ({source}); treat shares as indicative"])
    else:
        t.rows.append(["人口 / population", _SEVERITY["info"], "population.source", f"人口：{source}", f"Population: {source}"])
    cover = doc.get("coverage") or {}
    for key in ("study_area", "main_urban_area"):
        c = cover.get(key)
        if isinstance(c, dict) and c.get("scope") not in (None, "complete"):
            msg = c.get("message") or {}
            t.rows.append([key, _SEVERITY["warning"], "data.partial", msg.get("zh"), msg.get("en")])
    for c in doc.get("completeness") or []:
        if c.get("message"):
            t.rows.append([c.get("service"), _SEVERITY["warning"], "facilities.incomplete", c.get("message_zh") or c["message"], c["message"]])
    t.rows += _note_rows("运行 / run", doc.get("notes", []))
    for g in doc.get("goals", []):
        t.rows += _note_rows(g["id"], g.get("warnings") or [])
    t.rows += extra
    return t


def _districts(doc: Mapping) -> Table | None:
    t = Table("districts", [
        _col("goal", "目标编号", "goal id"), _col("district_id", "分区编号", "district id"), _col("district_name", "分区", "district"),
        _col("share", "覆盖率", "covered share", "pct"), _col("covered_pop", "已覆盖人口", "covered people", "int"),
        _col("uncovered_pop", "未覆盖人口", "uncovered people", "int"), _col("eligible_pop", "应覆盖人口", "eligible people", "int"),
        _col("scope", "数据范围", "data scope"), _col("data_coverage", "数据覆盖比例", "data coverage", "pct"),
    ])
    for g in doc.get("goals", []):
        for r in g.get("by_district") or []:
            t.rows.append([g["id"], r.get("district_id"), r.get("district_name"), r.get("share"), r.get("covered_pop"), r.get("uncovered_pop"),
                           r.get("eligible_pop"), _SCOPE.get(r.get("scope", "complete"), r.get("scope")), r.get("data_coverage")])
    return t if t.rows else None


def _worst(doc: Mapping) -> Table:
    t = Table("worst", [
        _col("goal", "目标编号", "goal id"), _col("rank", "排序", "rank", "int"), _col("h3", "H3网格编号", "H3 id"),
        _col("lon", "中心经度", "centre lon", "coord"), _col("lat", "中心纬度", "centre lat", "coord"),
        _col("uncovered_pop", "未覆盖人口", "uncovered people", "int"), _col("eligible_pop", "应覆盖人口", "eligible people", "int"),
        _col("share", "覆盖率", "covered share", "pct"),
    ])
    rows = [(g["id"], i + 1, h) for g in doc.get("goals", []) for i, h in enumerate(g.get("worst_hexes") or [])]
    ids = np.array([h["h3"] for _, _, h in rows], dtype=object)
    lon, lat = np.full(len(ids), np.nan), np.full(len(ids), np.nan)
    if len(ids):
        import h3ronpy

        with contextlib.suppress(ValueError):  # an id edited by hand: the centres stay empty, the rest of the table is right
            lon, lat = hexes_mod.cell_centres(np.asarray(h3ronpy.cells_parse(ids).to_numpy(), np.uint64))
    for (gid, rank, h), x, y in zip(rows, lon.tolist(), lat.tolist(), strict=True):
        t.rows.append([gid, rank, h["h3"], x, y, h.get("uncovered_pop"), h.get("eligible_pop"), h.get("share")])
    return t


def _frame_table(key: str, frame: pd.DataFrame) -> Table:
    cols = []
    for c in frame.columns:
        zh, fmt = _COLUMNS.get(str(c), (str(c), "num" if pd.api.types.is_float_dtype(frame[c]) else "text"))
        cols.append((str(c), f"{zh} / {c}" if zh != str(c) else str(c), fmt))
    return Table(key, cols, frame.astype(object).where(frame.notna(), None).to_numpy().tolist())


def _facilities(paths: Mapping[str, Path]) -> tuple[Table, Table]:
    import geopandas as gpd
    import shapely

    fac = gpd.read_parquet(paths[runfolder.FACILITIES])
    geoms = fac.geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    frame = pd.DataFrame(fac.drop(columns=fac.geometry.name)).assign(lon=shapely.get_x(pts), lat=shapely.get_y(pts))
    used = (frame["status"] == "used").to_numpy() if "status" in frame else np.ones(len(frame), bool)
    return _frame_table("facilities", frame[used]), _frame_table("not_used", frame[~used])


def _rejects(paths: Mapping[str, Path]) -> Table | None:
    names = _names(paths, r"rejects_[a-z0-9][a-z0-9_]*\.csv")
    if not names:
        return None
    parts = []
    for name in names:
        try:
            part = pd.read_csv(paths[name], encoding="utf-8-sig", dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise errors.RunDirectoryError(f"{paths[name]}: cannot be read ({exc}); run `accessibility run` again") from None
        parts.append(part.assign(rejects_file=name)[["rejects_file", *part.columns]])
    frame = pd.concat(parts, ignore_index=True, sort=False).fillna("")
    if "source_row" in frame:
        frame["source_row"] = pd.to_numeric(frame["source_row"], errors="coerce").astype("Int64")
    # the original cells as the file held them: values written back by spreadsheet_safe lose their guard here (the workbook keeps text as text)
    return _frame_table("rejects", frame.map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'") and len(v) > 1 and v[1] in "=+-@\t\r" else v))


def _suggestions(paths: Mapping[str, Path]) -> tuple[Table | None, list[list[Any]]]:
    import pyogrio

    t = Table("suggestions", [
        _col("goal", "目标编号", "goal id"), _col("rank", "序号", "rank", "int"), _col("lon", "经度", "lon", "coord"), _col("lat", "纬度", "lat", "coord"),
        _col("marginal_gain", "新增覆盖人口", "newly covered people", "int"), _col("covered_after", "建成后覆盖人口", "covered after", "int"),
        _col("share_after", "建成后覆盖率", "share after", "pct"), _col("share_before", "现状覆盖率", "share before", "pct"),
        _col("street", "临近道路", "street"), _col("candidate_name", "候选点名称", "candidate name"), _col("service", "服务类型", "service"),
        _col("method", "方法", "method"), _col("snap_dist_m", "距路网（米）", "to street (m)", "num"), _col("candidate", "候选点", "candidate", "id"),
    ])
    notes: list[list[Any]] = []
    for name in _names(paths, r"suggestions_.+\.gpkg"):
        stem = name[: -len(".gpkg")]
        summary = _read_json(paths, f"{stem}.json") if f"{stem}.json" in paths else {}
        sites = pyogrio.read_dataframe(paths[name], layer="sites", read_geometry=False)
        for r in sites.to_dict(orient="records"):
            t.rows.append([r.get("goal"), r.get("rank"), r.get("lon"), r.get("lat"), r.get("marginal_gain"), r.get("covered_after"), r.get("share_after"),
                           summary.get("share_before"), r.get("street"), r.get("candidate_name"), r.get("service"), summary.get("method"),
                           r.get("snap_dist_m"), r.get("candidate")])
        notes += _note_rows(stem, [*summary.get("caveats", []), *summary.get("notes", []), *summary.get("candidate_notes", [])])
    return (t if t.rows else None), notes


def _provision(paths: Mapping[str, Path]) -> tuple[Table | None, list[list[Any]]]:
    t = Table("provision", [
        _col("id", "指标编号", "indicator"), _col("name_zh", "指标", "indicator (Chinese)"), _col("name_en", "指标（英文）", "indicator name"),
        _col("service", "服务类型", "service"), _col("overall_ratio", "总体配置水平", "overall ratio", "ratio"), _col("target", "目标值", "target", "ratio"),
        _col("per", "每多少人", "per people", "int"), _col("mean_access_2sfca", "人均可达（2SFCA）", "mean access (2SFCA)", "ratio"),
        _col("mean_access_e2sfca", "人均可达（E2SFCA）", "mean access (E2SFCA)", "ratio"), _col("adequate", "达标人口比例", "adequate share", "pct"),
        _col("over_subscribed", "供给不足人口比例", "over-subscribed share", "pct"), _col("not_covered", "未覆盖人口比例", "not covered share", "pct"),
        _col("total_supply", "总供给", "total supply", "num"), _col("supply_column", "供给字段", "supply column"),
        _col("total_population", "人口", "population", "int"), _col("with_supply", "有供给数据设施", "facilities with supply", "int"),
        _col("without_supply", "缺供给数据设施", "facilities without supply", "int"),
        _col("catchment_m", "服务半径（米；有步行者时为折合平地米）", "catchment (m; with a walker, flat-equivalent m)", "int"),
        _col("catchment_min", "服务范围（分钟）", "catchment (min)", "num"), _col("walker", "步行者", "walker"),
        _col("target_label", "目标依据", "target source"),
    ])
    notes: list[list[Any]] = []
    for name in _names(paths, r"provision_.+\.json"):
        s = _read_json(paths, name)
        shares = s.get("class_share") or {}
        t.rows.append([s.get("id"), s.get("name_zh"), s.get("name_en"), s.get("service"), s.get("overall_ratio"), s.get("target"), s.get("per"),
                       s.get("mean_access_2sfca"), s.get("mean_access_e2sfca"), shares.get("adequate"), shares.get("over_subscribed"),
                       shares.get("not_covered"), s.get("total_supply"), s.get("supply_column"), s.get("total_population"),
                       s.get("facilities_with_supply"), s.get("facilities_without_supply"), s.get("catchment_m"), s.get("catchment_min"),
                       (s.get("walker") or {}).get("id"), s.get("target_label")])
        notes += _note_rows(str(s.get("id", name)), [*s.get("caveats", []), *s.get("notes", [])])
    return (t if t.rows else None), notes


def workbook_tables(paths: Mapping[str, Path]) -> list[Table]:
    """The sheets of the workbook of a run, from its files (``paths``: file name -> path; ``goals.json`` and ``facilities.parquet`` at least)."""
    doc = _read_json(paths, runfolder.GOALS_JSON)
    used, not_used = _facilities(paths)
    suggested, s_notes = _suggestions(paths)
    provision, p_notes = _provision(paths)
    tables = [_verdicts(doc), _notes(doc, s_notes + p_notes), _districts(doc), _worst(doc), used, not_used, _rejects(paths), suggested, provision]
    return [t for t in tables if t is not None]


# --------------------------------------------------------------------------- writing the workbook


def _display_width(text: str) -> int:
    """Width of ``text`` in Excel's character units (CJK and full-width characters count two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _cell_value(v: Any) -> Any:
    """A value openpyxl writes as Excel shows it: plain numbers, no NaN or infinity (empty cells), clean text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (list, dict, tuple)):
        v = json.dumps(v, ensure_ascii=False)
    return ILLEGAL_CHARACTERS_RE.sub("", str(v))[:_MAX_TEXT]


def _write_sheet(wb: Any, table: Table) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEETS[table.key])
    bold, grey = Font(bold=True), PatternFill("solid", start_color="FFE7E6E6", end_color="FFE7E6E6")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = []
    for j, header in enumerate(table.headers, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font, cell.fill, cell.alignment = bold, grey, wrap
        widths.append(max(_display_width(part) for part in header.split(" / ")) + 2)
    formats = [_FORMATS[fmt] for _, _, fmt in table.columns]
    for i, row in enumerate(table.rows, start=2):
        for j, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            if value is None:
                continue
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                # text stays text: openpyxl turns '=...' into a formula, and Excel evaluates a typed '+', '-', '@' too
                cell.data_type = "s"
                if value[:1] in "=+-@":
                    cell.quotePrefix = True
                if i < 200:  # the first rows set the width; a long tail is not measured
                    widths[j - 1] = max(widths[j - 1], min(_display_width(value), 60) + 2)
            else:
                cell.number_format = formats[j - 1]
                if i < 200:
                    widths[j - 1] = max(widths[j - 1], 12)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w, 8), 62)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2"
    if table.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


class _FixedDateZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed date: openpyxl stamps them with the time of writing."""

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any, compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_DATE)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None, compresslevel: int | None = None) -> None:
        """Add a file's content (openpyxl writes each sheet to a temporary file first), with the fixed date."""
        data = Path(filename).read_bytes()
        self.writestr(str(arcname if arcname is not None else filename), data, compress_type, compresslevel)


def workbook_bytes(paths: Mapping[str, Path]) -> bytes:
    """The ``results.xlsx`` of a run as bytes, from its files (``paths``: file name -> path)."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in workbook_tables(paths):
        _write_sheet(wb, table)
    props = wb.properties
    props.creator, props.title = "accessibility", "可达性分析结果 / accessibility results"
    props.created = props.modified = _DATE
    buf = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which sets the 'modified' date to now
    ExcelWriter(wb, _FixedDateZip(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return buf.getvalue()


def write_workbook(paths: Mapping[str, Path], path: str | Path) -> Path:
    """Write the workbook of a run (from its files, ``paths``: file name -> path) to ``path``, atomically."""
    data = workbook_bytes(paths)
    with fileio.atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _wanted(name: str) -> bool:
    return bool(re.fullmatch(r"goals\.json|facilities\.parquet|rejects_.+\.csv|suggestions_.+\.(gpkg|json)|provision_.+\.json", name))


def refresh_workbook(run_dir: str | Path | runfolder.RunFolder, *, command: str) -> Path:
    """Rewrite ``results.xlsx`` of a finished run from its files (after ``suggest`` or ``provision`` added theirs), recorded in its manifest.

    Parameters
    ----------
    run_dir
        The run folder (checked against its manifest; a mixed or damaged folder is refused).
    command
        The command on whose behalf it is written (``"suggest"``, ``"provision"``), for the manifest.

    Returns
    -------
    Path
        The workbook.
    """
    rf = run_dir if isinstance(run_dir, runfolder.RunFolder) else runfolder.open_run(run_dir)
    paths = {name: rf.file(name) for name in rf.files if _wanted(name)}
    data = workbook_bytes(paths)
    with runfolder.update(rf.path, command=command) as up, up.file(runfolder.RESULTS_XLSX) as tmp:
        tmp.write_bytes(data)
    return rf.path / runfolder.RESULTS_XLSX
