"""Fuzzy pinyin: an index on the pinyin key with the sounds people confuse folded together.

``placename_fuzzy(key)`` folds zh/z, ch/c, sh/s, ng/n (an/ang, en/eng, in/ing) and l/n, so
``changsa``, ``cangsha`` and ``zhangsha`` meet ``changsha``. The search uses it when nothing starts
with the query; the fold is repeated in Python (``placenames.search.fuzzy_key``) and a test keeps
the two equal.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION placename_fuzzy(key text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT translate(replace(replace(replace(replace(key, 'zh', 'z'), 'ch', 'c'), 'sh', 's'),
                                     'ng', 'n'), 'l', 'n')
        $$
        """
    )
    op.execute(
        "CREATE INDEX placenames_fuzzy_idx ON placenames "
        "(level_rank, placename_fuzzy(pinyin_key) text_pattern_ops) "
        "INCLUDE (id, within_code, category) WHERE public_status = 'published'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS placenames_fuzzy_idx")
    op.execute("DROP FUNCTION IF EXISTS placename_fuzzy(text)")
