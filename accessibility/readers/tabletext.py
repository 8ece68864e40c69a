"""Text in planners' tables: file encodings, column names, coordinates written as text.

Planners' tables come from Excel and WPS on Chinese Windows, from web forms
and from people. Three things vary, and are handled here once for every table
reader (facility lists, query points, candidate sites, census tables):

* **encoding**: UTF-8 (with or without BOM), GBK/GB18030 (Excel's "CSV"
  on Chinese Windows), UTF-16 LE/BE (Excel's "Unicode Text", tab-separated).
  :func:`decode` tries the BOM, then UTF-8, then GB18030; it refuses binary
  files (an ``.xlsx`` or ``.xls`` renamed ``.csv``) with the fix;
* **column names**: :func:`normalise_column` matches ``经度（GCJ-02）`` to
  ``经度`` and ``Lon_WGS84`` to ``lonwgs84``;
* **coordinates as text**: ``东经120.15``, ``北纬30.25``, ``120.15°E``,
  ``120°09′00″``, ``120度9分0秒``, ``120:09:00``, full-width digits.
  :func:`parse_degrees` turns them into decimal degrees where unambiguous and
  gives the reason where not; :func:`coordinate_pairs` does a lon/lat pair.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import errors

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "PAIR_NAMES",
    "Coordinates",
    "Degrees",
    "cell_text",
    "coordinate_pairs",
    "decode",
    "normalise_column",
    "parse_degrees",
    "split_pair",
]

#: column names of longitude/latitude (compared after :func:`normalise_column`)
LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x", "location.lng", "lon_wgs84", "lng_wgs84", "lon_gcj02", "lng_gcj02", "point_x", "x坐标", "坐标x", "东经")
LAT_NAMES = ("lat", "latitude", "纬度", "y", "location.lat", "lat_wgs84", "lat_gcj02", "point_y", "y坐标", "坐标y", "北纬")
#: one column holding "lon,lat"
PAIR_NAMES = ("经纬度", "坐标", "location", "lnglat", "lonlat", "coordinates", "coord", "坐标经纬度")

# --------------------------------------------------------------------------- encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE (Excel 'Unicode Text')"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
)
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook or a zipped Shapefile?)", "rename it to .xlsx (or .zip), or save it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (or a password-protected one)", "open it in Excel/WPS and save as .xlsx or CSV UTF-8"),
    (b"%PDF", "a PDF document", "export the table from its source as CSV or .xlsx"),
    (b"\x89PNG", "a PNG image", "export the table as CSV or .xlsx"),
    (b"\xff\xd8\xff", "a JPEG image", "export the table as CSV or .xlsx"),
    (b"SQLite format 3", "a SQLite/GeoPackage database", "rename it to .gpkg, or export the table as CSV"),
    (b"\x1f\x8b", "a gzip archive", "name it .csv.gz (it is decompressed then), or decompress it"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _binary(data: bytes, name: str, why: str) -> errors.InputError:
    for magic, what, fix in _MAGIC:
        if data.startswith(magic):
            return errors.InputError(f"{name}: this is {what}, not a text table; {fix}")
    return errors.InputError(f"{name}: not a text table ({why}); export it as CSV (UTF-8) or .xlsx")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit at every other position (ASCII in UTF-16), else None."""
    head = data[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 8:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > 0.9 * (odd + even):
        return "utf-16-le"
    if even > 0.9 * (odd + even):
        return "utf-16-be"
    return None


def decode(data: bytes, *, encoding: str | None = None, name: str = "file") -> tuple[str, str | None]:
    """Decode a table's bytes, detecting the encoding.

    Parameters
    ----------
    data
        The file's bytes.
    encoding
        The encoding to use (e.g. ``"gbk"``); default: the BOM's, else
        UTF-8, else UTF-16 (NUL bytes every other byte), else GB18030.
    name
        The file, for messages.

    Returns
    -------
    text, note
        ``note`` says which encoding was used when it was not plain UTF-8
        (``None`` for UTF-8).

    Raises
    ------
    InputError
        Binary content (names what it looks like: an .xlsx or .xls renamed
        .csv...) or bytes no candidate encoding decodes.
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise errors.InputError(f"{name}: cannot decode as {encoding} ({exc}); pass the file's encoding (utf-8, gbk, utf-16)") from exc
        label = None if codecs.lookup(encoding).name == "utf-8" else f"decoded as {encoding}, as asked"
        return _check_text(text.removeprefix("\ufeff"), data, name), label
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise errors.InputError(f"{name}: starts with a {label} byte-order mark but is not valid {label} ({exc}); re-save it as CSV UTF-8") from exc
            return _check_text(text, data, name), (None if codec == "utf-8-sig" else f"read as {label}")
    for magic, _, _ in _MAGIC:
        if data.startswith(magic):
            raise _binary(data, name, "")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return _check_text(data.decode(utf16), data, name), f"read as {utf16.upper()} (no byte-order mark)"
        except UnicodeDecodeError:
            raise _binary(data, name, "NUL bytes") from None
    if 0 in data[:65536]:
        raise _binary(data, name, "it holds NUL bytes")
    try:
        return _check_text(data.decode("utf-8"), data, name), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise errors.InputError(
            f"{name}: neither UTF-8, GBK/GB18030 nor UTF-16 (byte {exc.start} cannot be decoded); "
            "save it as 'CSV UTF-8' in Excel/WPS, or pass its encoding (encoding=, --facilities-encoding)"
        ) from exc
    return _check_text(text, data, name), "not UTF-8; decoded as GBK (GB18030), the usual encoding of Chinese Excel CSV exports"


def _check_text(text: str, data: bytes, name: str) -> str:
    """Refuse text that is mostly control characters (a binary file that happened to decode)."""
    head = text[:65536]
    bad = len(_CONTROL.findall(head))
    if "\x00" in head or bad > max(2, len(head) // 100):
        raise _binary(data, name, f"{bad} control characters in the first {len(head)} characters")
    return text


# --------------------------------------------------------------------------- column names and cells


def normalise_column(name: object) -> str:
    """A column name for matching: NFKC, lower case, without bracketed units or notes, spaces, ``_-:/``.

    >>> normalise_column("床位（张）"), normalise_column(" Lon_WGS84 ")
    ('床位', 'lonwgs84')
    """
    s = unicodedata.normalize("NFKC", str(name)).strip().lower()
    s = re.sub(r"[\(\[（【].*?[\)\]）】]", "", s)  # units or notes in brackets: 床位(张), 经度（GCJ-02）
    return s if s in ("location.lng", "location.lat") else re.sub(r"[\s_\-:：/]+", "", s)


def cell_text(values: pd.Series, *, nfkc: bool = True) -> pd.Series:
    """Values as stripped text, NFKC-normalised (full-width digits become ASCII) unless ``nfkc=False``; missing -> ''."""
    s = values.astype(object).where(values.notna(), "")
    s = s.map(lambda v: format(v, ".15g") if isinstance(v, float) else str(v)).astype("string")
    return (s.str.normalize("NFKC") if nfkc else s).str.strip().fillna("")


# --------------------------------------------------------------------------- coordinates as text

_MARKS = str.maketrans({"º": "°", "˚": "°", "’": "′", "‘": "′", "”": "″", "“": "″", "經": "经", "緯": "纬", "東": "东"})
_HEMI = {
    "东经": "E", "东": "E", "e": "E", "east": "E", "西经": "W", "西": "W", "w": "W", "west": "W",
    "北纬": "N", "北": "N", "n": "N", "north": "N", "南纬": "S", "南": "S", "s": "S", "south": "S",
    "经度": "X", "lon": "X", "lng": "X", "long": "X", "longitude": "X", "纬度": "Y", "lat": "Y", "latitude": "Y",
}
_WORDS = "|".join(sorted(map(re.escape, _HEMI), key=len, reverse=True))
_PREFIX = re.compile(rf"^(?P<p>{_WORDS})\s*[:=]?\s*")
_SUFFIX = re.compile(r"\s*(?P<s>东经|西经|北纬|南纬|east|west|north|south|e|w|n|s)$")
_DMS = re.compile(
    r"^(?P<sign>[+-]?)(?P<d>\d+(?:\.\d*)?)(?:°(?:(?P<m>\d+(?:\.\d*)?)(?:′(?:(?P<s>\d+(?:\.\d*)?)″?)?)?)?)?$"
)


@dataclass
class Degrees:
    """Coordinates parsed from a column (see :func:`parse_degrees`).

    Attributes
    ----------
    value
        Decimal degrees (NaN where not parsed).
    status
        0 parsed, 1 empty, 2 not a coordinate.
    axis
        ``"lon"`` or ``"lat"`` where the text says (东经, 120°E, 经度:),
        else ``""``.
    text_form
        Parsed from a text form (prefix, DMS, degree signs), not a plain number.
    reason
        Why a value was not parsed (``""`` where it was).
    text
        The values as given (stripped), for messages.
    """

    value: np.ndarray
    status: np.ndarray
    axis: np.ndarray
    text_form: np.ndarray
    reason: np.ndarray
    text: np.ndarray


def parse_degrees(values: pd.Series) -> Degrees:
    """Parse a column of coordinates: numbers, or text in the common Chinese and English forms.

    Read: ``120.15``, ``１２０．１５``, ``东经120.15``, ``北纬30.25``,
    ``E120.15``, ``120.15°E``, ``120.15E``, ``经度:120.15``, ``120°09′00″``,
    ``120°09'00"``, ``120度9分0秒``, ``120°9.5′``, ``120:09:00``; 西经/W and
    南纬/S make the value negative. Refused, with the reason: minutes or
    seconds of 60 or more, decimals before minutes (``120.5°30′``), a sign
    with a hemisphere (``-120°W``), text giving whole degrees only
    (``东经120度``: ±50 km), anything else.

    >>> d = parse_degrees(pd.Series(["东经120.15", "120°09′00″", "30.25°N", "abc", ""]))
    >>> d.value.round(4).tolist(), d.status.tolist(), d.axis.tolist()
    ([120.15, 120.15, 30.25, nan, nan], [0, 0, 0, 2, 1], ['lon', '', 'lat', '', ''])
    """
    raw = values.astype(object).where(values.notna(), "")
    text = cell_text(raw.map(lambda v: v.translate(_MARKS) if isinstance(v, str) else v)).astype(object)
    n = len(text)
    num = pd.to_numeric(text.astype(object).where(text != "", None), errors="coerce").astype(np.float64).to_numpy()
    empty = (text == "").to_numpy()
    plain = np.isfinite(num)
    value = np.where(plain, num, np.nan)
    status = np.where(empty, 1, np.where(plain, 0, 2)).astype(np.int8)
    axis = np.full(n, "", dtype=object)
    text_form = np.zeros(n, bool)
    reason = np.full(n, "", dtype=object)
    todo = np.flatnonzero(status == 2)
    if len(todo):
        sub = text.iloc[todo].str.lower().str.replace(r"(?<=[\d.])\s*度", "°", regex=True)
        sub = sub.str.replace(r"(?<=[\d.])\s*分", "′", regex=True).str.replace(r"(?<=[\d.])\s*秒", "″", regex=True)
        sub = sub.str.replace("′′", "″", regex=False).str.replace("''", "″", regex=False).str.replace("'", "′", regex=False)
        sub = sub.str.replace('"', "″", regex=False)
        pre = sub.str.extract(_PREFIX)["p"].fillna("")
        sub = sub.str.replace(_PREFIX, "", regex=True)
        suf = sub.str.extract(_SUFFIX)["s"].fillna("")
        sub = sub.str.replace(_SUFFIX, "", regex=True)
        sub = sub.str.replace(r"^(\d+):(\d+(?:\.\d+)?):", r"\1°\2′", regex=True).str.replace(r"^(\d+):", r"\1°", regex=True)
        sub = sub.str.replace(r"\s*([°′″])\s*", r"\1", regex=True)
        parts = sub.str.extract(_DMS)
        h_pre, h_suf = pre.map(_HEMI).fillna("").to_numpy(), suf.map(_HEMI).fillna("").to_numpy()
        d = pd.to_numeric(parts["d"], errors="coerce").to_numpy(np.float64)
        m = pd.to_numeric(parts["m"], errors="coerce").to_numpy(np.float64)
        s = pd.to_numeric(parts["s"], errors="coerce").to_numpy(np.float64)
        why = np.full(len(todo), "", dtype=object)
        matched = parts["d"].notna().to_numpy()
        why[~matched] = "not a coordinate"
        clash = (h_pre != "") & (h_suf != "") & (h_pre != h_suf) & ~(np.isin(h_pre, ["X", "Y"]) & (h_suf != ""))
        why[matched & clash] = "two different hemisphere marks"
        hemi = np.where(np.isin(h_suf, ["E", "W", "N", "S"]), h_suf, h_pre)
        minus = parts["sign"].fillna("").to_numpy() == "-"
        why[matched & (why == "") & minus & np.isin(hemi, ["E", "W", "N", "S"])] = "both a minus sign and a hemisphere"
        has_m, has_s = ~np.isnan(m), ~np.isnan(s)
        bad_dec = (has_m & (parts["d"].fillna("").str.contains(".", regex=False).to_numpy())) | (
            has_s & parts["m"].fillna("").str.contains(".", regex=False).to_numpy()
        )
        why[matched & (why == "") & bad_dec] = "decimals before minutes or seconds"
        with np.errstate(invalid="ignore"):
            why[matched & (why == "") & ((m >= 60) | (s >= 60))] = "minutes and seconds must be below 60"
        whole = ~has_m & ~parts["d"].fillna("").str.contains(r"\.\d", regex=True).to_numpy()
        why[matched & (why == "") & whole] = "whole degrees only (±50 km); give decimals such as 120.1536, or degrees, minutes and seconds"
        val = (d + np.nan_to_num(m) / 60.0 + np.nan_to_num(s) / 3600.0) * np.where(np.isin(hemi, ["W", "S"]) | minus, -1.0, 1.0)
        ok = matched & (why == "") & np.isfinite(val)
        why[matched & (why == "") & ~ok] = "not a coordinate"
        value[todo[ok]] = val[ok]
        status[todo[ok]] = 0
        text_form[todo[ok]] = True
        axis[todo] = np.select([np.isin(hemi, ["E", "W", "X"]), np.isin(hemi, ["N", "S", "Y"])], ["lon", "lat"], "")
        reason[todo[~ok]] = why[~ok]
    excel_error = (status == 2) & text.str.startswith("#").to_numpy()
    reason[excel_error] = "an Excel error value"
    non_finite = (status == 2) & (reason == "")
    reason[non_finite] = "not a coordinate"
    given = cell_text(raw, nfkc=False).astype(object).to_numpy()
    return Degrees(value=value, status=status, axis=axis, text_form=text_form, reason=reason, text=given)


@dataclass
class Coordinates:
    """A lon/lat pair of columns parsed (see :func:`coordinate_pairs`).

    Attributes
    ----------
    x, y
        Decimal degrees (NaN where not usable), in the right order when the
        text's marks (东经/北纬, E/N) said lon and lat were swapped.
    status
        0 usable, 1 missing (either empty), 2 not coordinates.
    reason
        Per row, why not usable (``""`` where usable).
    swapped
        Marked the other way round (北纬 in the longitude column...) and swapped back.
    text_form
        Read from a text form (东经120.15, 120°09′00″...).
    lon_text, lat_text
        The values as given (stripped), for messages.
    """

    x: np.ndarray
    y: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    swapped: np.ndarray
    text_form: np.ndarray
    lon_text: np.ndarray
    lat_text: np.ndarray

    def text_note(self, used: np.ndarray, name: str) -> str | None:
        """The note for rows whose coordinates were read from text (``None`` if none were)."""
        mask = used & self.text_form
        k = int(mask.sum())
        if not k:
            return None
        eg = ", ".join(f"{self.lon_text[i]!r} / {self.lat_text[i]!r}" for i in np.flatnonzero(mask)[:2])
        return f"{name}: {k} {'row gives' if k == 1 else 'rows give'} coordinates as text (e.g. {eg}); read as decimal degrees"


def coordinate_pairs(lon: pd.Series, lat: pd.Series) -> Coordinates:
    """Parse longitude and latitude columns (:func:`parse_degrees`) and check their marks agree.

    Rows marked the other way round (北纬30.25 in the longitude column and
    东经120.15 in the latitude one, or only one of them marked so) are
    swapped back; rows whose marks contradict each other (two latitudes)
    are refused.
    """
    px, py = parse_degrees(lon), parse_degrees(lat)
    swapped_marks = (px.axis == "lat") | (py.axis == "lon")
    straight_marks = (px.axis == "lon") | (py.axis == "lat")
    both_ok = (px.status == 0) & (py.status == 0)
    conflict = both_ok & swapped_marks & straight_marks
    swapped = both_ok & swapped_marks & ~straight_marks
    x = np.where(swapped, py.value, px.value)
    y = np.where(swapped, px.value, py.value)
    status = np.where((px.status == 1) | (py.status == 1), 1, np.where(both_ok & ~conflict, 0, 2)).astype(np.int8)
    reason = np.full(len(x), "", dtype=object)
    reason[status == 1] = "missing coordinates"
    why = np.where(px.reason != "", px.reason, py.reason)
    bad = status == 2
    reason[bad] = why[bad]
    twice = np.where(px.axis == "lat", "latitudes", "longitudes")
    reason[conflict] = [f"both are marked as {t}" for t in twice[conflict]]
    x = np.where(status == 0, x, np.nan)
    y = np.where(status == 0, y, np.nan)
    return Coordinates(x=x, y=y, status=status, reason=reason, swapped=swapped & (status == 0), text_form=(px.text_form | py.text_form) & (status == 0),
                       lon_text=px.text, lat_text=py.text)


def split_pair(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split one ``"lon,lat"`` column (AMap's copied coordinates, 经纬度) into two text columns.

    Split at the first comma or semicolon (ASCII or full-width) when there
    is one, else at the first run of spaces: ``"120.15,30.25"``,
    ``"东经120.15， 北纬30.25"``, ``"120.15 30.25"``.
    """
    t = cell_text(values)
    sep = t.str.contains(r"[,，;；]", regex=True).to_numpy(dtype=bool, na_value=False)
    a = t.str.split(r"\s*[,，;；]\s*", n=1, expand=True, regex=True).reindex(columns=[0, 1]).astype(object)
    b = t.str.split(r"\s+", n=1, expand=True, regex=True).reindex(columns=[0, 1]).astype(object)
    return a[0].where(sep, b[0]).fillna(""), a[1].where(sep, b[1]).fillna("")
