"""Rate limits shared by every worker and instance; service clients with their own quota.

``rate_limits`` holds one theoretical arrival time per client key (GCRA): unlogged, since a
limit's state need not survive a crash and its writes should cost no WAL. Users may have the
role ``service`` (another system calling the API) and a quota of their own (``rate_per_second``;
NULL: the setting, by default unlimited).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _roles(values: str) -> None:
    op.execute("ALTER TABLE placename_users DROP CONSTRAINT IF EXISTS placename_users_role_check")
    op.execute(
        f"ALTER TABLE placename_users ADD CONSTRAINT placename_users_role_check CHECK (role IN ({values}))"
    )


def upgrade() -> None:
    op.execute("CREATE UNLOGGED TABLE rate_limits (key text PRIMARY KEY, tat timestamptz NOT NULL)")
    _roles("'public', 'editor', 'reviewer', 'admin', 'service'")
    op.execute("ALTER TABLE placename_users ADD COLUMN rate_per_second real CHECK (rate_per_second > 0)")


def downgrade() -> None:
    op.execute("ALTER TABLE placename_users DROP COLUMN IF EXISTS rate_per_second")
    op.execute("UPDATE placename_users SET role = 'public' WHERE role = 'service'")
    _roles("'public', 'editor', 'reviewer', 'admin'")
    op.execute("DROP TABLE IF EXISTS rate_limits")
