"""Seed the register from the division history: one published record per division, set-based."""

# Counties and above come from the 1981–2024 history; a division renamed or re-coded as a whole
# (lineage kinds rename / code_change) stays one record whose earlier names become former names with
# their periods. Abolished divisions become retired records. Towns and villages (whatever levels are
# loaded into ``division_versions``) are seeded the same way. Re-running changes nothing unless the
# division data changed; records staff have edited since are left alone and counted.

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import asyncpg

from placenames import queries
from placenames.auth import system_actor
from placenames.pinyin import readings, spell, spell_many

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while the seed runs."""

# Whole-area renames and re-codings link versions of one division: walk them back from each head.
_SAME = """
CREATE TEMP TABLE seed_same ON COMMIT DROP AS
SELECT e.from_version AS pred, e.to_version AS succ
FROM lineage_edges e JOIN change_events ev ON ev.id = e.event_id
WHERE ev.kind IN ('rename', 'code_change') AND e.relation = 'whole'
"""
_CHAIN = """
CREATE TEMP TABLE seed_chain ON COMMIT DROP AS
WITH RECURSIVE chain AS (
    SELECT s.succ AS head, s.pred AS member FROM seed_same s
    WHERE NOT EXISTS (SELECT 1 FROM seed_same x WHERE x.pred = s.succ)
  UNION ALL
    SELECT c.head, s.pred FROM chain c JOIN seed_same s ON s.succ = c.member
)
SELECT head, member FROM chain
"""
_SOURCE = """
CREATE TEMP TABLE seed_src ON COMMIT DROP AS
WITH roots AS (
    SELECT DISTINCT ON (c.head) c.head, m.code, m.first_year
    FROM seed_chain c JOIN division_versions m ON m.id = c.member
    ORDER BY c.head, m.valid_from, m.id
), former AS (
    SELECT c.head, m.name, min(m.valid_from) AS valid_from,
           min(CASE m.from_precision WHEN 'year' THEN extract(year FROM m.valid_from)::text
                                     ELSE m.valid_from::text END) AS start,
           max(CASE m.to_precision WHEN 'year' THEN extract(year FROM m.valid_to)::text
                                   ELSE m.valid_to::text END) AS finish
    FROM seed_chain c JOIN division_versions m ON m.id = c.member JOIN division_versions h ON h.id = c.head
    WHERE m.name <> h.name GROUP BY c.head, m.name
), formers AS (
    SELECT head, jsonb_agg(jsonb_build_object('name', name, 'from', start, 'to', finish)
                           ORDER BY valid_from) AS former_names
    FROM former GROUP BY head
)
SELECT 'division:' || coalesce(r.code, h.code) || ':' || coalesce(r.first_year, h.first_year) AS seed_key,
       h.name, h.code, h.level, h.parent_code, left(h.code, 6) AS division_code,
       CASE h.level WHEN 'village' THEN 'village_committee' ELSE 'administrative_division' END AS category,
       coalesce(f.former_names, '[]') AS former_names,
       CASE WHEN h.valid_to IS NULL THEN 'published' ELSE 'retired' END AS status,
       CASE h.level WHEN 'province' THEN 1 WHEN 'prefecture' THEN 2 WHEN 'county' THEN 3
                    WHEN 'town' THEN 4 ELSE 5 END AS rank
FROM division_versions h
LEFT JOIN roots r ON r.head = h.id
LEFT JOIN formers f ON f.head = h.id
WHERE NOT EXISTS (SELECT 1 FROM seed_same s WHERE s.pred = h.id) {levels}
"""
_PATHS = """
CREATE TEMP TABLE seed_paths ON COMMIT DROP AS
WITH RECURSIVE latest AS (
    SELECT DISTINCT ON (code) code, name, parent_code FROM division_versions
    WHERE code IN (SELECT DISTINCT parent_code FROM division_versions)
    ORDER BY code, (valid_to IS NULL) DESC, valid_from DESC
), up AS (
    SELECT l.code, l.parent_code AS cur, ARRAY[l.name] AS path, 0 AS depth FROM latest l
  UNION ALL
    SELECT u.code, p.parent_code, p.name || u.path, u.depth + 1
    FROM up u JOIN latest p ON p.code = u.cur WHERE u.depth < 6
)
SELECT DISTINCT ON (code) code, path FROM up ORDER BY code, depth DESC
"""
_PLAN = """
CREATE TEMP TABLE seed_plan ON COMMIT DROP AS
SELECT s.*, coalesce(a.path, '{}') || s.name AS path, p.id AS record_id, p.version AS head,
       CASE WHEN p.id IS NULL THEN 'new'
            WHEN v.action <> 'seed' THEN 'edited'
            WHEN (v.name, v.code, v.level, v.parent_code, v.division_code, v.category, v.former_names,
                  v.status)
                 IS DISTINCT FROM (s.name, s.code, s.level, s.parent_code, s.division_code, s.category,
                                   s.former_names, s.status) THEN 'changed'
            ELSE 'same' END AS plan
