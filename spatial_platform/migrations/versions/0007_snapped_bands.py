"""Bands 0-8 snapped to their zoom's tile grid and made valid, so most features skip ST_AsMVTGeom.

At a band's own zoom, a polygon whose box lies inside the tile needs no clipping; snapped at
ingest to the 4096-unit grid of that zoom (ST_ReducePrecision keeps it valid) it maps onto the
tile's integer grid by one affine transform, a tenth of ST_AsMVTGeom's cost. Bands 9 and up
hold few features per tile and stay as they were.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WORLD = 40075016.686
EXTENT = 4096
SNAPPED_MAX_BAND = 8

# A polygon snapped to the grid, valid, exterior rings clockwise (Web Mercator, y up): after
# the tile transform flips y they wind as the MVT specification asks. GEOS can still meet a
# topology conflict on a valid input; snapping and repairing first then gets through.
SNAP_FUNCTION = """
CREATE FUNCTION tile_snap(g geometry, grid double precision) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    BEGIN
        RETURN ST_Multi(ST_ForcePolygonCW(ST_CollectionExtract(ST_ReducePrecision(
            CASE WHEN (ST_IsValidDetail(g)).valid THEN g ELSE ST_MakeValid(g) END, grid), 3)));
    EXCEPTION WHEN internal_error THEN
        RETURN ST_Multi(ST_ForcePolygonCW(ST_CollectionExtract(ST_ReducePrecision(
            ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(g, grid)), 3), grid), 3)));
    END;
END $$
"""
SNAP = "tile_snap({g}, {grid})"

GENERALISE = """
CREATE OR REPLACE FUNCTION generalise_new_geometries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b record;
    finer smallint := 13;
BEGIN
    -- Many versions share one polygon (a rename carries it): generalise each distinct shape
    -- once. Band 13 is the shape in Web Mercator; each coarser band simplifies the next finer
    -- one, so the work shrinks band by band; bands with a grid are then snapped to it.
    DROP TABLE IF EXISTS tile_rows, tile_shapes;
    CREATE TEMP TABLE tile_rows ON COMMIT DROP AS
        SELECT n.id, n.version_id, n.kind, n.valid, v.level, md5(ST_AsBinary(n.geom)) AS shape
        FROM new_rows n JOIN division_versions v ON v.id = n.version_id;
    CREATE TEMP TABLE tile_shapes ON COMMIT DROP AS
        SELECT DISTINCT ON (r.shape) r.shape, 13::smallint AS band,
               ST_Multi(ST_Transform(n.geom, 3857)) AS geom
        FROM tile_rows r JOIN new_rows n ON n.id = r.id;
    FOR b IN SELECT band, tolerance{grid_column} FROM tile_bands WHERE band < 13 ORDER BY band DESC LOOP
        INSERT INTO tile_shapes
        SELECT shape, b.band, {shape}
        FROM (SELECT shape, ST_Multi(ST_Simplify(geom, b.tolerance, true)) AS geom
              FROM tile_shapes WHERE band = finer) s;
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


def upgrade() -> None:
    op.execute("ALTER TABLE tile_bands ADD COLUMN grid double precision")
    op.execute(SNAP_FUNCTION)
    op.execute(
        f"UPDATE tile_bands SET grid = {WORLD} / ({EXTENT} * 2 ^ band) WHERE band <= {SNAPPED_MAX_BAND}"
    )
    shape = f"CASE WHEN b.grid IS NULL THEN s.geom ELSE {SNAP.format(g='s.geom', grid='b.grid')} END"
    op.execute(GENERALISE.format(grid_column=", grid", shape=shape))
    # Existing bands: snap in place (each band from its own simplified shape), drop what
    # collapsed below one grid cell, and let tile caches know the geometry changed.
    op.execute(
        f"""
        UPDATE division_geometry_bands d SET geom = {SNAP.format(g="d.geom", grid="t.grid")}
        FROM tile_bands t WHERE t.band = d.band AND t.grid IS NOT NULL
        """
    )
    op.execute("DELETE FROM division_geometry_bands WHERE ST_IsEmpty(geom)")
    op.execute("DELETE FROM tile_store")
    op.execute("UPDATE data_versions SET version = version + 1, changed_at = now() WHERE layer = 'divisions'")


def downgrade() -> None:
    # Snapped shapes stay snapped (they are valid generalisations); new ones are not snapped.
    op.execute("UPDATE tile_bands SET grid = NULL")
    op.execute("ALTER TABLE tile_bands DROP COLUMN grid")
    op.execute(GENERALISE.format(grid_column="", shape="s.geom"))
    op.execute("DROP FUNCTION IF EXISTS tile_snap(geometry, double precision)")
