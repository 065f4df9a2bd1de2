"""The one date parser: YYYY, YYYY-MM or YYYY-MM-DD within the period the data covers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from boundaries.errors import DateOutOfRange, InvalidInput

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class CoveredPeriod:
    """The dates the data can answer for: 1 January of the first year up to today.

    ``recorded`` is the date through which changes are recorded (the end of the last loaded
    table); a later date is still answered, from the latest record, and flagged.
    """

    first: date
    last: date
    recorded: date | None = None

    def beyond_record(self, when: date) -> bool:
        """Tell whether ``when`` lies after the date through which changes are recorded."""
        return self.recorded is not None and when > self.recorded

    def parse_span(
        self, start: str | None, stop: str | None, start_field: str = "from", stop_field: str = "to"
    ) -> tuple[date, date]:
        """Parse a ``start``..``stop`` pair (``start`` required, ``stop`` default today), in order."""
        if start is None or start == "":
            raise InvalidInput(start_field, f"{start_field} is required (YYYY, YYYY-MM or YYYY-MM-DD)")
        first, last = self.parse(start, start_field), self.parse(stop, stop_field)
        if first > last:
            raise InvalidInput(start_field, f"{start_field}={first} is after {stop_field}={last}")
        return first, last

    def parse(self, value: str | None, field_name: str = "at", end: bool = True) -> date:
        """Parse YYYY (31 December), YYYY-MM (month end) or YYYY-MM-DD; default today.

        With ``end=False`` a year or month means its first day instead (an opening date), and
        nothing is defaulted: an empty value is an error for the caller to allow or not.
        """
        if value is None or value == "":
            if not end:
                raise InvalidInput(field_name, f"{field_name} is empty")
            return self.last
        if isinstance(value, str) and len(value) == 10:
            try:
                return self._check(date.fromisoformat(value), value, field_name)
            except ValueError:
                pass
        m = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not m:
            raise InvalidInput(field_name, f"{field_name} must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        year, month, day = int(m[1]), m[2], m[3]
        if month is not None and not 1 <= int(month) <= 12:
            raise InvalidInput(field_name, f"{field_name} has no month {month}: {value!r}")
        try:
            if not end:
                when = date(year, int(month or 1), int(day or 1))
            elif month is None:
                when = date(year, 12, 31)
            elif day is None:
                nxt = date(year + int(month) // 12, int(month) % 12 + 1, 1)
                when = date.fromordinal(nxt.toordinal() - 1)
            else:
                when = date(year, int(month), int(day))
        except ValueError:
            raise InvalidInput(field_name, f"{field_name} is not a real date: {value!r}") from None
        if end and month is None and year == self.last.year:
            when = self.last
        return self._check(when, value, field_name)

    def _check(self, when: date, value: str, field_name: str) -> date:
        """Return ``when`` if the data covers it, else raise DateOutOfRange naming the range."""
        if not self.first <= when <= self.last:
            raise DateOutOfRange(
                field_name,
                f"{field_name}={value} is outside the covered range {self.first} to {self.last}",
            )
        return when
