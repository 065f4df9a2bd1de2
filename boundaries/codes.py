"""Division codes and levels: the checks every part of the package applies to its inputs."""

from __future__ import annotations

import re

from boundaries.errors import InvalidInput

LEVELS = ("province", "prefecture", "county")
ALL_LEVELS = (*LEVELS, "town", "village")
_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3})?)?")


def check_code(value: str, field_name: str = "code") -> str:
    """Return a 6-digit division, 9-digit town or 12-digit village code, or raise InvalidInput."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidInput(
            field_name,
            f"{field_name} must be a six-digit division code (or a 9-digit town or 12-digit village "
            f"code), got {value!r}",
        )
    return value


def code_prefix(code: str) -> str:
    """Return the prefix every code under a division shares (430000 → 43, 430100 → 4301)."""
    if len(code) == 6:
        return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    return code


def check_level(value: str | None) -> str | None:
    """Return a known level name or raise InvalidInput."""
    if value is not None and value not in ALL_LEVELS:
        raise InvalidInput("level", f"level must be one of {', '.join(ALL_LEVELS)}, got {value!r}")
    return value
