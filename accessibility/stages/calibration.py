"""Calibration of the residents to census counts per district or street (人口普查分区县、街道常住人口).

A building or street estimate, or a population raster, places people roughly; the census knows
how many live in each district. :func:`calibrate_demand` scales the demand points of every
district so that together they hold the district's census count (the part of the district inside
the study area, by area share), keeping the pattern of the estimate inside each district:

* census rows (:func:`read_census`) join the run's districts (:func:`join_census`) by code
  (6-digit 区县 adcodes, 9-digit 街道 codes, 12-digit 统计用区划代码; the rows of the streets of
  a district add up into it) or by name (西湖 = 西湖区 = 杭州市西湖区, 北山 = 北山街道);
* older people come from an older-count or older-share column of the table, else from a share per
  district (:func:`older_shares_for`: the 2020 census shares of Zhejiang's cities and counties
  that could be sourced, :data:`ZHEJIANG_OLDER_SHARES_2020`), else the estimate's own share;
* points outside every district and districts without a census row keep their estimate, and
  census rows matching no district are listed with the reason, never silently dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .. import errors
from ..core.specs import option
from ..readers import areas, sources, tabletext, zones
from ..readers import facility_files as userdata
from .population import Demand

__all__ = [
    "OUTSIDE",
    "ZHEJIANG_OLDER_SHARES_2020",
    "Calibration",
    "CensusInput",
    "CensusTable",
    "OlderShare",
    "calibrate_demand",
    "join_census",
    "older_shares_for",
    "read_census",
]

log = logging.getLogger(__name__)

#: district id and name of the row of people outside every district (as in the goal tables)
OUTSIDE = zones.OUTSIDE

#: column names recognised in census tables (compared after normalising: case, spaces, brackets)
NAME_NAMES = (*zones.NAME_NAMES, "地区", "地区名称", "区域", "区域名称", "行政区", "行政区划", "行政区划名称", "区划名称", "县", "县市区", "区县市")
POP_NAMES = zones.POP_NAMES
OLDER_NAMES = (*zones.OLDER_NAMES, "60岁及以上人口数", "60岁以上人口数", "60周岁及以上人口", "60周岁以上人口")
SHARE_NAMES = (*zones.SHARE_NAMES, "60岁及以上人口占比", "60岁及以上比重", "60岁及以上人口比重", "老龄化程度")
#: names of rows that sum the others (合计, 全市...): skipped, not matched
# An estimate below a millionth of a person in a district is nobody: scaling it to a census total
# would divide by a subnormal number and overflow.
_NOBODY = 1e-6
TOTAL_WORDS = ("合计", "总计", "小计", "全市", "全省", "全区", "全县", "全国", "total", "sum", "all")

_SUFFIX = re.compile(r"(畲族自治县|自治县|街道办事处|街道|办事处|镇|乡|区|县|市)$")
_PREFIX = re.compile(r"^.{2,}?[省市](?=.{2,}$)")  # 浙江省 / 杭州市 in front of a district's own name
_LEVELS = (12, 9, 6, 4, 2)  # significant digits of a 12-digit code: village/community, street, county, city, province


@dataclass(frozen=True)
class CensusInput:
    """Census counts per district or street for :func:`calibrate_demand` (the same spec serves the
    Python API and the command line's ``--district-population`` options).

    Attributes
    ----------
    path
        A table (CSV/XLSX, any file :func:`~accessibility.readers.areas.read_table` reads) with one
        row per district or street, e.g. the 7th census (第七次全国人口普查) by 区县 or 街道.
    code_col, name_col
        Division code (6-digit adcode, 9-digit street code, 12-digit statistical code) and name
        columns; default found by name (区划代码, 代码; 地区, 名称, 街道).
    pop_col
        Resident population; default found by name (常住人口, 人口). A header saying 万 (万人)
        means the values are in 10,000s.
    older_col, older_share_col
        Older people (60岁及以上人口) or their share (fraction or percent, 老龄化率); optional.
    encoding
        Text encoding (default: detected).
    sheet
        Excel sheet (default: the first holding a header).
    """

    path: sources.Source = option(
        "--district-population", "census counts per district or street (CSV/XLSX, e.g. the 7th census): each district's residents are scaled to its count "
        "(needs --districts)", metavar="FILE", required=True,
    )
    code_col: str | None = option("--census-code-col", "division code column of --district-population (default: found by name, e.g. 区划代码)", metavar="COLUMN")
    name_col: str | None = option("--census-name-col", "district or street name column (default: found by name, e.g. 地区; 西湖 matches 西湖区)", metavar="COLUMN")
    pop_col: str | None = option("--census-pop-col", "population column (default: found by name, e.g. 常住人口; a header with 万 means 10,000s)", metavar="COLUMN")
    older_col: str | None = option("--census-older-col", "older-population column (e.g. 60岁及以上人口)", metavar="COLUMN")
    older_share_col: str | None = option("--census-older-share-col", "older share column (fraction or percent, e.g. 60岁及以上占比)", metavar="COLUMN")
    encoding: str | None = option("--census-encoding", "text encoding of --district-population (default: detected)", metavar="ENCODING")
    sheet: str | None = option("--census-sheet", "Excel sheet of --district-population (default: the first with a header)", metavar="SHEET")


@dataclass(frozen=True)
class CensusTable:
    """The usable rows of a census table (:func:`read_census`).

    Attributes
    ----------
    rows
        Indexed by the file's row numbers (``source_row``): ``code`` (12 digits, ``""`` when the
        row has none), ``code_text`` (as written), ``name``, ``pop``, ``older`` (NaN when
        unknown) and ``total_row`` (合计, 全市...).
    raw
        The file's rows as read, for the rejects.
    rejects
        Rows with unusable counts (``source_file``, ``source_row``, ``reason``, ``action``, the
        original columns).
    notes
        What was read and assumed.
    file
        The file's name.
    """

    rows: pd.DataFrame
    raw: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    file: str = ""


@dataclass
class Calibration:
    """Result of :func:`calibrate_demand`.

    Attributes
    ----------
    demand
        The demand points with calibrated ``pop`` and ``older`` (same points, same order).
    factors
        One row per district (and a last ``(outside the districts)`` row when people live
        outside them): ``census_rows``, ``census_pop``, ``census_older``, ``inside_share`` (of
        the district's area inside the study area), ``target_pop``, ``target_older``,
        ``estimate_pop``, ``estimate_older``, ``factor``, ``older_factor``, ``pop``, ``older``
        (after) and ``status``: ``scaled``, ``no_census_row``, ``no_residents`` (census people
        but no demand point inside the study area), ``outside_study_area`` or ``outside``.
    rejects
        Census rows not used, with the reason (rejects file format of the run folder).
    notes
        One line each, for the run's notes.
    """

    demand: Demand
    factors: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str]


@dataclass(frozen=True)
class OlderShare:
    """People aged 60 and over in a Zhejiang division at the 7th census (2020-11-01), with the source."""

    adcode: str
    name: str
    older: int
    total: int
    source: str

    @property
    def share(self) -> float:
        """Older people per resident."""
        return self.older / self.total


_PROVINCE = "浙江省第七次人口普查主要数据公报 (浙江省统计局, 2021-05-13)"
#: 60+ people and residents at the 7th census, from the census bulletins (主要数据公报) of the province,
#: and of the cities and counties whose figures could be sourced offline (quoted as republished; each checked:
#: older / total gives the bulletin's percentage). Cities without a row use the province's share:
#: 温州, 绍兴, 金华, 衢州, 舟山, 台州, 丽水 are missing (see docs/policy.md).
ZHEJIANG_OLDER_SHARES_2020: tuple[OlderShare, ...] = (
    OlderShare("330000", "浙江省", 12_072_684, 64_567_588, _PROVINCE),
    OlderShare("330100", "杭州市", 2_013_297, 11_936_010, "杭州市第七次全国人口普查主要数据公报 (2021): 16.87%"),
    OlderShare("330200", "宁波市", 1_702_566, 9_404_283, "宁波市第七次全国人口普查主要数据公报 (宁波市统计局, 2021-05-17): 18.10%"),
    OlderShare("330400", "嘉兴市", 1_042_562, 5_400_868, "嘉兴市2020年第七次全国人口普查主要数据公报 (2021-05-15): 19.30%"),
    OlderShare("330500", "湖州市", 718_721, 3_367_579, "湖州市第七次全国人口普查主要数据公报 (2021): 21.34%"),
    OlderShare("330226", "宁海县", 140_413, 695_958, "宁海县第七次全国人口普查主要数据公报 (2021): 20.18%"),
    OlderShare("330481", "海宁市", 203_763, 1_076_199, "海宁市第七次全国人口普查公报 (2021): 18.93%"),
    OlderShare("330482", "平湖市", 147_717, 671_326, "平湖市第七次全国人口普查 (2021): 22.00%"),
    OlderShare("330683", "嵊州市", 195_280, 675_226, "嵊州市第七次全国人口普查主要数据公报 (嵊州市统计局, 2021-07-05): 28.92%"),
    OlderShare("330903", "普陀区", 95_865, 382_902, "舟山市普陀区2020年第七次全国人口普查主要数据公报 (2021): 25.04%"),
    OlderShare("331102", "莲都区", 98_361, 562_116, "莲都区2020年第七次全国人口普查主要数据公报 (2021-05-21): 17.50%"),
)


# --------------------------------------------------------------------------- keys


def _code12(values: pd.Series) -> np.ndarray:
    """Division codes as 12 digits (6-digit adcodes and 9-digit street codes padded with zeros); '' when not a code."""
    s = tabletext.cell_text(values).str.replace(r"\.0$", "", regex=True).str.replace(r"\s+", "", regex=True)
    n = s.str.len().to_numpy(dtype=np.int64)
    digits = s.str.fullmatch(r"\d+").fillna(value=False).to_numpy(dtype=bool)
    text = s.to_numpy(dtype=object).astype(str)
    pad = np.where(n == 6, "000000", np.where(n == 9, "000", ""))
    ok = digits & np.isin(n, (6, 9, 12))
    return np.where(ok, np.char.add(text, pad), "").astype(object)


def _level(code12: np.ndarray) -> np.ndarray:
    """Significant digits of 12-digit codes: 12, 9 (street), 6 (county), 4 (city), 2 (province); 0 for ''."""
    c = pd.Series(code12, dtype=object).astype(str)
    out = np.full(len(c), 12)
    for digits in _LEVELS[1:]:
        out[(c.str[digits:] == "0" * (12 - digits)).to_numpy()] = digits
    out[(c == "").to_numpy()] = 0
    return out


def _name_keys(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name keys: the whole name, without a 省/市 in front, and without its suffix (区, 县, 市, 街道, 镇, 乡)."""
    full = tabletext.cell_text(values).str.lower().str.replace(r"[\W_]+", "", regex=True)
    bare = full.str.replace(_PREFIX, "", regex=True).str.replace(_PREFIX, "", regex=True)
    short = bare.str.replace(_SUFFIX, "", regex=True)
    return (full.to_numpy(dtype=object), bare.to_numpy(dtype=object), short.to_numpy(dtype=object))


def _unique_map(keys: np.ndarray, index: np.ndarray) -> pd.Series:
    """key -> index, leaving out empty keys and keys that name more than one index."""
    s = pd.Series(index, index=keys)
    span = s[s.index != ""].groupby(level=0).agg(["min", "max"])
    return span["min"][span["min"] == span["max"]]


def _rejects(raw: pd.DataFrame, rows: Sequence[Any], reasons: Sequence[str], actions: str | Sequence[str], file: str) -> pd.DataFrame:
    """Rejected rows in the run folder's rejects format: file, row, reason, action, the original columns."""
    out = raw.loc[list(rows)].reset_index()
    out.insert(0, "source_file", file)
    out.insert(2, "reason", list(reasons))
    out.insert(3, "action", actions if isinstance(actions, str) else list(actions))
    return out


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=list(userdata.REJECT_COLUMNS))


