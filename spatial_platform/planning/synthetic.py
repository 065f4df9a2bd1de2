"""A clearly labelled synthetic planning set for one real division (``demo synthesize``).

Method (seeded, so the same seed and division give the same set):

1. Divisions: the lowest divisions under the code (counties, or prefectures without counties)
   with their real boundaries in force today.
2. Populations per division for ``year``: total = area × density, density log-normal with
   median 2,000 people/km² for districts (名称 ending 区) and 250 elsewhere (σ = 0.5);
   60+ = total × N(0.187, 0.02) (0.187 is the national 60+ share of the 2020 census),
   65+ = 60+ × U(0.70, 0.76), 80+ = 65+ × U(0.17, 0.21).
3. Grid cells: a regular grid inside each division (500 m, coarser so a division has at most
   4,000 cells, and at most 40,000 per band over the whole area); each cell's weight is 0.3
   (even spread) plus 0.7 of a sum of Gaussian settlements (one per 50,000 residents, 3 to 40,
   σ 1.5 km in districts, 3 km elsewhere) centred at points drawn uniformly in the division;
   every band is split by the same weights.
4. Facilities, drawn from the 60+ count: elderly-care institutions Poisson(60+ / 7,000),
   community centres/stations Poisson(60+ / 3,000), both placed at cells drawn by weight and
   jittered inside the cell; rural homes (敬老院) Poisson(60+ / 30,000) outside districts, placed
   uniformly; one child-welfare institution and one relief station per prefecture-level area.
   Beds: institutions log-normal (median 120, σ 0.6, 20 to 1,000, multiples of 10); stations 0,
   10, 20 or 30 (p = .4, .3, .2, .1); rural homes U(30, 120); child welfare and relief stations
   have capacity U(50, 200) and U(20, 80). Opened on a random day between 1990 and ``year``;
   one in ten institutions closed later. Names end in "(合成)".

Everything written has source 'synthetic' and synthetic = true; division codes of facilities are
derived by reverse geocoding their points (never set from the generator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from spatial_platform.planning.grid import grid_in_polygon, random_points_in, spacing_for

SOURCE = "synthetic"
DEFAULT_SEED = 20240601


@dataclass
class SyntheticSet:
    """What the generator produced: populations, grid cells and facility rows (WGS 84)."""

    populations: list[dict]
    cells: list[dict]
    facilities: list[dict]


def _date_between(rng: np.random.Generator, first: date, last: date) -> date:
    """Return a random day in [first, last]."""
    return first + timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))


def _beds(rng: np.random.Generator, kind: str) -> tuple[int | None, int | None]:
    """Return (beds, capacity) drawn from the documented distribution of a kind."""
    if kind == "elderly_care_institution":
        return int(np.clip(round(rng.lognormal(math.log(120), 0.6) / 10) * 10, 20, 1000)), None
    if kind == "community_elderly_care":
        return int(rng.choice([0, 10, 20, 30], p=[0.4, 0.3, 0.2, 0.1])), None
    if kind == "extreme_poverty_support":
        return int(rng.integers(30, 121)), None
    if kind == "child_welfare":
        return None, int(rng.integers(50, 201))
    return None, int(rng.integers(20, 81))


def synthesize(units: pd.DataFrame, metric: np.ndarray, to_lonlat, seed: int, year: int) -> SyntheticSet:
    """Generate the set for ``units`` (code, name, parent_code) with polygons in metres (blocking)."""
    rng = np.random.default_rng(seed)
    populations, cells, facilities = [], [], []
    per_unit = min(4000, max(100, 40_000 // max(len(units), 1)))
    labels = {
        "elderly_care_institution": "养老机构",
        "community_elderly_care": "社区养老服务站",
        "extreme_poverty_support": "敬老院",
        "child_welfare": "儿童福利院",
        "relief_station": "救助管理站",
    }
    for code, name, polygon in zip(units["code"], units["name"], metric, strict=True):
        urban = name.endswith("区")
        area_km2 = polygon.area / 1e6
        total = int(area_km2 * rng.lognormal(math.log(2000 if urban else 250), 0.5))
        older = int(total * float(np.clip(rng.normal(0.187, 0.02), 0.08, 0.35)))
        o65 = int(older * rng.uniform(0.70, 0.76))
        o80 = int(o65 * rng.uniform(0.17, 0.21))
        bands = {"total": total, "60+": older, "65+": o65, "80+": o80}
        populations.extend(
            {"division_code": code, "year": year, "band": b, "count": c} for b, c in bands.items()
        )
        spacing = spacing_for(polygon.area, per_unit, 500.0)
        xy = grid_in_polygon(polygon, spacing)
        if len(xy) == 0:
            p = polygon.representative_point()
            xy = np.array([[p.x, p.y]])
        settlements = int(np.clip(math.ceil(total / 50_000), 3, 40))
        centres = random_points_in(polygon, settlements, rng)
        sigma = 1500.0 if urban else 3000.0
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        kernel = np.exp(-d2 / (2 * sigma**2)).sum(axis=1)
        weight = 0.3 / len(xy) + 0.7 * kernel / kernel.sum()
        weight /= weight.sum()
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        for band, count in bands.items():
            cells.extend(
                {
                    "lon": float(a),
                    "lat": float(b),
                    "year": year,
                    "band": band,
                    "count": float(count * w),
                    "cell_size_m": spacing,
                }
                for a, b, w in zip(lon, lat, weight, strict=True)
            )
        plan = {
            "elderly_care_institution": rng.poisson(older / 7000),
            "community_elderly_care": rng.poisson(older / 3000),
            "extreme_poverty_support": 0 if urban else rng.poisson(older / 30000),
        }
        for kind, n in plan.items():
            if n == 0:
                continue
            if kind == "extreme_poverty_support":
                points = random_points_in(polygon, n, rng)
            else:
                picks = rng.choice(len(xy), size=n, p=weight)
                points = xy[picks] + rng.uniform(-spacing / 2, spacing / 2, (n, 2))
                inside = shapely.contains_xy(polygon, points[:, 0], points[:, 1])
                points[~inside] = xy[picks[~inside]]
            plon, plat = to_lonlat(points[:, 0], points[:, 1])
            for i, (a, b) in enumerate(zip(plon, plat, strict=True)):
                beds, capacity = _beds(rng, kind)
                opened = _date_between(rng, date(1990, 1, 1), date(year, 6, 30))
                closed = None
                if kind == "elderly_care_institution" and rng.random() < 0.1:
                    closed = _date_between(rng, opened + timedelta(days=365), date(year + 1, 12, 31))
                facilities.append(
                    {
                        "id": f"synthetic:{seed}:{code}:{kind}:{i + 1}",
                        "name": f"{name}{labels[kind]}{i + 1:02d}(合成)",
                        "kind": kind,
                        "lon": float(a),
                        "lat": float(b),
                        "beds": beds,
                        "capacity": capacity,
                        "operator": "合成数据 synthetic",
                        "opened": opened.isoformat(),
                        "closed": closed.isoformat() if closed else None,
                    }
                )
    _area_wide(rng, units, metric, to_lonlat, facilities, labels, seed, year)
    return SyntheticSet(populations, cells, facilities)


def _area_wide(rng, units, metric, to_lonlat, facilities, labels, seed, year) -> None:
    """Add one child-welfare institution and one relief station per prefecture-level area."""
    for parent, group in units.groupby("parent_code", sort=True):
        biggest = max(group.index, key=lambda i: metric[i].area)
        polygon = metric[biggest]
        for kind in ("child_welfare", "relief_station"):
            ((x, y),) = random_points_in(polygon, 1, rng)
            (a,), (b,) = to_lonlat(np.array([x]), np.array([y]))
            beds, capacity = _beds(rng, kind)
            facilities.append(
                {
                    "id": f"synthetic:{seed}:{parent}:{kind}:1",
                    "name": f"{units.loc[biggest, 'name']}{labels[kind]}(合成)",
                    "kind": kind,
                    "lon": float(a),
                    "lat": float(b),
                    "beds": beds,
                    "capacity": capacity,
                    "operator": "合成数据 synthetic",
                    "opened": _date_between(rng, date(1990, 1, 1), date(year, 6, 30)).isoformat(),
                    "closed": None,
                }
            )