FROM seed_src s
LEFT JOIN seed_paths a ON a.code = s.parent_code
LEFT JOIN placenames p ON p.seed_key = s.seed_key
LEFT JOIN placename_versions v ON v.record_id = p.id AND v.version = p.version
"""
_READ_AGAIN = """
SELECT DISTINCT s.name, p.pinyin FROM seed_plan s JOIN placenames p ON p.id = s.record_id
WHERE s.plan = 'same' AND s.name ~ $1
"""


async def _respell(conn: asyncpg.Connection) -> None:
    """Seeded records whose name holds a word of the readings list and is spelt otherwise change."""
    pattern = "|".join(readings())
    stale = [r["name"] for r in await conn.fetch(_READ_AGAIN, pattern) if spell(r["name"])[0] != r["pinyin"]]
    if stale:
        await conn.execute(
            "UPDATE seed_plan SET plan = 'changed' WHERE plan = 'same' AND name = ANY($1::text[])", stale
        )


_VERSION_COLUMNS = "name, pinyin, syllables, category, division_code, parent_code, code, level, former_names"
_INSERT = f"""
WITH ins AS (
    INSERT INTO placenames (version, state, published_version, public_status, seed_key, {_VERSION_COLUMNS},
                            division_path)
    SELECT 1, s.status, 1, s.status, s.seed_key, s.name, y.pinyin, y.syllables, s.category, s.division_code,
           s.parent_code, s.code, s.level, s.former_names, s.path
    FROM seed_plan s JOIN seed_pinyin y ON y.name = s.name
    WHERE s.plan = 'new' ORDER BY s.rank, s.code
    RETURNING id, seed_key
)
INSERT INTO placename_versions (record_id, version, status, action, author_id, reason, {_VERSION_COLUMNS})
SELECT ins.id, 1, s.status, 'seed', $1, $2, s.name, y.pinyin, y.syllables, s.category, s.division_code,
       s.parent_code, s.code, s.level, s.former_names
FROM ins JOIN seed_plan s USING (seed_key) JOIN seed_pinyin y ON y.name = s.name
"""
_CHANGE = f"""
WITH upd AS (
    UPDATE placenames p SET version = p.version + 1, state = s.status, published_version = p.version + 1,
        public_status = s.status, updated_at = now(), name = s.name, pinyin = y.pinyin,
        syllables = y.syllables, category = s.category, division_code = s.division_code,
        parent_code = s.parent_code, code = s.code, level = s.level, former_names = s.former_names,
        division_path = s.path
    FROM seed_plan s JOIN seed_pinyin y ON y.name = s.name
    WHERE s.plan = 'changed' AND p.id = s.record_id
    RETURNING p.id, p.version, s.seed_key
)
INSERT INTO placename_versions (record_id, version, status, action, author_id, reason, {_VERSION_COLUMNS},
                                geom, meaning, origin, aliases)
SELECT upd.id, upd.version, s.status, 'seed', $1, $2, s.name, y.pinyin, y.syllables, s.category,
       s.division_code, s.parent_code, s.code, s.level, s.former_names, v.geom, v.meaning, v.origin, v.aliases
FROM upd JOIN seed_plan s USING (seed_key) JOIN seed_pinyin y ON y.name = s.name
JOIN placename_versions v ON v.record_id = upd.id AND v.version = upd.version - 1
"""
_RETIRE = f"""
WITH gone AS (
    SELECT p.id FROM placenames p JOIN placename_versions v ON v.record_id = p.id AND v.version = p.version
    WHERE p.seed_key IS NOT NULL AND p.public_status = 'published' AND v.action = 'seed'
      AND v.level IN (SELECT DISTINCT level FROM seed_src)
      AND NOT EXISTS (SELECT 1 FROM seed_src s WHERE s.seed_key = p.seed_key)
), upd AS (
    UPDATE placenames p SET version = p.version + 1, state = 'retired', published_version = p.version + 1,
        public_status = 'retired', updated_at = now()
    FROM gone WHERE p.id = gone.id RETURNING p.id, p.version
)
INSERT INTO placename_versions (record_id, version, status, action, author_id, reason, {_VERSION_COLUMNS},
                                geom, meaning, origin, aliases)
SELECT upd.id, upd.version, 'retired', 'seed', $1, $2, v.name, v.pinyin, v.syllables, v.category,
       v.division_code, v.parent_code, v.code, v.level, v.former_names, v.geom, v.meaning, v.origin, v.aliases
