"""Make division_versions ready for ~660,000 towns and villages of the statistical codes.

The overlap constraint now applies to province, prefecture and county versions, the history the
lineage relies on: over 660,000 more rows its btree_gist index made the village load take
minutes. A town or village has one version per code and vintage (the natural key, and the
loader writes one vintage). A partial index on the county-and-above levels keeps their reads
(the snapshot, the lineage index) as fast as before, at no cost to the village load.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _overlap(where: str) -> str:
    return f"""
        ALTER TABLE division_versions
            DROP CONSTRAINT division_versions_no_overlap,
            ADD CONSTRAINT division_versions_no_overlap
                EXCLUDE USING gist (code WITH =, valid WITH &&) {where} DEFERRABLE INITIALLY DEFERRED
        """


def upgrade() -> None:
    op.execute(_overlap("WHERE (level IN ('province', 'prefecture', 'county'))"))
    op.execute(
        """
        CREATE INDEX division_versions_level_idx ON division_versions (level)
        WHERE level IN ('province', 'prefecture', 'county')
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS division_versions_level_idx")
    op.execute(_overlap(""))
