"""Recorded division changes, the change feed, and webhook subscriptions with their deliveries.

``division_changes`` keeps every change staff draft (the whole change as one JSON document, its
problems, who drafted and who reviewed it); publishing one writes its versions, event, edges and
geometries and appends one entry to ``change_feed``. ``applied`` lists what the publication wrote
(so a correction, or a re-ingest of areacodes, can take it back and replay it).

``change_feed`` is the ordered list of published changes: the 1981-2024 history from areacodes
first (``source = 'areacodes'``), then recorded changes. Each entry carries the versions it ends
and starts, so replaying the feed from 0 rebuilds every snapshot.

``webhook_subscriptions`` are the admin-registered receivers; ``webhook_deliveries`` queues one
delivery per subscriber and feed entry (so a restart loses none) and ``webhook_attempts`` is the
delivery log.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KINDS = (
    "rename", "code_change", "merge", "split", "transfer", "establish", "abolish", "reparent",
    "reorganize", "correction",
)  # fmt: skip


def upgrade() -> None:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    op.execute("ALTER TABLE change_events DROP CONSTRAINT IF EXISTS change_events_kind_check")
    op.execute(f"ALTER TABLE change_events ADD CONSTRAINT change_events_kind_check CHECK (kind IN ({kinds}))")
    op.execute("ALTER TABLE change_events ADD COLUMN authority text")
    op.execute("ALTER TABLE change_events ADD COLUMN change_id bigint")
    op.execute(
        f"""
        CREATE TABLE division_changes (
            id bigserial PRIMARY KEY,
            state text NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'submitted', 'published', 'rejected')),
            kind text NOT NULL CHECK (kind IN ({kinds})),
            effective date NOT NULL,
            body jsonb NOT NULL,
            codes text[] NOT NULL DEFAULT '{{}}',
            corrects bigint REFERENCES division_changes,
            corrected_by bigint REFERENCES division_changes,
            problems jsonb NOT NULL DEFAULT '[]',
            author_id bigint NOT NULL REFERENCES placename_users,
            token_id bigint,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            submitted_at timestamptz,
            reviewer_id bigint REFERENCES placename_users,
            reviewed_at timestamptz,
            comment text,
            applied jsonb,
            feed_seq bigint
        )
        """
    )
    op.execute("CREATE INDEX division_changes_codes_idx ON division_changes USING gin (codes)")
    op.execute("CREATE INDEX division_changes_state_idx ON division_changes (state, id)")
    op.execute(
        """
        CREATE TABLE change_feed (
            seq bigint PRIMARY KEY,
            source text NOT NULL CHECK (source IN ('areacodes', 'recorded')),
            change_id bigint REFERENCES division_changes,
            kind text NOT NULL,
            effective date,
            published_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            entry jsonb NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX change_feed_source_idx ON change_feed (source, seq)")
    op.execute(
        """
        CREATE TABLE webhook_subscriptions (
            id bigserial PRIMARY KEY,
            url text NOT NULL,
            secret text NOT NULL,
            description text,
            active boolean NOT NULL DEFAULT true,
            after_seq bigint NOT NULL DEFAULT 0,
            created_by bigint NOT NULL REFERENCES placename_users,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id bigserial PRIMARY KEY,
            subscription_id bigint NOT NULL REFERENCES webhook_subscriptions ON DELETE CASCADE,
            seq bigint NOT NULL REFERENCES change_feed,
            state text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            last_status integer,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            delivered_at timestamptz,
            CONSTRAINT webhook_deliveries_once UNIQUE (subscription_id, seq)
        )
        """
    )
    op.execute(
        "CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) "
        "WHERE state = 'pending'"
    )
    op.execute(
        """
        CREATE TABLE webhook_attempts (
            id bigserial PRIMARY KEY,
            delivery_id bigint NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
            attempt integer NOT NULL,
            attempted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            status integer,
            error text,
            duration_ms integer
        )
        """
    )
    op.execute("CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS webhook_attempts, webhook_deliveries, webhook_subscriptions")
    op.execute("DROP TABLE IF EXISTS change_feed, division_changes")
    op.execute("ALTER TABLE change_events DROP COLUMN IF EXISTS change_id")
    op.execute("ALTER TABLE change_events DROP COLUMN IF EXISTS authority")
    op.execute("ALTER TABLE change_events DROP CONSTRAINT IF EXISTS change_events_kind_check")
    op.execute(
        "ALTER TABLE change_events ADD CONSTRAINT change_events_kind_check CHECK (kind IN ('rename', "
        "'code_change', 'merge', 'split', 'transfer', 'establish', 'abolish', 'reorganize'))"
    )
