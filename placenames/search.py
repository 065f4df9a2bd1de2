"""Public search and autocomplete over published records, done in PostgreSQL with its indexes."""

# A query is matched as Chinese (exact, prefix, substring through character n-grams, former names,
# homophones through pinyin), as pinyin (exact, prefix with or without spaces, initials, substring
# and one-typo variants through pg_trgm) or as a division code; ``search_sql`` holds the SQL.

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import asyncpg

from boundaries import code_prefix
from placenames import search_sql
from placenames.errors import InvalidPlacename
from placenames.models import CATEGORIES
from placenames.pinyin import has_han, spell, to_simplified
from placenames.validation import check_division

QUERY_MAX = 100
FALLBACK_TIMEOUT_MS = 250
MATCHES = ("exact", "prefix", "contains", "other_name", "other_suffix", "fuzzy_pinyin", "one_character",
           "similar")  # fmt: skip
# Administrative suffixes a name is remembered with wrongly (most urban 区 were once 县), longest first.
SUFFIXES = ("自治县", "自治州", "自治旗", "新区", "地区", "街道", "林区", "特区", "县", "区", "市", "旗",
            "镇", "乡", "盟", "州")  # fmt: skip
_KEY = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Query:
    """A normalised query: its text variants, pinyin key, filters and limit."""

    text: str
    names: tuple[str, ...]
    key: str
    chinese: bool
    division: str | None
    category: str | None
    limit: int


def pinyin_key(text: str) -> str:
    """Return the comparison key of pinyin text: lowercase letters and digits only, ü as v."""
    return _KEY.sub("", text.lower().replace("ü", "v"))


def _successor(prefix: str) -> str:
    """Return the smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def division_prefix(code: str | None) -> str | None:
    """Return the code prefix a division filter selects (430000 → 43, 430100 → 4301)."""
    if code in (None, ""):
        return None
    return code_prefix(check_division(code, "division"))


def parse(q, division: str | None, category: str | None, limit: int, max_limit: int) -> Query:
    """Validate and normalise the search parameters; bad ones raise InvalidPlacename naming them."""
    text = " ".join(unicodedata.normalize("NFKC", q or "").split())
    if not text:
        raise InvalidPlacename("q", "q must not be empty")
    if len(text) > QUERY_MAX:
        raise InvalidPlacename("q", f"q is {len(text)} characters long; at most {QUERY_MAX}")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise InvalidPlacename("q", "q contains control characters")
    if category is not None and category not in CATEGORIES:
        raise InvalidPlacename("category", f"category must be one of {', '.join(CATEGORIES)}")
    if not 1 <= limit <= max_limit:
        raise InvalidPlacename("limit", f"limit must be between 1 and {max_limit}")
    chinese = has_han(text)
    simplified = to_simplified(text) if chinese else text
    names = tuple(dict.fromkeys((simplified, text)))
    key = pinyin_key(spell(simplified)[1] if chinese else text)
    return Query(text, names, key, chinese, division_prefix(division), category, limit)


def _grams(text: str) -> list[str]:
    """Return the n-grams a substring search needs: the character itself, or every pair."""
    text = text.replace(" ", "")
    if len(text) == 1:
        return [text]
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


def _like(text: str) -> str:
    """Escape LIKE wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fuzzy_key(key: str) -> str:
    """Fold the sounds people confuse (zh/z, ch/c, sh/s, ng/n, l/n), as SQL's placename_fuzzy does."""
    return key.replace("zh", "z").replace("ch", "c").replace("sh", "s").replace("ng", "n").replace("l", "n")


def other_suffixes(name: str) -> list[str]:
    """Return the name with each other administrative suffix (岳麓县 → 岳麓区, 岳麓市, 岳麓 …)."""
    stem = name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            break
    return [alt for alt in dict.fromkeys([stem, *(stem + s for s in SUFFIXES)]) if alt != name]


def _values(query: Query, limit: int, seen: list[int]) -> dict:
    """Return every value a search statement may bind."""
    name, key, division = query.names[0], query.key, query.division
    return {
        "names": list(query.names),
        "suffixed": other_suffixes(name),
        "chars": sorted(set(name.replace(" ", ""))),
        "len_lo": max(len(name) - 1, 2),
        "len_hi": len(name) + 1,
        "name": name,
        "name_hi": _successor(name),
        "grams": _grams(name),
        "like": f"%{_like(name)}%",
        "key": key,
        "key_hi": _successor(key) if key else "",
        "key_like": f"%{_like(key)}%",
        "fuzzy": fuzzy_key(key),
        "fuzzy_hi": _successor(fuzzy_key(key)) if key else "",
        "key_word": f"{_like(key)} %",
        "key_half": key[: len(key) // 2],
        "key_half_hi": _successor(key[: len(key) // 2]) if len(key) > 1 else "",
        "div_lo": division,
        "div_hi": _successor(division) if division else None,
        "category": query.category,
        "lim": limit,
        "seen": seen,
    }


async def search(conn: asyncpg.Connection, query: Query, suggest: bool = False) -> list[dict]:
    """Return ranked published records matching the query (suggest: exact and prefix only)."""
    main = search_sql.ranked(search_sql.main_branches(query.chinese, query.key, suggest))
    length = len(query.names[0].replace(" ", ""))
    fallback, trigram = search_sql.fallback_branches(query.chinese, query.key, suggest, length)
    rows: list = []
    try:
        async with conn.transaction():
            # Costs estimated for the GIN branches can pass JIT's threshold; compiling only adds time.
            await conn.execute("SET LOCAL jit = off")
            statement, args = search_sql.bind(main, _values(query, query.limit, []))
            rows = list(await conn.fetch(statement, *args))
            if fallback and not any(r["tier"] <= 1 for r in rows) and len(rows) < query.limit:
                # Nothing starts with the query: perhaps a typo. Best effort: it gives up rather
                # than hold the request up.
                await conn.execute(f"SET LOCAL statement_timeout = {FALLBACK_TIMEOUT_MS}")
                if trigram:  # pg_trgm has no statistics: keep the planner on the trigram index
                    await conn.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off")
                values = _values(query, query.limit - len(rows), [r["id"] for r in rows])
                statement, args = search_sql.bind(search_sql.ranked(fallback), values)
                rows += await conn.fetch(statement, *args)
    except asyncpg.QueryCanceledError:
        pass  # the fallback ran out of time: the main matches stand
    return [_hit(r) for r in rows]


_PLACE = ("tier", "lon", "lat", "west", "south", "east", "north")


def _hit(row: asyncpg.Record) -> dict:
    """A search hit: the record, how it matched, and where it is when known (point and bbox)."""
    hit = {k: v for k, v in dict(row).items() if k not in _PLACE}
    hit["match"] = MATCHES[row["tier"]]
    if row["lon"] is not None:
        hit["location"] = [round(row["lon"], 6), round(row["lat"], 6)]
        hit["bbox"] = [round(row[k], 6) for k in ("west", "south", "east", "north")]
    return hit