FROM upd JOIN placename_versions v ON v.record_id = upd.id AND v.version = upd.version - 1
"""


@dataclass
class SeedReport:
    """What one seed run found and wrote."""

    divisions: int
    created: int
    changed: int
    retired: int
    unchanged: int
    kept_edits: int
    published: int


def _noop(stage: str, done: int, total: int) -> None:
    """Ignore progress."""


def _spell_all(names: list[str], progress: Progress) -> list[tuple[str, str, str]]:
    """Spell names in pinyin, over every core when there are many."""
    chunk = 5_000
    parts = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    if len(parts) <= 2:
        return [row for part in parts for row in spell_many(part)]
    out: list[tuple[str, str, str]] = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for i, rows in enumerate(pool.map(spell_many, parts), 1):
            out.extend(rows)
            if i % 10 == 0 or i == len(parts):
                progress("pinyin", len(out), len(names))
    return out


async def _bulk_mode(conn: asyncpg.Connection) -> list[str]:
    """Drop search indexes and foreign keys before a bulk load; return the DDL that restores them."""
    # Building an index once and checking a foreign key with one join is far faster than keeping
    # them up to date row by row over 660,000 rows; all of it happens inside the seed's transaction.
    indexes = await conn.fetch(
        """
        SELECT i.indexname AS name, i.indexdef AS ddl FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'placenames'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """
    )
    keys = await conn.fetch(
        """
        SELECT conname AS name, pg_get_constraintdef(oid) AS ddl FROM pg_constraint
        WHERE conrelid = 'placename_versions'::regclass AND contype = 'f'
        """
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["name"]}"')
    for row in keys:
        await conn.execute(f'ALTER TABLE placename_versions DROP CONSTRAINT "{row["name"]}"')
    return [r["ddl"] for r in indexes] + [
        f'ALTER TABLE placename_versions ADD CONSTRAINT "{r["name"]}" {r["ddl"]}' for r in keys
    ]


LEVELS = ("province", "prefecture", "county", "town", "village")


async def seed(
    conn: asyncpg.Connection, progress: Progress = _noop, levels: tuple[str, ...] | None = None
) -> SeedReport:
    """Create or update one record per division in ``division_versions``, in one transaction.

    With ``levels`` only divisions of those levels are looked at (a published change of
    counties and above re-seeds those in well under a second, leaving 660,000 villages alone).
    """
    if levels is not None and not set(levels) <= set(LEVELS):
        raise ValueError(f"levels must be among {LEVELS}, got {levels}")
    scope = "" if levels is None else "AND h.level IN (" + ", ".join(f"'{x}'" for x in levels) + ")"
    system = await system_actor(conn)
    data_version = await conn.fetchval("SELECT max(version) FROM dataset_loads") or 0
    reason = f"seeded from the official division data (data version {data_version})"
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('placenames seed'))")
        await conn.execute("SET LOCAL jit = off")
        progress("read divisions", 0, 6)
        source = _SOURCE.format(levels=scope)
        for statement, table in ((_SAME, "seed_same"), (_CHAIN, "seed_chain"), (source, "seed_src")):
            await conn.execute(statement)
            await conn.execute(f"ANALYZE {table}")
        await conn.execute("ALTER TABLE seed_src ADD PRIMARY KEY (seed_key)")
        await conn.execute(_PATHS)
        await conn.execute("ANALYZE seed_paths")
        await conn.execute(_PLAN)
        await conn.execute("ANALYZE seed_plan")
        await _respell(conn)
        progress("plan", 1, 6)
        counts = dict(await conn.fetch("SELECT plan, count(*) FROM seed_plan GROUP BY plan"))
        names = [
            r["name"]
            for r in await conn.fetch("SELECT DISTINCT name FROM seed_plan WHERE plan IN ('new', 'changed')")
        ]
        progress(f"pinyin for {len(names)} names", 2, 6)
        loop = asyncio.get_running_loop()
        spelt = await loop.run_in_executor(None, _spell_all, names, progress)
        await conn.execute(
            "CREATE TEMP TABLE seed_pinyin (name text PRIMARY KEY, pinyin text, syllables text)"
            " ON COMMIT DROP"
        )
        await conn.copy_records_to_table("seed_pinyin", records=spelt)
        await conn.execute("ANALYZE seed_pinyin")
        progress(f"insert {counts.get('new', 0)} records", 3, 6)
        existing = await conn.fetchval("SELECT count(*) FROM placenames")
        rebuild = await _bulk_mode(conn) if counts.get("new", 0) > max(50_000, existing) else []
        await conn.execute(_INSERT, system.id, reason)
        for i, definition in enumerate(rebuild, 1):
            progress(f"rebuild {i}/{len(rebuild)}: {definition.split(' ON ')[0][:60]}", 3, 6)
            await conn.execute(definition)
        await conn.execute("ANALYZE placenames")
        await conn.execute("ANALYZE placename_versions")
        progress(f"update {counts.get('changed', 0)} records", 4, 6)
        await conn.execute(_CHANGE, system.id, reason)
        retired = int((await conn.execute(_RETIRE, system.id, "no longer in the division data")).split()[-1])
        report = SeedReport(
            divisions=sum(counts.values()),
            created=counts.get("new", 0),
            changed=counts.get("changed", 0),
            retired=retired,
            unchanged=counts.get("same", 0),
            kept_edits=counts.get("edited", 0),
            published=await conn.fetchval(
                "SELECT count(*) FROM placenames WHERE public_status = 'published'"
            ),
        )
        await queries.audit(conn, system.id, "seed", detail=report.__dict__)
        await conn.execute("DROP TABLE seed_same, seed_chain, seed_src, seed_paths, seed_plan, seed_pinyin")
    progress("analyze", 5, 6)
    if not conn.is_in_transaction():
        await conn.execute("VACUUM (ANALYZE) placenames")
    progress("done", 6, 6)
    return report
