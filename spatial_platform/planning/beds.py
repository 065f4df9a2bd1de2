"""Beds per 1,000 older residents per division, compared with a planner-set target."""

from __future__ import annotations

import numpy as np
import pandas as pd


def beds_per_thousand(beds: pd.Series, older: pd.Series, target: float) -> pd.DataFrame:
    """Compare beds (by division) with ``target`` beds per 1,000 older residents (by division)."""
    if not target >= 0:
        raise ValueError("target must be zero or more")
    index = older.index.union(beds.index)
    frame = pd.DataFrame(
        {
            "older": older.reindex(index, fill_value=0).astype(float),
            "beds": beds.reindex(index, fill_value=0).astype(float),
        }
    )
    frame.index.name = "division"
    known = frame["older"] > 0
    frame["per_1000"] = (frame["beds"] / frame["older"].where(known) * 1000).round(6)
    frame["target"] = float(target)
    needed = target * frame["older"] / 1000
    frame["meets_target"] = frame["beds"] >= needed - 1e-9
    frame["shortfall_beds"] = np.ceil(np.maximum(needed - frame["beds"], 0) - 1e-9).astype(int)
    return frame.reset_index()


def totals(frame: pd.DataFrame, target: float) -> dict:
    """Return the whole area's rate and the beds needed so that every division meets the target."""
    older, beds = float(frame["older"].sum()), float(frame["beds"].sum())
    return {
        "older": older,
        "beds": beds,
        "per_1000": beds / older * 1000 if older else None,
        "target": float(target),
        "area_meets_target": beds >= target * older / 1000 - 1e-9,
        "divisions_below_target": int((~frame["meets_target"]).sum()),
        "shortfall_beds": int(frame["shortfall_beds"].sum()),
    }
