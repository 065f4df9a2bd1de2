"""Writing a GeoDataFrame in the export formats: GeoPackage, GeoParquet, GeoJSON, CSV, Shapefile."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from boundaries.io.text import neutralise

FORMATS = {
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "geoparquet": ("application/vnd.apache.parquet", "parquet"),
    "geojson": ("application/geo+json", "geojson"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "shp": ("application/zip", "shp.zip"),
}
"""format → (media type, file extension)."""


@dataclass(frozen=True)
class Written:
    """A file written for download: where, its media type and SHA-256."""

    path: Path
    media_type: str
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_frame(frame, fmt: str, folder: Path, stem: str, layer: str, attribution: str) -> Written:
    """Write ``frame`` (EPSG:4326) as ``fmt`` into ``folder``; CSV carries the geometry as WKT.

    The Shapefile is zipped with its .cpg (UTF-8) and a README naming the sources; field names
    are cut to ten characters as the format requires.
    """
    media, ext = FORMATS[fmt]
    path = folder / f"{stem}.{ext}"
    if fmt == "gpkg":
        meta = {"attribution": attribution}
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", metadata=meta)
    elif fmt == "geoparquet":
        frame.to_parquet(path, index=False)
    elif fmt == "geojson":
        frame.to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES", WRITE_NAME="NO")
    elif fmt == "csv":
        table = frame.assign(wkt=frame.geometry.to_wkt()).drop(columns=frame.geometry.name)
        for column in table.columns:
            if table[column].dtype == object:
                table[column] = table[column].map(neutralise)
        table.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        frame.to_file(shp_dir / f"{layer}.shp", driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        (shp_dir / "README.txt").write_text(attribution + "\n", encoding="utf-8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(shp_dir.iterdir()):
                zf.write(part, part.name)
    return Written(path, media, _sha256(path))
