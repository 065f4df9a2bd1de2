"""Approximate geometry where the exact area is unknown, and one label point per division.

``division_geometries.kind`` gains ``approximate``: a period whose exact area the lineage
cannot determine (a partial transfer) is shown with the nearest known geometry of the same
code, its ``reason`` naming the change it predates or follows. ``division_label_points`` holds
one label point per geometry version: the pole of inaccessibility (centre of the largest
inscribed circle) of its largest part, in Web Mercator, computed once per distinct shape by a
statement trigger, so a map labels a division once rather than once per tile it touches.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Simplified before the inscribed circle is sought (metres in Web Mercator): the label point of
# a county does not need its every vertex, and the search is then fast.
LABEL_TOLERANCE = 50

LABELS = """
CREATE FUNCTION division_label_points_of_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS label_rows;
    CREATE TEMP TABLE label_rows ON COMMIT DROP AS
        SELECT n.id, n.version_id, n.kind, n.valid, v.level, md5(ST_AsBinary(n.geom)) AS shape, n.geom
        FROM new_rows n JOIN division_versions v ON v.id = n.version_id;
    INSERT INTO division_label_points (geometry_id, version_id, level, kind, valid, geom)
    SELECT r.id, r.version_id, r.level, r.kind, r.valid, s.geom
    FROM label_rows r JOIN (
        SELECT DISTINCT ON (shape) shape, division_label_point(geom) AS geom FROM label_rows
    ) s ON s.shape = r.shape
    WHERE s.geom IS NOT NULL
    ON CONFLICT (geometry_id) DO UPDATE SET geom = excluded.geom, valid = excluded.valid,
        kind = excluded.kind, version_id = excluded.version_id, level = excluded.level;
    RETURN NULL;
END $$
"""

LABEL_POINT = f"""
CREATE FUNCTION division_label_point(g geometry) RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ST_MaximumInscribedCircle(
        ST_SimplifyPreserveTopology(ST_Transform(d.geom, 3857), {LABEL_TOLERANCE}))).center
    FROM ST_Dump(g) d ORDER BY ST_Area(d.geom) DESC LIMIT 1
$$
"""


def upgrade() -> None:
    for table in ("division_geometries",):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_kind_check")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_kind_check "
            "CHECK (kind IN ('surveyed', 'derived', 'approximate'))"
        )
    op.execute(
        """
        CREATE TABLE division_label_points (
            geometry_id bigint PRIMARY KEY REFERENCES division_geometries ON DELETE CASCADE,
            version_id bigint NOT NULL,
            level text NOT NULL,
            kind text NOT NULL,
            valid daterange NOT NULL,
            geom geometry(Point, 3857) NOT NULL
        )
        """
    )
    op.execute(
        "CREATE INDEX division_label_points_tile_idx ON division_label_points USING gist (level, valid, geom)"
    )
    op.execute(LABEL_POINT)
    op.execute(LABELS)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"""
            CREATE TRIGGER division_geometries_labels_{event.lower()}
            AFTER {event} ON division_geometries REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION division_label_points_of_new()
            """
        )
    op.execute(
        """
        INSERT INTO division_label_points (geometry_id, version_id, level, kind, valid, geom)
        SELECT r.id, r.version_id, r.level, r.kind, r.valid, s.geom
        FROM (SELECT g.id, g.version_id, g.kind, g.valid, v.level, md5(ST_AsBinary(g.geom)) AS shape
              FROM division_geometries g JOIN division_versions v ON v.id = g.version_id) r
        JOIN (SELECT DISTINCT ON (md5(ST_AsBinary(geom))) md5(ST_AsBinary(geom)) AS shape,
                     division_label_point(geom) AS geom
              FROM division_geometries ORDER BY md5(ST_AsBinary(geom))) s ON s.shape = r.shape
        WHERE s.geom IS NOT NULL
        """
    )
    op.execute("DELETE FROM tile_store")
    op.execute("UPDATE data_versions SET version = version + 1, changed_at = now() WHERE layer = 'divisions'")


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS division_geometries_labels_{event} ON division_geometries")
    op.execute("DROP FUNCTION IF EXISTS division_label_points_of_new()")
    op.execute("DROP FUNCTION IF EXISTS division_label_point(geometry)")
    op.execute("DROP TABLE IF EXISTS division_label_points")
    op.execute("DELETE FROM division_geometries WHERE kind = 'approximate'")
    op.execute("ALTER TABLE division_geometries DROP CONSTRAINT IF EXISTS division_geometries_kind_check")
    op.execute(
        "ALTER TABLE division_geometries ADD CONSTRAINT division_geometries_kind_check "
        "CHECK (kind IN ('surveyed', 'derived'))"
    )