# --------------------------------------------------------------------------- reading


def read_census(source: str | Path | CensusInput, /, **fields: Any) -> CensusTable:
    """Read census counts per district or street.

    >>> table = read_census("第七次人口普查_区县.xlsx", pop_col="常住人口")  # doctest: +SKIP

    Parameters
    ----------
    source
        The table, or a :class:`CensusInput` (then ``fields`` must be empty).
    **fields
        With a file, the :class:`CensusInput` fields (``code_col``, ``name_col``, ``pop_col``,
        ``older_col``, ``older_share_col``, ``encoding``, ``sheet``).

    Returns
    -------
    CensusTable
        Usable rows; rows whose count is not a non-negative number, whose older people exceed
        the population or whose share is not a share are in ``rejects``. Blank rows are skipped.

    Raises
    ------
    InputError
        If the table has no population column, or neither a code nor a name column.
    """
    if isinstance(source, CensusInput):
        if fields:
            raise TypeError(f"read_census: give a CensusInput or a file with its fields, not both ({sorted(fields)})")
        spec = source
    else:
        spec = CensusInput(source, **fields)
    path = sources.label(spec.path, "census table")
    wanted = [c for c in (spec.pop_col, spec.code_col, spec.name_col) if c]
    raw, notes = areas.read_table(spec.path, sheet=spec.sheet, encoding=spec.encoding, wanted=wanted, what="census table")
    raw = pd.DataFrame(raw.drop(columns=[c for c in raw.columns if c == "geometry"]))
    cols = [str(c) for c in raw.columns]
    code_c = userdata.pick_column(cols, spec.code_col, zones.CODE_NAMES, what="census code", path=path)
    name_c = userdata.pick_column(cols, spec.name_col, NAME_NAMES, what="census name", path=path)
    pop_c = userdata.pick_column(cols, spec.pop_col, POP_NAMES, what="population", path=path)
    if pop_c is None:
        raise errors.InputError(f"{path}: no population column among {cols}; name it (--census-pop-col, Python pop_col=)")
    if code_c is None and name_c is None:
        raise errors.InputError(f"{path}: no division code or name column among {cols}; name one (--census-code-col or --census-name-col)")
    older_c = userdata.pick_column(cols, spec.older_col, OLDER_NAMES, what="older population", path=path)
    share_c = userdata.pick_column(cols, spec.older_share_col, SHARE_NAMES, what="older share", path=path) if older_c is None else None
    codes = _code12(raw[code_c]) if code_c else np.full(len(raw), "", dtype=object)
    names = tabletext.cell_text(raw[name_c]).to_numpy(dtype=object) if name_c else np.full(len(raw), "", dtype=object)
    pop, p_status = userdata.parse_numbers(raw[pop_c], units=True)
    scale = 1e4 if "万" in pop_c else 1.0
    if scale != 1.0:
        notes.append(f"{path.name}: column {pop_c!r} is in 万 (10,000 people); counts multiplied by 10,000")
    pop = pop * scale
    older = np.full(len(raw), np.nan)
    bad_older = np.zeros(len(raw), bool)
    if older_c is not None:
        older, o_status = userdata.parse_numbers(raw[older_c], units=True)
        older = older * (1e4 if "万" in older_c else 1.0)
        bad_older = (o_status == 2) | (older < 0) | (older > pop * (1 + 1e-9))
    elif share_c is not None:
        share, s_status = userdata.parse_numbers(tabletext.cell_text(raw[share_c]).str.rstrip("%"), units=False)
        percent = bool(np.nanmax(np.append(share, 0)) > 1)
        share = share / 100.0 if percent else share
        notes.append(f"{path.name}: older share {share_c!r} read as {'percent' if percent else 'fractions'}")
        older = pop * share
        bad_older = (s_status == 2) | (share < 0) | (share > 1)
    blank = (codes == "") & (names == "") & (p_status == 1)
    bad = ~blank & ((p_status != 0) | (pop < 0) | bad_older)
    reasons = [
        f"population {p!r} is not a non-negative number" if s != 0 or not v >= 0 else "older people are not a count or share within the population"
        for p, s, v in zip(tabletext.cell_text(raw[pop_c]), p_status, pop, strict=True)
    ]
    rejects = _rejects(raw, raw.index[bad], np.asarray(reasons, dtype=object)[bad], "rejected", path.name) if bad.any() else _empty_rejects()
    keep = ~blank & ~bad
    squeezed = pd.Series(names, dtype=object).astype(str).str.lower().str.replace(r"\s+", "", regex=True)
    total = (squeezed.isin(TOTAL_WORDS) | squeezed.str.contains(r"(?:合计|总计|小计)$", regex=True)).to_numpy()
    code_text = tabletext.cell_text(raw[code_c]).str.replace(r"\.0$", "", regex=True).to_numpy(dtype=object) if code_c else codes
    rows = pd.DataFrame(
        {"code": codes[keep], "code_text": code_text[keep], "name": names[keep], "pop": pop[keep], "older": older[keep], "total_row": total[keep]},
        index=raw.index[keep],
    )
    what = ", ".join(f"{k} {c!r}" for k, c in (("code", code_c), ("name", name_c), ("population", pop_c), ("older", older_c), ("older share", share_c)) if c)
    notes.append(f"{path.name}: {len(rows)} census rows read ({what}); {int(bad.sum())} rejected")
    return CensusTable(rows=rows, raw=raw, rejects=rejects, notes=notes, file=path.name)


