"""The SQL of search: one index-backed branch per way of matching, ranked in one statement."""

# Each branch is bounded: btree branches probe each administrative level (1 province … 5 village,
# 6 other) with their own LIMIT in index order; n-gram and trigram branches use the partial GIN
# indexes, towns and above apart from villages. So a common query costs about what a rare one does.

from __future__ import annotations

import re

FILTERS = """
    AND p.public_status = 'published'
    AND ($div_lo::text IS NULL OR p.within_code ~>=~ $div_lo AND p.within_code ~<~ $div_hi)
    AND ($category::text IS NULL OR p.category = $category)
"""
# ORDER BY … USING ~<~ is the order of the text_pattern_ops indexes: no probe sorts.
_PER_LEVEL = """
    SELECT m.id, {tier} AS tier, m.score
    FROM generate_series(1, 6) AS r(rank)
    CROSS JOIN LATERAL (
        SELECT p.id, {score}::real AS score FROM placenames p
        WHERE p.level_rank = r.rank AND {condition} {filters}
        ORDER BY {column} USING ~<~ LIMIT $lim
    ) m
"""
_TOWNS_UP = """
    SELECT p.id, {tier} AS tier, {score}::real AS score FROM placenames p
    WHERE p.level_rank <> 5 AND {condition} {filters} ORDER BY {order} LIMIT $lim
"""
_VILLAGES = """
    SELECT p.id, {tier} AS tier, {score}::real AS score FROM placenames p
    WHERE p.level_rank = 5 AND {condition} {filters} ORDER BY {order} LIMIT $lim
"""
# Substrings among villages: a common pair (社区) is in 100,000 names, so rank a bounded set of
# candidates (the planner stops early when matches are common).
_VILLAGE_CANDIDATES = """
    SELECT c.id, c.tier, 0::real AS score FROM (
        SELECT p.id, p.name, {tier} AS tier FROM placenames p
        WHERE p.level_rank = 5 AND {condition} {filters} LIMIT 500) c
    ORDER BY c.tier, length(c.name), c.id LIMIT $lim
"""
# Whether a pinyin prefix ends on a word boundary (changsha → "Changsha Xian", not "Changshan Xian").
_WORD = (
    "(regexp_replace(lower(translate(p.pinyin, 'üÜ', 'vv')), '[^a-z0-9 ]', '', 'g') || ' '"
    " LIKE $key_word)::int"
)
_RANKED = """
    WITH found AS ({branches})
    SELECT p.id, p.published_version AS version, p.name, p.pinyin, p.category, p.level, p.code,
           p.division_code, array_to_string(p.division_path, ' ') AS division_path, b.tier,
           ST_X(loc.point) AS lon, ST_Y(loc.point) AS lat, ST_XMin(loc.box) AS west,
           ST_YMin(loc.box) AS south, ST_XMax(loc.box) AS east, ST_YMax(loc.box) AS north
    FROM (SELECT id, min(tier) AS tier, max(score) AS score FROM found GROUP BY id) b
    JOIN placenames p ON p.id = b.id
    LEFT JOIN LATERAL ({located}) loc ON true
    WHERE NOT p.id = ANY($seen::bigint[])
    ORDER BY b.tier, CASE WHEN b.tier >= 6 THEN -b.score END, p.level_rank, b.score DESC, length(p.name),
             p.pinyin_key, p.id
    LIMIT $lim
"""
# Where a hit is: its own geometry, else (a division's name) the label point and extent of the
# division's boundary in force today, so a client can zoom without fetching the boundary.
_LOCATED = """
    SELECT ST_PointOnSurface(p.geom) AS point, p.geom::box2d AS box WHERE p.geom IS NOT NULL
    UNION ALL
    (SELECT coalesce(ST_Transform(l.geom, 4326), ST_PointOnSurface(g.geom)), g.geom::box2d
     FROM division_geometries g LEFT JOIN division_label_points l ON l.geometry_id = g.id
     WHERE p.geom IS NULL AND p.code IS NOT NULL AND g.code = p.code AND g.valid @> CURRENT_DATE
     LIMIT 1)
    LIMIT 1
"""
TYPO_TRIGRAM_MAX = 12
_NAME_CONTAINS = "p.grams @> $grams::text[] AND (p.name LIKE $like OR p.other_names LIKE $like)"
_NAME_TIER = "CASE WHEN p.name LIKE $like THEN 2 ELSE 3 END"
_SIMILARITY = "word_similarity($key, p.pinyin_key)"
_FUZZY = "placename_fuzzy(p.pinyin_key)"
# Names of nearly the query's length sharing a character, one edit away (towns and above; 2-4
# characters, where a typo leaves too few shared pairs for trigrams). Closer sounds rank first.
_ONE_EDIT = (
    "p.grams && $chars::text[] AND length(p.name) BETWEEN $len_lo AND $len_hi "
    "AND levenshtein(p.name, $name) = 1"
)
_SIMILAR_SOUND = "similarity($key, p.pinyin_key)"


