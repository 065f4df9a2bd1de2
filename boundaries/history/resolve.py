"""Resolve: a batch of raw ``{code, at}`` items to today's codes, each bad item with its own error.

``BatchResolver`` is mixed into ``LineageIndex`` (history/service.py); towns and villages are
resolved through their county by ``boundaries.history.towns.LocalCodes``.
"""

from __future__ import annotations

from datetime import date

from boundaries.codes import check_code
from boundaries.dates import CoveredPeriod
from boundaries.errors import DivisionNotFound, InvalidInput


class BatchResolver:
    """Batch resolve over the index: each item parsed, looked up and given today's codes.

    Uses the index's ``first_date``, ``require`` (LineageIndex) and ``today_codes``
    (SuccessorSearch).
    """

    first_date: date | None
    data_as_of: date | None

    def resolve(self, items: list, today: date, local=None) -> list[dict]:
        """Resolve raw ``{code, at}`` items (towns, villages by ``local``); a bad item gets its own error."""
        coverage = CoveredPeriod(self.first_date or today, today, self.data_as_of)
        return [self._resolve_one(i, item, coverage, local) for i, item in enumerate(items)]

    def _resolve_one(self, index: int, item, coverage: CoveredPeriod, local=None) -> dict:
        """Resolve one item into a plain dict ready for JSON."""
        code = item.get("code") if isinstance(item, dict) else None
        out: dict = {
            "index": index,
            "code": code,
            "at": None,
            "found": False,
            "name": None,
            "level": None,
            "today": [],
            "error": None,
            "beyond_record": False,
        }
        try:
            if not isinstance(item, dict):
                raise InvalidInput("item", "each item must be an object {code, at}")
            check_code(code)
            when = coverage.parse(item.get("at"))
            out["at"] = when
            out["beyond_record"] = coverage.beyond_record(when)
            if len(code) > 6 and local is not None:  # a town or village: boundaries.history.towns.LocalCodes
                return local.resolve_item(self, out, when)
            node = self.require(code, when)
        except (InvalidInput, DivisionNotFound) as exc:
            out["error"] = {"field": getattr(exc, "field", None), "message": str(exc)}
            return out
        out.update(found=True, name=node.name, level=node.level, today=self.today_codes(node, when))
        return out
