"""Folium maps that work without internet: their scripts and styles inlined from the npm install.

folium and branca link Leaflet, jQuery, Bootstrap, Font Awesome and d3 from CDNs, which government
intranets do not reach. The planning map needs only Leaflet and d3 (for the colour legend): those
are inlined from ``node_modules`` (``package.json``, installed by the set-up); the other links are
dropped. Only the OpenStreetMap background needs the internet; without it the map draws on a blank
background.
"""

from __future__ import annotations

import re
from pathlib import Path

from spatial_platform.settings import MapSettings

NODE_MODULES: Path = MapSettings.model_fields["node_modules"].default
SCRIPTS = {"leaflet.js": "leaflet/dist/leaflet.js", "d3.min.js": "d3/d3.min.js"}
STYLES = {"leaflet.css": "leaflet/dist/leaflet.css"}
_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')


def _local(url: str, table: dict[str, str], node_modules: Path) -> str | None:
    name = url.rsplit("/", 1)[-1]
    if name not in table:
        return None
    return (node_modules / table[name]).read_text(encoding="utf-8")


def inline_assets(page: str, node_modules: Path = NODE_MODULES) -> str:
    """Replace the CDN links of a rendered folium page by the local files (dropping unneeded ones)."""

    def script(m: re.Match) -> str:
        body = _local(m[1], SCRIPTS, node_modules)
        return "" if body is None else "<script>" + body.replace("</script", "<\\/script") + "</script>"

    def style(m: re.Match) -> str:
        body = _local(m[1], STYLES, node_modules)
        return "" if body is None else f"<style>{body}</style>"

    return _STYLE.sub(style, _SCRIPT.sub(script, page))
