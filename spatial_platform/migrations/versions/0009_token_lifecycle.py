"""Token lifecycle: expiry and last use of API tokens; the token each audit entry was written with.

Tokens issued before this revision get the default lifetime (90 days) counted from the upgrade.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE placename_tokens ADD COLUMN expires_at timestamptz")
    op.execute("UPDATE placename_tokens SET expires_at = now() + interval '90 days'")
    op.execute("ALTER TABLE placename_tokens ALTER COLUMN expires_at SET NOT NULL")
    op.execute("ALTER TABLE placename_tokens ADD COLUMN last_used_at timestamptz")
    op.execute("CREATE INDEX placename_tokens_user_idx ON placename_tokens (user_id)")
    # The audit log is append-only (UPDATE is refused by a trigger); a new nullable column needs none.
    op.execute("ALTER TABLE placename_audit ADD COLUMN token_id bigint REFERENCES placename_tokens")


def downgrade() -> None:
    op.execute("ALTER TABLE placename_audit DROP COLUMN IF EXISTS token_id")
    op.execute("DROP INDEX IF EXISTS placename_tokens_user_idx")
    op.execute("ALTER TABLE placename_tokens DROP COLUMN IF EXISTS last_used_at")
    op.execute("ALTER TABLE placename_tokens DROP COLUMN IF EXISTS expires_at")
