"""Folium planning map: older-population choropleth, facilities by beds, radii, gaps, suggested sites."""

from __future__ import annotations

import html

import branca.colormap as cm
import folium
import numpy as np
import shapely
from scipy.spatial import cKDTree

from spatial_platform.facilities.models import KINDS
from spatial_platform.planning.context import Context
from spatial_platform.planning.coverage import coverage
from spatial_platform.planning.offline import inline_assets
from spatial_platform.planning.projection import WGS84, geometries_to

COLOURS = {
    "elderly_care_institution": "#b2182b",
    "community_elderly_care": "#2166ac",
    "extreme_poverty_support": "#1b7837",
    "child_welfare": "#762a83",
    "relief_station": "#e08214",
}


def _cell_size(ctx: Context) -> float:
    """Return the demand grid's spacing (the median nearest-neighbour distance for imported cells)."""
    if ctx.spacing:
        return ctx.spacing
    xy = ctx.demand[["x", "y"]].to_numpy()
    if len(xy) < 2:
        return ctx.options.radius
    distance, _ = cKDTree(xy).query(xy, k=2)
    return float(np.median(distance[:, 1]))


def _uncovered(ctx: Context, covered: np.ndarray):
    """Return the union of the grid cells whose people are beyond the radius, in WGS 84."""
    gaps = ctx.demand[(~covered) & (ctx.demand["weight"].to_numpy() > 0)]
    if gaps.empty:
        return None
    half = _cell_size(ctx) / 2
    x, y = gaps["x"].to_numpy(), gaps["y"].to_numpy()
    boxes = shapely.box(x - half, y - half, x + half, y + half)
    area = shapely.coverage_union_all(boxes).simplify(half / 2)
    return geometries_to(np.array([area]), ctx.crs, WGS84)[0]


def _facility_features(ctx: Context) -> dict:
    """Return the facilities as a GeoJSON FeatureCollection with their colour and marker size."""
    features = []
    for f in ctx.facilities.itertuples():
        beds = 0 if f.beds is None or f.beds != f.beds else int(f.beds)
        properties = {
            "name": f.name,
            "kind": KINDS.get(f.kind, f.kind),
            "beds": beds,
            "opened": str(f.opened or "?"),
            "colour": COLOURS.get(f.kind, "#333"),
            "size": round(3 + float(np.sqrt(beds)) / 2, 1),
        }
        geometry = {"type": "Point", "coordinates": [float(f.lon), float(f.lat)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _tooltip(row) -> str:
    """Describe one division in its tooltip."""
    share = "–" if row["share"] is None else f"{row['share']:.0%}"
    older = "–" if row["older"] is None else f"{row['older']:,.0f}"
    return html.escape(f"{row['name']} {row['code']}: {older} older residents, {share} within reach")


def build_map(ctx: Context, sites: list[dict] | None = None) -> folium.Map:
    """Draw the area at its date; ``sites`` are suggestions from a siting measure (blocking)."""
    result = coverage(ctx.demand, ctx.facilities[["x", "y"]], ctx.options.radius)
    shares = dict(zip(result.divisions["division"], result.divisions["share"], strict=True))
    minx, miny, maxx, maxy = shapely.total_bounds(ctx.polygons)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles="OpenStreetMap")
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    density = ctx.units["older"].fillna(0) / ctx.units["area_km2"]
    scale = cm.linear.YlOrRd_09.scale(float(density.min()), float(max(density.max(), density.min() + 1)))
    scale.caption = f"{ctx.options.band} residents per km² ({ctx.population_year})"
    scale.add_to(fmap)
    layer = folium.FeatureGroup(name=f"{ctx.options.band} population", show=True)
    for i, row in ctx.units.reset_index(drop=True).iterrows():
        shape = shapely.simplify(ctx.polygons[i], 0.0005)
        info = {
            "name": row["name"],
            "code": row["code"],
            "older": row["older"],
            "share": shares.get(row["code"]),
        }
        info = {
            k: (None if v is not None and isinstance(v, float) and np.isnan(v) else v)
            for k, v in info.items()
        }
        colour = scale(float(density.iloc[i]))
        folium.GeoJson(
            shapely.to_geojson(shape),
            style_function=lambda _f, c=colour: {
                "fillColor": c,
                "color": "#555",
                "weight": 1,
                "fillOpacity": 0.55,
            },
            tooltip=_tooltip(info),
        ).add_to(layer)
    layer.add_to(fmap)
    gaps = _uncovered(ctx, result.covered)
    if gaps is not None:
        folium.GeoJson(
            shapely.to_geojson(gaps),
            name=f"uncovered (beyond {ctx.options.radius:g} m)",
            style_function=lambda _f: {
                "fillColor": "#000",
                "color": "#000",
                "weight": 0,
                "fillOpacity": 0.25,
            },
        ).add_to(fmap)
    points = _facility_features(ctx)
    if points["features"]:  # folium's tooltip refuses a collection without the fields it names
        folium.GeoJson(
            points,
            name=f"service radius {ctx.options.radius:g} m",
            marker=folium.Circle(radius=ctx.options.radius, fill=False, weight=1, opacity=0.4),
            style_function=lambda f: {"color": f["properties"]["colour"]},
        ).add_to(fmap)
        folium.GeoJson(
            points,
            name="facilities (size = beds)",
            marker=folium.CircleMarker(fill=True, fill_opacity=0.8, weight=1),
            style_function=lambda f: {"color": f["properties"]["colour"], "radius": f["properties"]["size"]},
            tooltip=folium.GeoJsonTooltip(["name", "kind", "beds", "opened"], ["", "kind", "beds", "opened"]),
        ).add_to(fmap)
    if sites:
        suggested = folium.FeatureGroup(name="suggested sites", show=True)
        for s in sites:
            folium.CircleMarker(  # a plain circle: no icon font, which would need the internet
                [s["lat"], s["lon"]],
                radius=9,
                color="#1a9850",
                fill=True,
                fill_opacity=0.9,
                weight=3,
                tooltip=html.escape(f"suggested site {s['candidate']} in {s.get('name') or 'the area'}"),
            ).add_to(suggested)
        suggested.add_to(fmap)
    title = (
        f"{ctx.name} {ctx.code} · {ctx.at} · synthetic data"
        if _synthetic(ctx)
        else f"{ctx.name} {ctx.code} · {ctx.at}"
    )
    fmap.get_root().html.add_child(
        folium.Element(f"<h3 style='position:absolute;z-index:1000;left:60px'>{html.escape(title)}</h3>")
    )
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _synthetic(ctx: Context) -> bool:
    """Tell whether any facility shown is synthetic (the map title then says so)."""
    return bool(len(ctx.facilities)) and bool(ctx.facilities["synthetic"].fillna(False).any())


def render(ctx: Context, sites: list[dict] | None = None) -> str:
    """Return the map as a standalone HTML page that works offline (blocking)."""
    return inline_assets(build_map(ctx, sites).get_root().render())
