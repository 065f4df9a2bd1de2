"""Two-step floating catchment (2SFCA) accessibility, computed with PySAL ``access``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from access import Access, weights
from scipy.spatial import cKDTree

DECAYS = ("none", "gaussian")


def catchment_pairs(demand_xy: np.ndarray, supply_xy: np.ndarray, radius: float) -> pd.DataFrame:
    """Return every (demand, supply, distance) pair no farther apart than ``radius`` metres."""
    if len(demand_xy) == 0 or len(supply_xy) == 0:
        return pd.DataFrame({"origin": [], "dest": [], "cost": []})
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(supply_xy), max_distance=radius, output_type="ndarray"
    )
    frame = pd.DataFrame({"origin": pairs["i"], "dest": pairs["j"], "cost": pairs["v"]})
    return frame.sort_values(["origin", "dest"], ignore_index=True)


def two_step_fca(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    radius: float,
    decay: str = "none",
    sigma: float | None = None,
) -> pd.Series:
    """Return supply (e.g. beds) per person reachable from each demand point, by 2SFCA.

    Step 1 divides each facility's capacity by the (decay-weighted) population within ``radius``;
    step 2 sums those ratios (decay-weighted) over the facilities within ``radius`` of each point.
    ``demand`` has x, y, weight; ``supply`` has x, y, capacity. ``decay="gaussian"`` weights a
    distance d by exp(-d² / 2σ²), σ = ``sigma`` (default radius / 2).
    """
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {', '.join(DECAYS)}")
    result = pd.Series(0.0, index=demand.index, name="access")
    pairs = catchment_pairs(demand[["x", "y"]].to_numpy(float), supply[["x", "y"]].to_numpy(float), radius)
    if pairs.empty:
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # access uses pandas idioms pandas 3 deprecates
        scores = _access_scores(demand, supply, pairs, radius, decay, sigma)
    values = scores.reindex(np.arange(len(demand))).fillna(0.0).replace([np.inf, -np.inf], 0.0)
    result[:] = values.to_numpy(float)
    return result


def _access_scores(demand, supply, pairs, radius, decay, sigma) -> pd.Series:
    """Run PySAL access's 2SFCA on positional ids."""
    demand_df = pd.DataFrame({"id": np.arange(len(demand)), "demand": demand["weight"].to_numpy(float)})
    supply_df = pd.DataFrame({"id": np.arange(len(supply)), "supply": supply["capacity"].to_numpy(float)})
    model = Access(
        demand_df=demand_df,
        demand_index="id",
        demand_value="demand",
        supply_df=supply_df,
        supply_index="id",
        supply_value="supply",
        cost_df=pairs,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    weight_fn = weights.gaussian(sigma or radius / 2) if decay == "gaussian" else None
    return model.two_stage_fca(name="fca", max_cost=radius, weight_fn=weight_fn)["fca_supply"]


def by_division(demand: pd.DataFrame, access_per_person: pd.Series) -> pd.DataFrame:
    """Return the population-weighted mean access per division (and per 1,000 people)."""
    frame = pd.DataFrame(
        {
            "division": demand["division"].to_numpy(),
            "population": demand["weight"].to_numpy(float),
            "weighted": demand["weight"].to_numpy(float) * access_per_person.to_numpy(float),
        }
    )
    grouped = frame.groupby("division", sort=True).sum()
    grouped["access_per_1000"] = grouped["weighted"] / grouped["population"].where(grouped["population"] > 0)
    grouped["access_per_1000"] *= 1000
    return grouped.drop(columns="weighted").reset_index()
