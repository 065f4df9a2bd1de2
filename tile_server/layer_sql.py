"""The SQL that encodes one tile of each layer; parameters $1-$4 are z, x, y and the date."""

EXTENT = 4096
BUFFER = 64

_ENVELOPE = f"""
env AS (SELECT ST_TileEnvelope($1, $2, $3) AS box,
               ST_TileEnvelope($1, $2, $3, margin => {BUFFER / EXTENT}) AS reach)"""

# Division polygons of one band and level ($5, $6) valid at the date. At a snapped band's own
# zoom ($7, migration 0007) a feature whose box lies inside the tile is already valid on the
# tile's grid: one affine transform puts it in tile coordinates. Features that cross the tile's
# edge, and every feature of an unsnapped band, go through ST_AsMVTGeom.
_BAND_HITS = f"""WITH {_ENVELOPE},
k AS (SELECT box, reach, ST_XMin(box) AS x0, ST_YMax(box) AS y1,
             {EXTENT} / (ST_XMax(box) - ST_XMin(box)) AS s FROM env),
hits AS MATERIALIZED (
    SELECT b.version_id, b.level, b.kind,
           CASE WHEN $7::boolean AND k.box ~ b.geom
                THEN ST_SnapToGrid(ST_Affine(b.geom, k.s, 0, 0, -k.s, -k.x0 * k.s, k.y1 * k.s), 1)
                ELSE ST_AsMVTGeom(b.geom, k.box, {EXTENT}, {BUFFER}, true) END AS geom
    FROM k JOIN division_geometry_bands b
      ON b.band = $5::smallint AND b.level = $6::text AND b.valid @> $4::date AND b.geom && k.reach
)"""


def divisions(layer: str) -> str:
    """Return the SQL of a division-polygon layer named ``layer``."""
    return f"""{_BAND_HITS}
SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') FROM (
    SELECT v.code, v.name, h.level, h.kind, h.geom
    FROM hits h JOIN division_versions v ON v.id = h.version_id
    WHERE h.geom IS NOT NULL
) t
"""


# One label point per division of the levels labelled at this zoom ($5), at the pole of
# inaccessibility of its largest part (migration 0013). No buffer: a point belongs to the one
# tile that holds it, so a map draws each label once.
DIVISION_LABELS = f"""WITH {_ENVELOPE}
SELECT ST_AsMVT(t, 'labels', {EXTENT}, 'geom') FROM (
    SELECT v.code, v.name, l.level, l.kind, ST_AsMVTGeom(l.geom, env.box, {EXTENT}, 0, true) AS geom
    FROM env JOIN division_label_points l
      ON l.level = ANY($5::text[]) AND l.valid @> $4::date AND l.geom && env.box
    JOIN division_versions v ON v.id = l.version_id
) t WHERE geom IS NOT NULL
"""

DIVISION_EPOCHS = """
SELECT valid_from AS d FROM division_geometries
UNION SELECT valid_to FROM division_geometries WHERE valid_to IS NOT NULL
UNION SELECT valid_from FROM division_versions WHERE level IN ('province', 'prefecture', 'county')
UNION SELECT valid_to FROM division_versions
    WHERE valid_to IS NOT NULL AND level IN ('province', 'prefecture', 'county')
"""

# Counties with the population counts of the latest year up to the date's year, one column per
# age band, and the share aged 60 and over for a choropleth of ageing.
POPULATION = f"""{_BAND_HITS}
SELECT ST_AsMVT(t, 'population', {EXTENT}, 'geom') FROM (
    SELECT v.code, v.name, h.level, p.year, p.total, p.aged_60, p.aged_65, p.aged_80,
           round(p.aged_60::numeric / nullif(p.total, 0), 4)::float8 AS share_60, p.synthetic, h.geom
    FROM hits h JOIN division_versions v ON v.id = h.version_id
    JOIN LATERAL (
        SELECT year, max(count) FILTER (WHERE band = 'total') AS total,
               max(count) FILTER (WHERE band = '60+') AS aged_60,
               max(count) FILTER (WHERE band = '65+') AS aged_65,
               max(count) FILTER (WHERE band = '80+') AS aged_80, bool_or(synthetic) AS synthetic
        FROM populations WHERE division_code = v.code AND year <= extract(year FROM $4::date)
        GROUP BY year ORDER BY year DESC LIMIT 1
    ) p ON true
    WHERE h.geom IS NOT NULL
) t
"""

POPULATION_EPOCHS = f"""{DIVISION_EPOCHS}
UNION SELECT make_date(year, 1, 1) FROM populations
"""

# Label points of published place names of the ranks shown at this zoom ($5).
PLACENAMES = f"""WITH {_ENVELOPE}
SELECT ST_AsMVT(t, 'placenames', {EXTENT}, 'geom', 'id') FROM (
    SELECT p.record_id AS id, p.name, p.pinyin, p.category, p.level, p.code,
           ST_AsMVTGeom(p.geom, env.box, {EXTENT}, {BUFFER}, true) AS geom
    FROM env JOIN placename_tile_points p
      ON p.rank <= $5::smallint AND p.valid @> $4::date AND p.geom && env.reach
    ORDER BY p.rank, p.record_id
) t
"""

PLACENAME_EPOCHS = """
SELECT lower(valid) AS d FROM placename_tile_points
UNION SELECT upper(valid) FROM placename_tile_points WHERE NOT upper_inf(valid)
"""

# Facilities open on the date (no opening date: open since before records began).
FACILITIES = f"""WITH {_ENVELOPE}
SELECT ST_AsMVT(t, 'facilities', {EXTENT}, 'geom', 'id') FROM (
    SELECT f.id, f.name, f.kind, f.beds, f.capacity, f.operator, f.county_code, f.synthetic,
           ST_AsMVTGeom(ST_Transform(f.geom, 3857), env.box, {EXTENT}, {BUFFER}, true) AS geom
    FROM env JOIN facilities f
      ON f.geom && ST_Transform(env.reach, 4326) AND f.open_period @> $4::date
) t
"""

FACILITY_EPOCHS = """
SELECT lower(open_period) AS d FROM facilities WHERE NOT lower_inf(open_period)
UNION SELECT upper(open_period) FROM facilities WHERE NOT upper_inf(open_period)
"""


def ordered(epochs: str) -> str:
    """Return the epoch query with its dates in order."""
    return f"SELECT d FROM ({epochs}) s WHERE d IS NOT NULL ORDER BY d"
