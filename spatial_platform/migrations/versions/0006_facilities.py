"""Civil-affairs facilities and the populations they serve (by division and year, or on a grid).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        """
        CREATE TABLE facilities (
            id bigserial PRIMARY KEY,
            external_id text,
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('elderly_care_institution', 'community_elderly_care',
                'extreme_poverty_support', 'child_welfare', 'relief_station')),
            geom geometry(Point, 4326) NOT NULL,
            beds integer CHECK (beds >= 0),
            capacity integer CHECK (capacity >= 0),
            operator text,
            opened date,
            closed date,
            open_period daterange GENERATED ALWAYS AS (daterange(opened, closed, '[)')) STORED,
            province_code varchar(12),
            prefecture_code varchar(12),
            county_code varchar(12),
            divisions_at date NOT NULL,
            source text NOT NULL,
            synthetic boolean NOT NULL DEFAULT false,
            imported_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT facilities_period CHECK (closed IS NULL OR opened IS NULL OR closed > opened),
            CONSTRAINT facilities_source_id UNIQUE (source, external_id)
        )
        """
    )
    op.execute("CREATE INDEX facilities_geom_idx ON facilities USING gist (geom)")
    op.execute("CREATE INDEX facilities_open_idx ON facilities USING gist (open_period)")
    op.execute("CREATE INDEX facilities_county_idx ON facilities (county_code)")
    op.execute(
        """
        CREATE TABLE populations (
            id bigserial PRIMARY KEY,
            division_code varchar(12) NOT NULL,
            version_id bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            year smallint NOT NULL,
            band text NOT NULL CHECK (band IN ('total', '60+', '65+', '80+')),
            count bigint NOT NULL CHECK (count >= 0),
            source text NOT NULL,
            synthetic boolean NOT NULL DEFAULT false,
            imported_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT populations_key UNIQUE (division_code, year, band)
        )
        """
    )
    op.execute("CREATE INDEX populations_version_idx ON populations (version_id)")
    op.execute(
        """
        CREATE TABLE population_cells (
            id bigserial PRIMARY KEY,
            year smallint NOT NULL,
            band text NOT NULL CHECK (band IN ('total', '60+', '65+', '80+')),
            count double precision NOT NULL CHECK (count >= 0),
            geom geometry(Point, 4326) NOT NULL,
            cell_size_m real,
            source text NOT NULL,
            synthetic boolean NOT NULL DEFAULT false,
            imported_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX population_cells_geom_idx ON population_cells USING gist (geom)")
    op.execute("CREATE INDEX population_cells_year_idx ON population_cells (year, band)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS population_cells, populations, facilities")
