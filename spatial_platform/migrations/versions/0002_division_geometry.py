"""Division geometries over time, geometries the history does not know, and coverage gaps.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        """
        CREATE TABLE division_geometries (
            id bigserial PRIMARY KEY,
            version_id bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            code varchar(12) NOT NULL,
            valid_from date NOT NULL,
            valid_to date,
            valid daterange GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED,
            geom geometry(MultiPolygon, 4326) NOT NULL,
            kind text NOT NULL CHECK (kind IN ('surveyed', 'derived')),
            source text NOT NULL,
            vintage text,
            method text,
            reason text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT division_geometries_period CHECK (valid_to IS NULL OR valid_to > valid_from),
            CONSTRAINT division_geometries_no_overlap
                EXCLUDE USING gist (code WITH =, valid WITH &&) DEFERRABLE INITIALLY DEFERRED
        )
        """
    )
    # large polygons: store uncompressed out of line, which is faster to write and to read back
    op.execute("ALTER TABLE division_geometries ALTER COLUMN geom SET STORAGE EXTERNAL")
    op.execute("CREATE INDEX division_geometries_geom_idx ON division_geometries USING gist (geom)")
    op.execute("CREATE INDEX division_geometries_valid_idx ON division_geometries USING gist (valid)")
    op.execute("CREATE INDEX division_geometries_version_idx ON division_geometries (version_id)")
    op.execute(
        """
        CREATE TABLE geometry_unmatched (
            id bigserial PRIMARY KEY,
            code varchar(12) NOT NULL,
            name text,
            level text,
            source text NOT NULL,
            vintage text,
            reason text NOT NULL,
            geom geometry(MultiPolygon, 4326) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT geometry_unmatched_code UNIQUE (source, code)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE geometry_gaps (
            id bigserial PRIMARY KEY,
            version_id bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            code varchar(12) NOT NULL,
            period daterange NOT NULL,
            reason text NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX geometry_gaps_version_idx ON geometry_gaps (version_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS geometry_gaps, geometry_unmatched, division_geometries")