# --------------------------------------------------------------------------- joining


def _code_join(codes: np.ndarray, d_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """District row of each census code (-1 none), whether at the district's own level, and whether it is coarser than a district."""
    r_level, d_level = _level(codes), _level(d_codes)
    rc, dc = pd.Series(codes, dtype=object).astype(str), pd.Series(d_codes, dtype=object).astype(str)
    match = np.full(len(codes), -1)
    exact = np.zeros(len(codes), bool)
    coarse = np.zeros(len(codes), bool)
    for digits in _LEVELS:  # the most specific district first
        lookup = _unique_map(dc.str[:digits].to_numpy(dtype=object)[d_level == digits], np.flatnonzero(d_level == digits))
        todo = (match < 0) & (r_level >= digits)
        hit = rc.str[:digits][todo].map(lookup).fillna(-1).to_numpy(dtype=np.int64)
        match[np.flatnonzero(todo)] = hit
        exact[np.flatnonzero(todo)[hit >= 0]] = r_level[todo][hit >= 0] == digits
        finer = d_level > digits
        coarse |= (r_level == digits) & rc.str[:digits].isin(set(dc.str[:digits][finer])).to_numpy()
    return match, exact, coarse & (match < 0)


def join_census(table: CensusTable, districts: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """Match census rows to districts: by code where both have codes, else (or then) by name.

    Codes meet at their significant digits: a 6-digit adcode matches its 12-digit form, and the
    rows of a district's streets (9 or 12 digits) match the district and are added up, unless
    the district has its own row (then they are skipped, so that nobody counts twice). Names
    match without 省/市 in front and without the suffixes 区, 县, 市, 街道, 镇, 乡 (when that
    leaves one district).

    Parameters
    ----------
    table
        From :func:`read_census`.
    districts
        ``district_id`` (a code, or a name) and ``district_name``, as from
        :func:`accessibility.readers.zones.districts_from_file`.

    Returns
    -------
    match, rejects, notes
        ``match``: the district row of each row of ``table.rows`` (-1 when not used);
        ``rejects``: the rows not used, with the reason.
    """
    rows = table.rows
    d_ids = districts["district_id"].astype(str)
    d_codes = _code12(d_ids)
    match, exact, coarse = _code_join(rows["code"].to_numpy(dtype=object), d_codes)
    by_code = match >= 0
    # names: the district's name and, when the id is not a code, the id
    d_full, d_bare, d_short = _name_keys(districts["district_name"].astype(str))
    i_full, i_bare, i_short = _name_keys(d_ids.where(d_codes == "", ""))
    idx = np.arange(len(districts))
    keys = _unique_map(np.concatenate([d_full, d_bare, i_full, i_bare]), np.concatenate([idx, idx, idx, idx]))
    shorts = _unique_map(np.concatenate([d_short, i_short]), np.concatenate([idx, idx]))
    r_full, r_bare, r_short = _name_keys(rows["name"])
    todo = (match < 0) & ~coarse & ~rows["total_row"].to_numpy()
    for cand, lookup in ((r_full, keys), (r_bare, keys), (r_short, shorts)):
        hit = pd.Series(cand[todo], dtype=object).map(lookup).fillna(-1).to_numpy(dtype=np.int64)
        where = np.flatnonzero(todo)[hit >= 0]
        match[where], exact[where] = hit[hit >= 0], True
        todo[where] = False
    by_name = (match >= 0) & ~by_code
    # one row per district: its own row, else the sum of its streets' rows
    order = np.lexsort((np.arange(len(rows)), ~exact, match))
    first_row = pd.Series(np.arange(len(rows))[order]).groupby(match[order]).first()
    has_own = np.zeros(len(districts) + 1, bool)
    has_own[match[exact & (match >= 0)]] = True
    own = (match >= 0) & exact
    dup = own & (first_row.reindex(match).to_numpy() != np.arange(len(rows)))
    under = (match >= 0) & ~exact & has_own[match]
    src = np.asarray(rows.index)
    labels = (districts["district_id"].astype(str) + " " + districts["district_name"].astype(str)).to_numpy()
    reasons = np.full(len(rows), "", dtype=object)
    action = np.full(len(rows), "rejected", dtype=object)
    unmatched = match < 0
    for i in np.flatnonzero(unmatched | dup | under):
        m = match[i]
        what = rows["code_text"].iloc[i] or rows["name"].iloc[i] or "(empty)"
        if rows["total_row"].iloc[i]:
            reasons[i], action[i] = f"a total row ({rows['name'].iloc[i]}), not a district", "skipped"
        elif coarse[i]:
            reasons[i], action[i] = f"{what} is a larger unit than the districts (it contains some): its count is not split", "skipped"
        elif dup[i]:
            reasons[i], action[i] = f"a second row for district {labels[m]} (row {src[first_row[m]]} is used)", "skipped"
        elif under[i]:
            reasons[i], action[i] = f"part of district {labels[m]}, which has its own row (row {src[first_row[m]]}); not added twice", "skipped"
        else:
            reasons[i] = f"no district with code or name {what!r}" + (f" (district codes look like {d_ids.iloc[0]})" if len(d_ids) else "")
    drop = unmatched | dup | under
    match = np.where(drop, -1, match)
    rejects = _rejects(table.raw, src[drop], reasons[drop], action[drop], table.file) if drop.any() else _empty_rejects()
    summed = (match >= 0) & ~exact
    notes = [
        f"census {table.file}: {int((match >= 0).sum())} of {len(rows)} rows joined to {len(np.unique(match[match >= 0]))} of {len(districts)} districts "
        f"({int((by_code & ~drop).sum())} by code, {int(by_name.sum())} by name)"
        + (f"; {int(summed.sum())} street rows added up into their districts" if summed.any() else "")
    ]
    if unmatched.any():
        rest = [r for r, a in zip(reasons[unmatched], action[unmatched], strict=True) if a == "rejected"]
        if rest:
            notes.append(f"census {table.file}: {_count(len(rest), 'row')} match no district (rejects): {'; '.join(rest[:3])}{' ...' if len(rest) > 3 else ''}")
    return match, rejects, notes


# --------------------------------------------------------------------------- older shares


def older_shares_for(district_ids: Sequence[str] | pd.Series | np.ndarray) -> pd.DataFrame:
    """The 2020 census 60+ share of each district from :data:`ZHEJIANG_OLDER_SHARES_2020`.

    A district (a 6-, 9- or 12-digit code) gets its county's share when the table has it, else
    its city's, else, in Zhejiang, the province's; elsewhere (or without a code) NaN, so that the
    run's own default applies.

    Parameters
    ----------
    district_ids
        District codes, e.g. a DataV layer's adcodes (``"330106"``).

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``older_share``, ``source_adcode``, ``source_name``, ``source``.
    """
    ids = pd.Series(np.asarray(district_ids, dtype=object)).astype(str)
    c6 = pd.Series(_code12(ids), dtype=object).astype(str).str[:6]
    table = {s.adcode: s for s in ZHEJIANG_OLDER_SHARES_2020}
    county = c6.where(c6.isin(table.keys()), "")
    city = (c6.str[:4] + "00").where(c6.str[:4].add("00").isin(table.keys()) & (c6.str.len() == 6), "")
    province = pd.Series(np.where(c6.str[:2] == "33", "330000", ""), dtype=object)
    chosen = county.where(county != "", city.where(city != "", province))
    entry = chosen.map(table)
    return pd.DataFrame(
        {
            "district_id": ids.to_numpy(),
            "older_share": entry.map(lambda e: e.share if isinstance(e, OlderShare) else np.nan).astype(float).to_numpy(),
            "source_adcode": chosen.to_numpy(),
            "source_name": entry.map(lambda e: e.name if isinstance(e, OlderShare) else "").to_numpy(),
            "source": entry.map(lambda e: e.source if isinstance(e, OlderShare) else "").to_numpy(),
        }
    )


# --------------------------------------------------------------------------- calibration


def _inside_share(districts: pd.DataFrame, study_area: shapely.Geometry | None) -> np.ndarray:
    """Share of each district's area inside the study area (1 without one)."""
    if study_area is None:
        return np.ones(len(districts))
    if "geometry" not in districts.columns:
        raise ValueError("calibrate_demand: a study area needs the districts' geometry (a GeoDataFrame from districts_from_file)")
    geoms = np.asarray(districts["geometry"], dtype=object)
    own = shapely.area(geoms)
    return np.divide(shapely.area(shapely.intersection(geoms, study_area)), own, out=np.zeros(len(geoms)), where=own > 0)


def _count(k: int, noun: str) -> str:
    return f"{k:,} {noun}{'' if k == 1 else 's'}"


def _some(labels: np.ndarray, k: int = 5) -> str:
    return ", ".join(map(str, labels[:k])) + (f" and {len(labels) - k} more" if len(labels) > k else "")


def calibrate_demand(
    demand: Demand,
    district: np.ndarray,
    districts: pd.DataFrame,
    census: CensusTable | CensusInput | str | Path,
    *,
    study_area: shapely.Geometry | None = None,
    older_shares: np.ndarray | None = None,
) -> Calibration:
    """Scale the residents of every district to its census count.

    Parameters
    ----------
    demand
        The demand points (an estimate, a raster, ...).
    district
        Row of ``districts`` holding each point, -1 outside all
        (:func:`accessibility.stages.districts.district_of_points`).
    districts
        ``district_id``, ``district_name`` and, with ``study_area``, geometry
        (:func:`accessibility.readers.zones.districts_from_file`).
    census
        A :class:`CensusTable`, or what :func:`read_census` reads.
    study_area
        When given, a district partly outside it gets the part of its census count inside it, by
        area share (people outside the study area are not in the run).
    older_shares
        Per district, the older share to use where the census gives no older people (NaN: keep
        the estimate's own share), e.g. ``older_shares_for(ids)["older_share"]``.

    Returns
    -------
    Calibration
        In every district with a census row and residents, the points' ``pop`` sums to the
        district's target (census count x share inside) and ``older`` to its older target, to
        float rounding; each point keeps its share of its district. Points outside every
        district, and districts without a census row, keep their estimate (noted).
    """
    table = census if isinstance(census, CensusTable) else read_census(census)
    k, n = len(districts), len(demand)
    district = np.asarray(district)
    if district.shape != (n,) or not np.issubdtype(district.dtype, np.integer) or (n and (district.min() < -1 or district.max() >= k)):
        raise ValueError(f"calibrate_demand: 'district' must hold one district row (0..{k - 1}) or -1 per demand point ({n})")
    match, join_rejects, notes = join_census(table, districts)
    notes = [*table.notes, *notes]
    ok = match >= 0
    rows = table.rows
    n_rows = np.bincount(match[ok], minlength=k)
    census_pop = np.bincount(match[ok], weights=rows["pop"].to_numpy()[ok], minlength=k)
    older = rows["older"].to_numpy()[ok]
    older_known = np.bincount(match[ok], weights=np.isfinite(older), minlength=k) == n_rows
    census_older = np.where(older_known & (n_rows > 0), np.bincount(match[ok], weights=np.nan_to_num(older), minlength=k), np.nan)
    inside = _inside_share(districts, study_area)
    pos = np.where(district >= 0, district, k)
    est_pop = np.bincount(pos, weights=demand.pop, minlength=k + 1)
    est_older = np.bincount(pos, weights=demand.older, minlength=k + 1)
    target_pop = census_pop * inside
    default = np.full(k, np.nan) if older_shares is None else np.asarray(older_shares, np.float64)
    if default.shape != (k,):
        raise ValueError(f"calibrate_demand: 'older_shares' must hold one share per district ({k})")
    target_older = np.where(np.isfinite(census_older), census_older * inside, target_pop * default)
    has = n_rows > 0
    scaled = has & (inside > 0) & (est_pop[:k] > _NOBODY)
    factor = np.append(np.divide(target_pop, est_pop[:k], out=np.ones(k), where=scaled), 1.0)
    with_older = scaled & np.isfinite(target_older)
    spread = with_older & (est_older[:k] <= _NOBODY)  # no older people in the estimate there: spread like everyone
    o_factor = np.append(np.where(with_older & ~spread, np.divide(target_older, est_older[:k], out=np.ones(k), where=est_older[:k] > _NOBODY), factor[:k]), 1.0)
    o_share = np.append(np.divide(target_older, target_pop, out=np.zeros(k), where=spread & (target_pop > 0)), 0.0)
    new_pop = demand.pop * factor[pos]
    new_older = np.where(np.append(spread, False)[pos], new_pop * o_share[pos], demand.older * o_factor[pos])
    out_pop = np.bincount(pos, weights=new_pop, minlength=k + 1)
    out_older = np.bincount(pos, weights=new_older, minlength=k + 1)
    status = np.select([scaled, ~has, inside <= 0], ["scaled", "no_census_row", "outside_study_area"], "no_residents")
    factors = pd.DataFrame(
        {
            "district_id": districts["district_id"].astype(str).to_numpy(), "district_name": districts["district_name"].astype(str).to_numpy(),
            "census_rows": n_rows, "census_pop": np.where(has, census_pop, np.nan), "census_older": census_older, "inside_share": inside,
            "target_pop": np.where(has, target_pop, np.nan), "target_older": np.where(has, target_older, np.nan),
            "estimate_pop": est_pop[:k], "estimate_older": est_older[:k], "factor": np.where(scaled, factor[:k], np.nan),
            "older_factor": np.where(with_older & ~spread, o_factor[:k], np.where(scaled, factor[:k], np.nan)),
            "pop": out_pop[:k], "older": out_older[:k], "status": status,
        }
    )
    if est_pop[k] > 0 or est_older[k] > 0:
        row = {"district_id": OUTSIDE[0], "district_name": OUTSIDE[1], "census_rows": 0, "estimate_pop": est_pop[k], "estimate_older": est_older[k],
               "pop": out_pop[k], "older": out_older[k], "status": "outside"}
        factors = pd.concat([factors, pd.DataFrame([row], columns=factors.columns).astype(factors.dtypes.to_dict())], ignore_index=True)
    notes += _notes(table.file, factors.iloc[:k], districts, study_area is not None, est_pop[k])
    older_source = demand.older_source
    if with_older.any():
        older_source = f"census {table.file} per district ({int(with_older.sum())} of {int(scaled.sum())} calibrated districts); elsewhere {demand.older_source}"
    new = replace(
        demand, pop=new_pop, older=new_older, source=f"{demand.source}; calibrated to census counts per district ({table.file})",
        older_source=older_source, notes=[*demand.notes, *notes],
    )
    rejects = pd.concat([r for r in (table.rejects, join_rejects) if len(r)], ignore_index=True) if len(table.rejects) or len(join_rejects) else _empty_rejects()
    for note in notes:
        log.info(note)
    return Calibration(demand=new, factors=factors, rejects=rejects, notes=notes)


def _notes(file: str, f: pd.DataFrame, districts: pd.DataFrame, clipped: bool, outside_pop: float) -> list[str]:
    """The calibration's notes: what was scaled by how much, and who kept the estimate."""
    labels = (districts["district_id"].astype(str) + " " + districts["district_name"].astype(str)).to_numpy()
    status = f["status"].to_numpy()
    scaled = status == "scaled"
    out = []
    if scaled.any():
        fac = f["factor"].to_numpy()[scaled]
        out.append(
            f"population calibrated to census {file}: {int(scaled.sum())} of {len(f)} districts scaled to their census counts"
            + (" (the part inside the study area, by area share)" if clipped else "")
            + f": {f['estimate_pop'][scaled].sum():,.0f} people before, {f['pop'][scaled].sum():,.0f} after (factors {fac.min():.2f} to {fac.max():.2f})"
        )
        odd = scaled & ((f["factor"].to_numpy() > 5) | (f["factor"].to_numpy() < 0.2))
        if odd.any():
            out.append(
                f"calibration: the estimate is more than 5 times off the census in {_some(labels[odd])}: check that the census table counts "
                "people (not 万人 without saying so), that it is the same districts, and the study area"
            )
    part = scaled & (f["inside_share"].to_numpy() < 0.995)
    if clipped and part.any():
        shares = ", ".join(f"{lab} {s:.0%}" for lab, s in zip(labels[part][:5], f["inside_share"].to_numpy()[part][:5], strict=True))
        out.append(f"calibration: districts partly outside the study area get the share of their census count inside it ({_count(int(part.sum()), 'district')}: {shares})")
    for code, text in (
        ("no_census_row", "districts without a census row keep their estimate"),
        ("no_residents", "districts with census people but no resident point in the study area: those people are not placed"),
        ("outside_study_area", "districts outside the study area: their census counts are not used"),
    ):
        sel = status == code
        if sel.any():
            people = f["estimate_pop"][sel].sum() if code == "no_census_row" else f["census_pop"][sel].sum()
            out.append(f"calibration: {text} ({_count(int(sel.sum()), 'district')}, {people:,.0f} people): {_some(labels[sel])}")
    if outside_pop > 0:
        out.append(f"calibration: {outside_pop:,.0f} people live outside every district and keep their estimate")
    return out
