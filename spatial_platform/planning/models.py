"""API shapes of the planning endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SitesRequest(BaseModel):
    """A site-suggestion request; leave out ``candidates`` for a grid of candidates inside the division."""

    division: str = Field(examples=["430100"])
    at: str | None = None
    method: Literal["mclp", "p-median"] = "mclp"
    p: int = Field(5, ge=1, le=200)
    radius: float = Field(1000.0, gt=0, le=100_000)
    band: Literal["total", "60+", "65+", "80+"] = "60+"
    kinds: list[str] | None = None
    candidates: list[dict] | None = Field(None, description="[{lon, lat}, …] in WGS 84")
    candidate_spacing: float | None = Field(
        None, gt=0, description="Grid spacing in metres (grid candidates)"
    )
    engine: Literal["highs", "spopt-highs", "spopt-cbc"] = "highs"
