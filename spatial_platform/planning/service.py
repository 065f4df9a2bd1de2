"""The planning measures for an area and date, as JSON-ready dicts that record their inputs."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pandas as pd
import shapely

from spatial_platform.planning import accessibility, beds, siting
from spatial_platform.planning.context import Context, locate_in_units
from spatial_platform.planning.coverage import coverage
from spatial_platform.planning.errors import InvalidParameter, MissingData, ProblemTooLarge
from spatial_platform.planning.grid import candidate_grid
from spatial_platform.planning.projection import to_metric, to_wgs84


def _rows(frame: pd.DataFrame) -> list[dict]:
    """Return rows as dicts, NaN as None and numpy scalars as Python values."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in clean.to_dict("records")
    ]


def _with_units(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """Put each unit's code, name and area in front of per-division results (every unit listed)."""
    units = ctx.units[["code", "name", "area_km2"]].rename(columns={"code": "division"})
    return units.merge(frame, on="division", how="left")


def measure_coverage(ctx: Context) -> dict:
    """Coverage of the older population within the radius, per division, with the uncovered."""
    result = coverage(ctx.demand, ctx.facilities[["x", "y"]], ctx.options.radius)
    return {
        "inputs": ctx.inputs(),
        "totals": result.totals,
        "divisions": _rows(_with_units(ctx, result.divisions)),
        "notes": ctx.notes,
    }


def measure_beds(ctx: Context, target: float) -> dict:
    """Beds per 1,000 older residents per division against ``target``."""
    if not 0 <= target <= 1000:
        raise InvalidParameter("target", "target must be between 0 and 1,000 beds per 1,000 older residents")
    inside = ctx.inside()
    bed_counts = inside.groupby("division")["beds"].sum(min_count=1).fillna(0)
    older = ctx.units.set_index("code")["older"].dropna()
    frame = beds.beds_per_thousand(bed_counts, older, target)
    frame["facilities"] = frame["division"].map(inside.groupby("division").size()).fillna(0).astype(int)
    notes = list(ctx.notes)
    if unknown := int(inside["beds"].isna().sum()):
        notes.append(f"{unknown} facilities have no bed count and add no beds")
    return {
        "inputs": {**ctx.inputs(), "target_per_1000": float(target)},
        "totals": beds.totals(frame, target),
        "divisions": _rows(_with_units(ctx, frame)),
        "notes": notes,
    }


def measure_access(ctx: Context, decay: str, sigma: float | None, per: str, max_cells: int) -> dict:
    """2SFCA accessibility (beds per 1,000 older residents within reach), per division or grid point."""
    if decay not in accessibility.DECAYS:
        raise InvalidParameter("decay", f"decay must be one of {', '.join(accessibility.DECAYS)}")
    if per not in ("division", "cell"):
        raise InvalidParameter("per", "per must be division or cell")
    supply = ctx.facilities.assign(capacity=ctx.facilities["beds"].fillna(ctx.facilities["capacity"]))
    supply = supply[supply["capacity"].fillna(0) > 0]
    radius = ctx.options.radius
    scores = accessibility.two_step_fca(ctx.demand, supply, radius, decay, sigma)
    inputs = {**ctx.inputs(), "decay": decay, "sigma_m": (sigma or radius / 2) if decay != "none" else None}
    inputs["supply"] = "beds (capacity where beds are missing)"
    mean = _weighted(ctx.demand["weight"], scores)  # None without any older residents
    out = {
        "inputs": inputs,
        "totals": {"access_per_1000": None if mean is None else mean * 1000},
        "divisions": _rows(_with_units(ctx, accessibility.by_division(ctx.demand, scores))),
        "notes": ctx.notes,
    }
    if per == "cell":
        if len(ctx.demand) > max_cells:
            raise ProblemTooLarge(
                "spacing", f"{len(ctx.demand)} grid points; at most {max_cells}: raise spacing"
            )
        lon, lat = to_wgs84(ctx.demand["x"], ctx.demand["y"], ctx.crs)
        out["cells"] = [
            {
                "lon": round(float(a), 6),
                "lat": round(float(b), 6),
                "population": float(w),
                "access_per_1000": float(s) * 1000,
            }
            for a, b, w, s in zip(lon, lat, ctx.demand["weight"], scores, strict=True)
        ]
    return out


def _weighted(weight: pd.Series, values: pd.Series) -> float | None:
    """Return the weighted mean, or None without weight."""
    total = float(weight.sum())
    return float((weight.to_numpy() * values.to_numpy()).sum() / total) if total else None


def aggregate_demand(
    demand: pd.DataFrame, max_points: int, minimum: float
) -> tuple[pd.DataFrame, float | None]:
    """Re-bin demand onto a coarser grid (weighted centroids) until at most ``max_points`` remain."""
    if len(demand) <= max_points:
        return demand, None
    cell = minimum
    while True:
        keys = np.floor(demand[["x", "y"]].to_numpy() / cell).astype(np.int64)
        frame = demand.assign(
            kx=keys[:, 0], ky=keys[:, 1], wx=demand["x"] * demand["weight"], wy=demand["y"] * demand["weight"]
        )
        grouped = frame.groupby(["kx", "ky"], sort=True).agg(
            weight=("weight", "sum"), wx=("wx", "sum"), wy=("wy", "sum"), division=("division", "first")
        )
        if len(grouped) <= max_points:
            grouped = grouped[grouped["weight"] > 0]
            out = pd.DataFrame(
                {
                    "x": grouped["wx"] / grouped["weight"],
                    "y": grouped["wy"] / grouped["weight"],
                    "weight": grouped["weight"],
                    "division": grouped["division"],
                }
            ).reset_index(drop=True)
            return out, cell
        cell = math.ceil(cell * 1.25 / 10) * 10


def _candidate_points(ctx: Context, candidates, spacing, max_candidates) -> tuple[np.ndarray, dict]:
    """Return candidate sites in metres and how they were chosen (uploaded, or a grid in the area)."""
    if candidates is None:
        area = shapely.union_all(ctx.metric)
        xy, step = candidate_grid(area, max_candidates, spacing)
        described = {"source": "grid inside the division", "spacing_m": step}
    else:
        if not isinstance(candidates, list) or not candidates:
            raise InvalidParameter("candidates", "candidates must be a non-empty list of {lon, lat}")
        if len(candidates) > max_candidates:
            raise ProblemTooLarge("candidates", f"{len(candidates)} candidates; at most {max_candidates}")
        lons, lats = [], []
        for i, item in enumerate(candidates):
            point = (item.get("lon"), item.get("lat")) if isinstance(item, dict) else item
            ok = isinstance(point, list | tuple) and len(point) == 2
            ok = ok and all(isinstance(v, int | float) and math.isfinite(v) for v in point)
            if not ok or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
                raise InvalidParameter(f"candidates[{i}]", f"candidates[{i}] must be {{lon, lat}} in WGS 84")
            lons.append(float(point[0]))
            lats.append(float(point[1]))
        x, y = to_metric(lons, lats, ctx.crs)
        xy = np.column_stack([x, y])
        described = {"source": "uploaded"}
    lon, lat = to_wgs84(xy[:, 0], xy[:, 1], ctx.crs) if len(xy) else ([], [])
    described["count"] = len(xy)
    described["points"] = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
    return xy, described


def suggest_sites(
    ctx: Context,
    method: str,
    p: int,
    candidates=None,
    spacing: float | None = None,
    max_candidates: int = 300,
    engine: str = "highs",
    max_demand: int = 5000,
    max_pairs: int = 2_000_000,
) -> dict:
    """Suggest ``p`` new sites by MCLP (most older residents newly covered) or p-median (least distance)."""
    if method not in ("mclp", "p-median"):
        raise InvalidParameter("method", "method must be mclp or p-median")
    if engine not in siting.ENGINES:
        raise InvalidParameter("engine", f"engine must be one of {', '.join(siting.ENGINES)}")
    if ctx.demand.empty:
        raise MissingData(
            f"no {ctx.options.band} population for {ctx.code} around {ctx.at}; nothing to serve"
        )
    xy, described = _candidate_points(ctx, candidates, spacing, max_candidates)
    if not 1 <= p <= len(xy):
        raise InvalidParameter("p", f"p must be between 1 and the {len(xy)} candidate sites")
    demand, cell = aggregate_demand(ctx.demand, max_demand, ctx.options.radius / 2)
    if method == "p-median" and len(demand) * len(xy) > max_pairs:
        raise ProblemTooLarge(
            "candidates", f"{len(demand)} demand points × {len(xy)} candidates exceeds {max_pairs:,}"
        )
    args = (demand[["x", "y"]].to_numpy(), demand["weight"].to_numpy(), xy)
    existing = ctx.facilities[["x", "y"]].to_numpy(float)
    if method == "mclp":
        result = siting.mclp(*args, ctx.options.radius, p, existing, engine)
    else:
        result = siting.p_median(*args, p, existing, engine)
    total = result.total_weight
    chosen = xy[result.chosen]
    lon, lat = to_wgs84(chosen[:, 0], chosen[:, 1], ctx.crs)
    names = dict(zip(ctx.units["code"], ctx.units["name"], strict=True))
    owner = locate_in_units(ctx.metric, chosen[:, 0], chosen[:, 1], ctx.units["code"])
    sites = [
        {
            "candidate": int(j),
            "lon": round(float(a), 6),
            "lat": round(float(b), 6),
            "division": c,
            "name": names.get(c),
        }
        for j, a, b, c in zip(result.chosen, lon, lat, owner, strict=True)
    ]
    if method == "mclp":
        summary = {
            "population": total,
            "covered_before": result.before,
            "covered_after": result.after,
            "added_coverage": result.objective,
            "share_before": result.before / total if total else None,
            "share_after": result.after / total if total else None,
        }
    else:
        before = result.before / total if total and math.isfinite(result.before) else None
        summary = {
            "population": total,
            "mean_distance_before_m": before,
            "mean_distance_after_m": result.after / total if total else None,
            "total_weighted_distance_m": result.objective,
        }
    inputs = {
        **ctx.inputs(),
        "method": method,
        "p": p,
        "engine": engine,
        "candidates": described,
        "siting_demand_points": len(demand),
        "siting_cell_m": cell,
    }
    return {"inputs": inputs, "status": result.status, "summary": summary, "sites": sites, "notes": ctx.notes}


async def run(blocking, *args, **kwargs):
    """Run a blocking measure in a worker thread."""
    return await asyncio.to_thread(blocking, *args, **kwargs)
