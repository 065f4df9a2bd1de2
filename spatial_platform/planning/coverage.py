"""Coverage: the share of the older population within a straight-line radius of a facility."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

DEFAULT_RADIUS_M = 1000.0


def nearest_distance(demand_xy: np.ndarray, facility_xy: np.ndarray) -> np.ndarray:
    """Return each demand point's straight-line distance (m) to its nearest facility (inf if none)."""
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    facility_xy = np.asarray(facility_xy, dtype=float).reshape(-1, 2)
    if len(facility_xy) == 0:
        return np.full(len(demand_xy), np.inf)
    distance, _ = cKDTree(facility_xy).query(demand_xy, k=1)
    return np.asarray(distance, dtype=float)


@dataclass
class Coverage:
    """Who is within ``radius`` of a facility, per demand point and per division."""

    inputs: dict
    divisions: pd.DataFrame
    distance: np.ndarray
    covered: np.ndarray
    totals: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the inputs, totals and per-division rows as plain JSON-ready values."""
        return {
            "inputs": self.inputs,
            "totals": self.totals,
            "divisions": _records(self.divisions),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return rows as dicts with NaN turned into None."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def coverage(demand: pd.DataFrame, facilities: pd.DataFrame, radius: float = DEFAULT_RADIUS_M) -> Coverage:
    """Measure coverage of ``demand`` (x, y, weight, division) by ``facilities`` (x, y) within ``radius``."""
    if not radius > 0:
        raise ValueError("radius must be positive")
    distance = nearest_distance(demand[["x", "y"]].to_numpy(), facilities[["x", "y"]].to_numpy())
    covered = distance <= radius
    weight = demand["weight"].to_numpy(dtype=float)
    finite = np.isfinite(distance)
    frame = pd.DataFrame(
        {
            "division": demand["division"].to_numpy(),
            "population": weight,
            "covered": np.where(covered, weight, 0.0),
            "weighted_distance": np.where(finite, weight * np.where(finite, distance, 0.0), 0.0),
        }
    )
    grouped = frame.groupby("division", sort=True).sum()
    grouped["uncovered"] = grouped["population"] - grouped["covered"]
    grouped["share"] = _ratio(grouped["covered"], grouped["population"])
    grouped["mean_distance_m"] = _ratio(grouped["weighted_distance"], grouped["population"])
    if not finite.any():
        grouped["mean_distance_m"] = np.nan
    out = grouped.drop(columns="weighted_distance").reset_index()
    population, covered_total = float(weight.sum()), float(weight[covered].sum())
    totals = {
        "population": population,
        "covered": covered_total,
        "uncovered": population - covered_total,
        "share": covered_total / population if population else None,
        "mean_distance_m": float((weight * distance).sum() / population)
        if population and finite.all()
        else None,
    }
    inputs = {"radius_m": float(radius), "demand_points": len(demand), "facilities": len(facilities)}
    return Coverage(inputs, out, distance, covered, totals)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Divide, giving NaN where the denominator is zero."""
    return numerator / denominator.where(denominator > 0)
