"""Age bands and the API shapes of population data."""

from __future__ import annotations

BANDS = ("total", "60+", "65+", "80+")
"""Age bands, widest first: everyone, and residents aged 60, 65 and 80 or over.

Each band must not exceed the one before it (for the same division and year)."""

OLDER_DEFAULT = "60+"
"""The band planning measures use unless told otherwise (older people as Chinese statistics count them)."""

BAND_COLUMNS: dict[str, str] = {
    "total": "total",
    "60+": "60+",
    "65+": "65+",
    "80+": "80+",
    "age60": "60+",
    "age65": "65+",
    "age80": "80+",
    "总人口": "total",
    "60岁以上": "60+",
    "65岁以上": "65+",
    "80岁以上": "80+",
}
"""Column names accepted for the wide layout (one column per band)."""
