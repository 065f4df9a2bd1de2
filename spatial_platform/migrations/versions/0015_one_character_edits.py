"""One-character typos in Chinese names: the ``fuzzystrmatch`` extension (its ``levenshtein``).

A short Chinese name typed with one character substituted, inserted or deleted (岳鹿区, 岳麓,
长沙沙县) shares few character pairs with the real one, so trigram similarity finds too little;
the search looks among names sharing a character and of nearly the same length for those one
edit away (``levenshtein``, counted in characters).

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")


def downgrade() -> None:
    op.execute("DROP EXTENSION IF EXISTS fuzzystrmatch")
