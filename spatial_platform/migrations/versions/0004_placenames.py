"""Place-name register: records, append-only versions, users and tokens, audit log, search columns.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CATEGORIES = (
    "administrative_division",
    "village_committee",
    "residential_area",
    "road_street",
    "bridge",
    "transport_facility",
    "water_facility",
    "river_lake",
    "mountain",
    "memorial_scenic",
    "public_building",
)
STATES = ("draft", "submitted", "published", "retired")
ACTIONS = ("create", "update", "submit", "approve", "reject", "retire", "seed", "import")
ROLES = ("public", "editor", "reviewer", "admin")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# The content every version snapshots in full (the projection in placenames holds the published one).
CONTENT = f"""
    name text{{nn}},
    pinyin text{{nn}},
    syllables text{{nn}},
    category text{{nn}} CHECK (category IN ({_in(CATEGORIES)})),
    division_code varchar(6){{nn}},
    parent_code varchar(12),
    code varchar(12),
    level text CHECK (level IN ('province', 'prefecture', 'county', 'town', 'village')),
    geom geometry(Geometry, 4326),
    meaning text,
    origin text,
    former_names jsonb NOT NULL DEFAULT '[]',
    aliases jsonb NOT NULL DEFAULT '[]'
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Every character and every pair of neighbours: the keys of Chinese substring search.
    op.execute(
        """
        CREATE FUNCTION placename_grams(t text) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        DECLARE
            out text[] := string_to_array(t, NULL);
        BEGIN
            FOR i IN 1..length(t) - 1 LOOP
                out := out || substr(t, i, 2);
            END LOOP;
            RETURN out;
        END $$
        """
    )
    # The first letter of each syllable ("yue lu qu" → "ylq"); a loop is three times a regex's speed.
    op.execute(
        """
        CREATE FUNCTION placename_initials(syllables text) RETURNS text
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        DECLARE
            out text := '';
            word text;
        BEGIN
            FOREACH word IN ARRAY string_to_array(syllables, ' ') LOOP
                out := out || left(word, 1);
            END LOOP;
            RETURN out;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION placename_other_names(former jsonb, aliases jsonb) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(string_agg(e->>'name', ' '), '')
            FROM jsonb_array_elements(coalesce(former, '[]') || coalesce(aliases, '[]')) AS e
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION placename_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        f"""
        CREATE TABLE placename_users (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.@-]{{1,64}}$'),
            role text NOT NULL CHECK (role IN ({_in(ROLES)})),
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("INSERT INTO placename_users (name, role) VALUES ('system', 'admin')")
    op.execute(
        """
        CREATE TABLE placename_tokens (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES placename_users,
            token_hash bytea NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE placenames (
            id bigserial PRIMARY KEY,
            version integer NOT NULL CHECK (version > 0),
            state text NOT NULL CHECK (state IN ({_in(STATES)})),
            published_version integer,
            public_status text CHECK (public_status IN ('published', 'retired')),
            seed_key text UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            {CONTENT.format(nn="")},
            division_path text[] NOT NULL DEFAULT '{{}}',
            pinyin_key text GENERATED ALWAYS AS (
                lower(regexp_replace(translate(coalesce(pinyin, ''), 'üÜ', 'vV'), '[^A-Za-z0-9]', '', 'g'))
            ) STORED,
            initials text GENERATED ALWAYS AS (placename_initials(coalesce(syllables, ''))) STORED,
            other_names text GENERATED ALWAYS AS (
                CASE WHEN former_names = '[]' AND aliases = '[]' THEN ''
                     ELSE placename_other_names(former_names, aliases) END
            ) STORED,
            grams text[] GENERATED ALWAYS AS (placename_grams(
                CASE WHEN former_names = '[]' AND aliases = '[]' THEN coalesce(name, '')
                     ELSE coalesce(name, '') || ' ' || placename_other_names(former_names, aliases) END
            )) STORED,
            level_rank smallint GENERATED ALWAYS AS (
                CASE level WHEN 'province' THEN 1 WHEN 'prefecture' THEN 2 WHEN 'county' THEN 3
                           WHEN 'town' THEN 4 WHEN 'village' THEN 5 ELSE 6 END
            ) STORED,
            within_code text GENERATED ALWAYS AS (coalesce(code, parent_code, division_code)) STORED,
            CONSTRAINT placenames_published CHECK (
                (public_status IS NULL) = (published_version IS NULL)
                AND (public_status IS NULL OR name IS NOT NULL)
            )
        )
        """
    )
    published = "WHERE public_status = 'published'"
    towns_up = f"{published} AND level_rank <> 5"
    villages = f"{published} AND level_rank = 5"
    covering = f"INCLUDE (id, within_code, category) {published}"
    for ddl in (
        f"placenames_grams_idx ON placenames USING gin (grams) {towns_up}",
        f"placenames_grams_village_idx ON placenames USING gin (grams) {villages}",
        f"placenames_pinyin_trgm_idx ON placenames USING gin (pinyin_key gin_trgm_ops) {towns_up}",
        f"placenames_pinyin_trgm_village_idx ON placenames USING gin (pinyin_key gin_trgm_ops) {villages}",
        f"placenames_name_idx ON placenames (level_rank, name text_pattern_ops) {covering}",
        f"placenames_pinyin_idx ON placenames (level_rank, pinyin_key text_pattern_ops) {covering}",
        f"placenames_initials_idx ON placenames (level_rank, initials text_pattern_ops) {covering}",
        "placenames_within_idx ON placenames (within_code text_pattern_ops)",
        "placenames_siblings_idx ON placenames (coalesce(parent_code, division_code), category, name)",
        "placenames_state_idx ON placenames (state) WHERE state IN ('draft', 'submitted')",
    ):
        op.execute(f"CREATE INDEX {ddl}")
    op.execute(
        "CREATE TRIGGER placenames_never_deleted BEFORE DELETE OR TRUNCATE ON placenames "
        "FOR EACH STATEMENT EXECUTE FUNCTION placename_append_only()"
    )
    op.execute(
        f"""
        CREATE TABLE placename_versions (
            record_id bigint NOT NULL REFERENCES placenames,
            version integer NOT NULL CHECK (version > 0),
            status text NOT NULL CHECK (status IN ({_in(STATES)})),
            action text NOT NULL CHECK (action IN ({_in(ACTIONS)})),
            author_id bigint NOT NULL REFERENCES placename_users,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            reason text,
            {CONTENT.format(nn=" NOT NULL")},
            PRIMARY KEY (record_id, version)
        )
        """
    )
    op.execute(
        "CREATE INDEX placename_versions_public_idx ON placename_versions (record_id, created_at) "
        "WHERE status IN ('published', 'retired')"
    )
    op.execute(
        """
        CREATE TABLE placename_audit (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            actor_id bigint NOT NULL REFERENCES placename_users,
            action text NOT NULL,
            record_id bigint,
            version integer,
            detail jsonb NOT NULL DEFAULT '{}'
        )
        """
    )
    op.execute("CREATE INDEX placename_audit_record_idx ON placename_audit (record_id, id)")
    for table in ("placename_versions", "placename_audit"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION placename_append_only()"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS placename_audit, placename_versions, placenames, placename_tokens")
    op.execute("DROP TABLE IF EXISTS placename_users")
    op.execute("DROP FUNCTION IF EXISTS placename_append_only(), placename_other_names(jsonb, jsonb)")
    op.execute("DROP FUNCTION IF EXISTS placename_grams(text), placename_initials(text)")
