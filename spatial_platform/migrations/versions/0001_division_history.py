"""Division versions, change events and lineage edges.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        """
        CREATE TABLE division_versions (
            id bigserial PRIMARY KEY,
            code varchar(12) NOT NULL,
            name text NOT NULL,
            level text NOT NULL
                CHECK (level IN ('province', 'prefecture', 'county', 'town', 'village')),
            parent_code varchar(12),
            valid_from date NOT NULL,
            valid_to date,
            from_precision text NOT NULL CHECK (from_precision IN ('day', 'year')),
            to_precision text CHECK (to_precision IN ('day', 'year')),
            first_year smallint NOT NULL,
            last_year smallint NOT NULL,
            source text NOT NULL,
            status text GENERATED ALWAYS AS (
                CASE WHEN valid_to IS NULL THEN 'current' ELSE 'retired' END) STORED,
            valid daterange GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED,
            CONSTRAINT division_versions_natural_key UNIQUE (code, first_year),
            CONSTRAINT division_versions_period CHECK (valid_to IS NULL OR valid_to > valid_from),
            CONSTRAINT division_versions_no_overlap
                EXCLUDE USING gist (code WITH =, valid WITH &&) DEFERRABLE INITIALLY DEFERRED
        )
        """
    )
    op.execute("CREATE INDEX division_versions_valid_idx ON division_versions USING gist (valid)")
    op.execute("CREATE INDEX division_versions_parent_idx ON division_versions (parent_code)")
    op.execute(
        """
        CREATE TABLE change_events (
            id bigserial PRIMARY KEY,
            year smallint NOT NULL,
            kind text NOT NULL CHECK (kind IN ('rename', 'code_change', 'merge', 'split',
                'transfer', 'establish', 'abolish', 'reorganize')),
            effective date NOT NULL,
            precision text NOT NULL CHECK (precision IN ('day', 'year')),
            doc_number text,
            doc_date date,
            title text,
            description text,
            dataset text NOT NULL,
            source text NOT NULL,
            old_codes text[] NOT NULL,
            new_codes text[] NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX change_events_codes_idx ON change_events USING gin (old_codes, new_codes)")
    op.execute(
        """
        CREATE TABLE lineage_edges (
            id bigserial PRIMARY KEY,
            from_version bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            to_version bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            event_id bigint NOT NULL REFERENCES change_events ON DELETE CASCADE,
            relation text NOT NULL CHECK (relation IN ('whole', 'partial')),
            doubtful boolean NOT NULL DEFAULT false,
            effective date NOT NULL,
            precision text NOT NULL CHECK (precision IN ('day', 'year')),
            CONSTRAINT lineage_edges_pair UNIQUE (from_version, to_version, effective)
        )
        """
    )
    op.execute("CREATE INDEX lineage_edges_to_idx ON lineage_edges (to_version)")
    op.execute(
        """
        CREATE TABLE dataset_loads (
            name text PRIMARY KEY,
            version integer NOT NULL,
            checksum text NOT NULL,
            source_path text NOT NULL,
            first_year smallint,
            last_year smallint,
            loaded_at timestamptz NOT NULL DEFAULT now(),
            summary jsonb NOT NULL DEFAULT '{}'
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS lineage_edges, change_events, division_versions, dataset_loads")
