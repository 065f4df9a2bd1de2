"""Generalised geometries per zoom band, data versions for tile caches, and a tile store.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# One band per zoom up to 12, simplified by half a display pixel of a 256-pixel tile at that
# zoom (invisible on screen); band 13 keeps full detail for zooms 13 and above.
WORLD = 40075016.686
RAW_BAND = 13
BANDS = [(z, z, round(0.5 * WORLD / (256 * 2**z), 3)) for z in range(RAW_BAND)] + [(RAW_BAND, 22, 0.0)]


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tile_bands (
            band smallint PRIMARY KEY,
            max_zoom smallint NOT NULL,
            tolerance double precision NOT NULL
        )
        """
    )
    values = ", ".join(f"({b}, {z}, {t})" for b, z, t in BANDS)
    op.execute(f"INSERT INTO tile_bands (band, max_zoom, tolerance) VALUES {values}")
    op.execute(
        """
        CREATE TABLE division_geometry_bands (
            geometry_id bigint NOT NULL REFERENCES division_geometries ON DELETE CASCADE,
            band smallint NOT NULL REFERENCES tile_bands,
            version_id bigint NOT NULL,
            level text NOT NULL,
            kind text NOT NULL,
            valid daterange NOT NULL,
            geom geometry(MultiPolygon, 3857) NOT NULL,
            PRIMARY KEY (band, geometry_id)
        )
        """
    )
    # Uncompressed: pglz on large polygons costs more at ingest than it saves at tile time.
    op.execute("ALTER TABLE division_geometry_bands ALTER COLUMN geom SET STORAGE EXTERNAL")
    op.execute(
        "CREATE INDEX division_geometry_bands_tile_idx ON division_geometry_bands"
        " USING gist (band, level, valid, geom)"
    )
    op.execute(
        """
        CREATE TABLE data_versions (
            layer text PRIMARY KEY,
            version bigint NOT NULL DEFAULT 1,
            changed_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "INSERT INTO data_versions (layer) VALUES "
        "('divisions'), ('placenames'), ('facilities'), ('population')"
    )
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_versions SET version = version + 1, changed_at = now()
            WHERE layer = TG_ARGV[0];
            PERFORM pg_notify('data_versions', TG_ARGV[0]);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION generalise_new_geometries() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            b record;
            finer smallint := 13;
        BEGIN
            -- Many versions share one polygon (a rename carries it): generalise each distinct
            -- shape once. Band 13 is the shape in Web Mercator; each coarser band simplifies the
            -- next finer one, so the work shrinks band by band.
            DROP TABLE IF EXISTS tile_rows, tile_shapes;
            CREATE TEMP TABLE tile_rows ON COMMIT DROP AS
                SELECT n.id, n.version_id, n.kind, n.valid, v.level, md5(ST_AsBinary(n.geom)) AS shape
                FROM new_rows n JOIN division_versions v ON v.id = n.version_id;
            CREATE TEMP TABLE tile_shapes ON COMMIT DROP AS
                SELECT DISTINCT ON (r.shape) r.shape, 13::smallint AS band,
                       ST_Multi(ST_Transform(n.geom, 3857)) AS geom
                FROM tile_rows r JOIN new_rows n ON n.id = r.id;
            FOR b IN SELECT band, tolerance FROM tile_bands WHERE band < 13 ORDER BY band DESC LOOP
                INSERT INTO tile_shapes
                SELECT shape, b.band, ST_Multi(ST_Simplify(geom, b.tolerance, true))
                FROM tile_shapes WHERE band = finer;
                finer := b.band;
            END LOOP;
            INSERT INTO division_geometry_bands (geometry_id, band, version_id, level, kind, valid, geom)
            SELECT r.id, t.band, r.version_id, r.level, r.kind, r.valid, t.geom
            FROM tile_rows r JOIN tile_shapes t ON t.shape = r.shape
            WHERE NOT ST_IsEmpty(t.geom)
            ON CONFLICT (band, geometry_id) DO UPDATE SET geom = excluded.geom, valid = excluded.valid,
                kind = excluded.kind, version_id = excluded.version_id, level = excluded.level;
            RETURN NULL;
        END $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"""
            CREATE TRIGGER division_geometries_generalise_{event.lower()}
            AFTER {event} ON division_geometries REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION generalise_new_geometries()
            """
        )
    for table in ("division_geometries", "division_versions"):
        op.execute(
            f"""
            CREATE TRIGGER {table}_bump_tiles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
            ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version('divisions')
            """
        )
    op.execute(
        """
        CREATE TABLE tile_store (
            layer text NOT NULL,
            z smallint NOT NULL,
            x integer NOT NULL,
            y integer NOT NULL,
            epoch text NOT NULL,
            version bigint NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (layer, z, x, y, epoch, version)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS tile_store, division_geometry_bands, tile_bands, data_versions")
    op.execute("DROP FUNCTION IF EXISTS generalise_new_geometries, bump_data_version")