def _level(tier: int, condition: str, column: str, score: str = "0") -> str:
    return _PER_LEVEL.format(tier=tier, condition=condition, column=column, score=score, filters=FILTERS)


def _split(
    tier: str | int, condition: str, order: str, score: str = "0", high: str | None = None
) -> list[str]:
    """The towns-and-above and the village branch of a GIN match."""
    common = {"tier": tier, "condition": condition, "score": score, "filters": FILTERS}
    return [
        _TOWNS_UP.format(order=high or f"p.level_rank, {order}", **common),
        _VILLAGES.format(order=order, **common),
    ]


def main_branches(chinese: bool, key: str, suggest: bool) -> list[str]:
    """Exact (0), prefix (1), substring (2) and other-name (3) branches for a query."""
    if chinese:
        branches = [
            _level(0, "p.name = ANY($names::text[])", "p.name"),
            _level(1, "p.name ~>=~ $name AND p.name ~<~ $name_hi", "p.name"),
        ]
        if not suggest:
            high = _TOWNS_UP.format(
                tier=_NAME_TIER,
                condition=_NAME_CONTAINS,
                score="0",
                filters=FILTERS,
                order="tier, p.level_rank, length(p.name)",
            )
            branches += [
                high,
                _VILLAGE_CANDIDATES.format(tier=_NAME_TIER, condition=_NAME_CONTAINS, filters=FILTERS),
            ]
        return branches
    branches = [
        _level(0, "p.pinyin_key = $key", "p.pinyin_key"),
        _level(1, "p.pinyin_key ~>=~ $key AND p.pinyin_key ~<~ $key_hi", "p.pinyin_key", _WORD),
        _level(1, "p.initials ~>=~ $key AND p.initials ~<~ $key_hi", "p.initials"),
    ]
    if key.isdigit():
        branches += [
            _level(0, "p.within_code = $key AND p.code = $key", "p.within_code"),
            _level(1, "p.within_code ~>=~ $key AND p.within_code ~<~ $key_hi", "p.within_code"),
        ]
    if 5 <= len(key) <= TYPO_TRIGRAM_MAX and not suggest:  # longer keys: the prefix branch finds them
        contains = "p.pinyin_key LIKE $key_like"
        branches += [
            _TOWNS_UP.format(
                tier=2, condition=contains, score="0", filters=FILTERS, order="p.level_rank, length(p.name)"
            ),
            _VILLAGE_CANDIDATES.format(tier=2, condition=contains, filters=FILTERS),
        ]
    return branches


def fallback_branches(chinese: bool, key: str, suggest: bool, length: int = 0) -> tuple[list[str], bool]:
    """Other-suffix (4), fuzzy-pinyin (5), one-character (6) and similar (7) branches, run only
    when the others found too few; and whether they use pg_trgm. ``length``: the name's characters."""
    if suggest or not key:
        return [], False
    if chinese:  # another suffix: 岳麓县 → 岳麓区; one character: 岳麓去 → 岳麓区; homophones: 岳鹿 → yuelu
        branches = [_level(4, "p.name = ANY($suffixed::text[])", "p.name")]
        if 2 <= length <= 4:
            branches.append(
                _TOWNS_UP.format(
                    tier=6,
                    condition=_ONE_EDIT,
                    score=_SIMILAR_SOUND,
                    filters=FILTERS,
                    order="score DESC, p.level_rank, length(p.name)",
                )
            )
        branches.append(_level(7, "p.pinyin_key ~>=~ $key AND p.pinyin_key ~<~ $key_hi", "p.pinyin_key"))
        return branches, False
    fuzzy = _level(5, f"{_FUZZY} ~>=~ $fuzzy AND {_FUZZY} ~<~ $fuzzy_hi", _FUZZY)
    if len(key) < 4:
        return ([fuzzy] if len(key) == 3 else []), False
    order = f"{_SIMILARITY} DESC, p.id"
    if len(key) <= TYPO_TRIGRAM_MAX:
        return [fuzzy, *_split(7, "$key <% p.pinyin_key", order, _SIMILARITY, high=order)], True
    # A long key shares its trigrams with every name that has the same generic words (…cunmin
    # weiyuanhui): look among names sharing its first half instead (one typo in the second half).
    half = "p.pinyin_key ~>=~ $key_half AND p.pinyin_key ~<~ $key_half_hi AND $key % p.pinyin_key"
    return [fuzzy, _level(7, half, "p.pinyin_key", "similarity($key, p.pinyin_key)")], False


def ranked(branches: list[str]) -> str:
    """Combine branches into the ranked statement."""
    return _RANKED.format(branches=" UNION ALL ".join(f"({b})" for b in branches), located=_LOCATED)


def bind(statement: str, values: dict) -> tuple[str, list]:
    """Number the ``$name`` placeholders of a statement in order and return it with its values."""
    order: list[str] = []

    def number(m: re.Match) -> str:
        if m[1] not in order:
            order.append(m[1])
        return f"${order.index(m[1]) + 1}"

    return re.sub(r"\$([a-z_]+)", number, statement), [values[k] for k in order]
