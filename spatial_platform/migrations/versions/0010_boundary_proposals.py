"""Boundary adjustments go through review: proposals by editors, published by another reviewer.

``boundary_proposals`` keeps every proposed adjustment (its geometry, effective date, CRS and
reason, who proposed it and with which token) and every withdrawal (a correction naming the
published adjustment it undoes). Only publishing one changes ``division_geometries``; the row it
opened points back at its proposal. Adjustments recorded before review was required are kept as
published proposals of the ``system`` user, so they can be withdrawn like any other.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE boundary_proposals (
            id bigserial PRIMARY KEY,
            code varchar(12) NOT NULL,
            action text NOT NULL CHECK (action IN ('adjust', 'withdraw')),
            effective date,
            geom geometry(MultiPolygon, 4326),
            crs text,
            method text,
            reason text NOT NULL CHECK (btrim(reason) <> ''),
            withdraws bigint REFERENCES boundary_proposals,
            state text NOT NULL DEFAULT 'submitted'
                CHECK (state IN ('submitted', 'published', 'rejected')),
            author_id bigint NOT NULL REFERENCES placename_users,
            token_id bigint,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            reviewer_id bigint REFERENCES placename_users,
            reviewed_at timestamptz,
            comment text,
            geometry_id bigint,
            withdrawn_by bigint REFERENCES boundary_proposals,
            CONSTRAINT boundary_proposals_shape CHECK (
                (action = 'adjust' AND geom IS NOT NULL AND effective IS NOT NULL AND withdraws IS NULL)
                OR (action = 'withdraw' AND geom IS NULL AND withdraws IS NOT NULL)
            ),
            CONSTRAINT boundary_proposals_reviewed CHECK (
                (state = 'submitted') = (reviewer_id IS NULL)
            )
        )
        """
    )
    op.execute("ALTER TABLE boundary_proposals ALTER COLUMN geom SET STORAGE EXTERNAL")
    op.execute("CREATE INDEX boundary_proposals_code_idx ON boundary_proposals (code, id)")
    op.execute(
        "CREATE INDEX boundary_proposals_open_idx ON boundary_proposals (id) WHERE state = 'submitted'"
    )
    op.execute("ALTER TABLE division_geometries ADD COLUMN proposal_id bigint")
    # Adjustments uploaded before review existed: published proposals of the system user.
    op.execute(
        """
        WITH legacy AS (
            SELECT g.id, g.code, g.valid_from, g.geom, g.method, coalesce(g.reason, 'unknown') AS reason
            FROM division_geometries g WHERE g.source = 'upload'
        ), system AS (SELECT id FROM placename_users WHERE name = 'system'), made AS (
            INSERT INTO boundary_proposals (code, action, effective, geom, crs, method, reason, state,
                                            author_id, reviewer_id, reviewed_at, comment, geometry_id)
            SELECT l.code, 'adjust', l.valid_from, l.geom, 'wgs84', l.method, l.reason, 'published',
                   s.id, s.id, now(), 'recorded before boundary uploads needed review; author unknown',
                   l.id
            FROM legacy l, system s
            RETURNING id, geometry_id
        )
        UPDATE division_geometries g SET proposal_id = m.id FROM made m WHERE g.id = m.geometry_id
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE division_geometries DROP COLUMN IF EXISTS proposal_id")
    op.execute("DROP TABLE IF EXISTS boundary_proposals")
