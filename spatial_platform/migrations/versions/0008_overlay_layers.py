"""Tile layers for place names, facilities and populations, each with its data version.

Place names: every public version of a record with a location becomes a label point valid from
the day it was published (in the database's time zone, the server's clock) until the day the
next public version replaced it, so tiles can be drawn as of any date. Facilities and
populations are drawn from their own tables; statement triggers bump their data versions so
cached tiles are re-rendered after a change.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The rank that decides from which zoom a name is drawn (1 provinces ... 5 villages, 6 the rest).
RANK = (
    "CASE {level} WHEN 'province' THEN 1 WHEN 'prefecture' THEN 2 WHEN 'county' THEN 3 "
    "WHEN 'town' THEN 4 WHEN 'village' THEN 5 ELSE 6 END"
)

PUBLIC_POINTS = f"""
CREATE FUNCTION placename_public_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The public version each record had until now ends on the day of its new public version.
    WITH changed AS (
        SELECT record_id, min(created_at::date) AS day
        FROM new_rows WHERE status IN ('published', 'retired') GROUP BY record_id
    )
    UPDATE placename_tile_points p SET valid = daterange(lower(p.valid), c.day)
    FROM changed c WHERE p.record_id = c.record_id AND upper_inf(p.valid);
    DELETE FROM placename_tile_points WHERE isempty(valid);
    INSERT INTO placename_tile_points (record_id, version, name, pinyin, category, level, code, rank,
                                       valid, geom)
    SELECT DISTINCT ON (n.record_id) n.record_id, n.version, n.name, n.pinyin, n.category, n.level,
           coalesce(n.code, n.division_code),
           {RANK.format(level="n.level")},
           daterange(n.created_at::date, NULL),
           ST_Transform(ST_PointOnSurface(n.geom), 3857)
    FROM new_rows n
    WHERE n.status = 'published' AND n.geom IS NOT NULL AND NOT ST_IsEmpty(n.geom)
    ORDER BY n.record_id, n.version DESC;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE placename_tile_points (
            record_id bigint NOT NULL REFERENCES placenames,
            version integer NOT NULL,
            name text NOT NULL,
            pinyin text,
            category text NOT NULL,
            level text,
            code text,
            rank smallint NOT NULL,
            valid daterange NOT NULL,
            geom geometry(Point, 3857) NOT NULL,
            PRIMARY KEY (record_id, version)
        )
        """
    )
    op.execute(
        "CREATE INDEX placename_tile_points_idx ON placename_tile_points USING gist (rank, valid, geom)"
    )
    op.execute(PUBLIC_POINTS)
    op.execute(
        """
        CREATE TRIGGER placename_versions_public_points AFTER INSERT ON placename_versions
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION placename_public_points()
        """
    )
    # Records published before this migration: replay their public versions in order.
    op.execute(
        f"""
        INSERT INTO placename_tile_points (record_id, version, name, pinyin, category, level, code, rank,
                                           valid, geom)
        SELECT record_id, version, name, pinyin, category, level, coalesce(code, division_code),
               {RANK.format(level="level")},
               daterange(day, next_day), ST_Transform(ST_PointOnSurface(geom), 3857)
        FROM (
            SELECT v.*, v.created_at::date AS day,
                   lead(v.created_at::date)
                       OVER (PARTITION BY v.record_id ORDER BY v.version) AS next_day
            FROM placename_versions v WHERE v.status IN ('published', 'retired')
        ) s
        WHERE status = 'published' AND geom IS NOT NULL AND NOT ST_IsEmpty(geom)
          AND NOT isempty(daterange(day, next_day))
        """
    )
    for table, layer in (
        ("placename_tile_points", "placenames"),
        ("facilities", "facilities"),
        ("populations", "population"),
    ):
        op.execute(
            f"""
            CREATE TRIGGER {table}_bump_tiles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
            ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version('{layer}')
            """
        )


def downgrade() -> None:
    for table in ("placename_tile_points", "facilities", "populations"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_tiles ON {table}")
    op.execute("DROP TRIGGER IF EXISTS placename_versions_public_points ON placename_versions")
    op.execute("DROP TABLE IF EXISTS placename_tile_points")
    op.execute("DROP FUNCTION IF EXISTS placename_public_points()")
