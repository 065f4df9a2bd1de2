"""Environment-driven settings, one class per concern, and ``Settings``, the bundle the app is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from boundaries.webhooks.settings import WebhookSettings
from spatial_platform.pgauth import PASSWORD_FILE, read_secret


def _project_dir() -> Path:
    """The checkout this package runs from (it holds pyproject.toml), else the working directory.

    The data directory defaults to ``.spatial-platform`` there, so the CLI, the server and
    notebooks find the same embedded cluster and password wherever they are started from.
    """
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


class DatabaseSettings(BaseSettings):
    """Where the PostGIS database lives: an external DATABASE_URL or the embedded cluster."""

    model_config = SettingsConfigDict(env_prefix="SP_", populate_by_name=True)

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SP_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=lambda: _project_dir() / ".spatial-platform")
    db_port: int = 55432
    db_name: str = "spatial_platform"
    pg_bin: Path = Path("/usr/lib/postgresql/15/bin")
    pool_min: int = 2
    pool_max: int = 10
    acquire_timeout: float = Field(5.0, gt=0, description="Seconds a request waits for a connection")
    statement_timeout_ms: int = Field(30_000, ge=0, description="Server-side limit per statement (0: none)")

    @field_validator("database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip() or None

    @property
    def embedded(self) -> bool:
        """Whether the private embedded cluster is used (no DATABASE_URL given)."""
        return self.database_url is None

    @property
    def database_name(self) -> str:
        """Name of the application database (from DATABASE_URL when set)."""
        if self.database_url is None:
            return self.db_name
        return make_url(self.database_url).database or self.db_name

    @property
    def password_file(self) -> Path:
        """The embedded cluster's generated password (mode 0600, in the data directory)."""
        return self.data_dir.expanduser().resolve() / PASSWORD_FILE

    def embedded_password(self) -> str | None:
        """Read the embedded cluster's password (None before it exists, e.g. an old trust cluster)."""
        return read_secret(self.password_file)

    def dsn(self, db_name: str | None = None) -> str:
        """Return the libpq/asyncpg URL, optionally for another database on the same server."""
        return self._url("postgresql", db_name)

    def sqlalchemy_url(self, db_name: str | None = None) -> str:
        """Return the SQLAlchemy (psycopg 3) URL, optionally for another database."""
        return self._url("postgresql+psycopg", db_name)

    def _url(self, scheme: str, db_name: str | None) -> str:
        if self.database_url is None:
            password = self.embedded_password()
            login = f"postgres:{quote(password, safe='')}" if password else "postgres"
            return f"{scheme}://{login}@127.0.0.1:{self.db_port}/{db_name or self.db_name}"
        url = make_url(self.database_url).set(drivername=scheme)
        if db_name is not None:
            url = url.set(database=db_name)
        return url.render_as_string(hide_password=False)


class ServerSettings(BaseSettings):
    """Where the HTTP API listens."""

    model_config = SettingsConfigDict(env_prefix="SP_")

    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed "
        "(SP_TRUSTED_PROXIES; default none: the direct peer is the client)",
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins whose pages may send token-authenticated writes "
        "(SP_CORS_ORIGINS); public GETs are allowed from any origin",
    )
    workers: int | None = Field(
        None, ge=1, description="Worker processes of `serve` (SP_WORKERS; default: one per core)"
    )
    redis_url: str | None = Field(None, description="Redis for the shared rate limits (SP_REDIS_URL)")
    warm_town_index: bool = Field(
        True, description="Build the town index at start-up (SP_WARM_TOWN_INDEX; off with several workers)"
    )
    rate_limit_store: str = Field(
        "auto",
        description="Where rate limits are counted (SP_RATE_LIMIT_STORE): auto (Redis with SP_REDIS_URL, "
        "else PostgreSQL), postgres, redis or memory (this process only)",
    )


class AreacodesSettings(BaseSettings):
    """Location of the areacodes reference data set."""

    model_config = SettingsConfigDict(env_prefix="SP_")

    areacodes_path: Path = Path("../shared/data/areacodes")


class ApiSettings(BaseSettings):
    """Limits and behaviour of the HTTP API: batch size, request bodies and heavy requests."""

    model_config = SettingsConfigDict(env_prefix="SP_")

    resolve_max_items: int = 10_000
    import_max_rows: int = Field(
        1_000_000, ge=1, description="Rows (features) a facility or population upload may hold"
    )
    import_max_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Bytes a facility or population upload may hold"
    )
    max_body_bytes: int = Field(200 * 1024 * 1024, gt=0, description="Largest request body accepted")
    body_timeout: float = Field(60.0, gt=0, description="Seconds a client may take to send its body")
    body_idle_timeout: float = Field(10.0, gt=0, description="Longest pause between two body chunks")
    heavy_max_concurrent: int = Field(4, ge=1, description="Heavy requests at once in this process")
    heavy_max_per_client: int = Field(2, ge=1, description="Heavy requests at once per client")


class MapSettings(BaseSettings):
    """The tile cache and the web map's front-end assets."""

    model_config = SettingsConfigDict(env_prefix="SP_")

    tile_cache_bytes: int = 256 * 1024 * 1024
    node_modules: Path = Path(__file__).resolve().parents[1] / "node_modules"


class PlacenamesSettings(BaseSettings):
    """The place-name register: public rate limit, search and name limits, upload size."""

    model_config = SettingsConfigDict(env_prefix="SP_PLACENAMES_")

    rate_limit_enabled: bool = True
    rate_per_second: float = 20.0
    rate_burst: int = 40
    service_rate_per_second: float | None = Field(
        None, gt=0, description="Quota of a service client without its own (default: unlimited)"
    )
    search_max_limit: int = 100
    name_max_length: int = 50
    import_max_bytes: int = 200 * 1024 * 1024
    import_max_rows: int = Field(1_000_000, ge=1, description="Rows (features) an import file may hold")
    import_max_expanded_bytes: int = Field(
        1024 * 1024 * 1024, ge=1, description="Bytes a zipped shapefile upload may expand to"
    )
    token_ttl_days: int = Field(90, ge=1, description="Days an API token stays valid after it is issued")


class ReverseSettings(BaseSettings):
    """Reverse geocoding: batch limit, engine grid and piece size, and how many models to keep."""

    model_config = SettingsConfigDict(env_prefix="SP_REVERSE_")

    max_points: int = 100_000
    cells_per_degree: int = 64
    max_vertices: int = 256
    cache_size: int = 4


class GeocodeSettings(BaseSettings):
    """Forward geocoding: batch limit and how many towns' villages to keep in memory."""

    model_config = SettingsConfigDict(env_prefix="SP_GEOCODE_")

    max_items: int = Field(100_000, gt=0, description="Most addresses in one batch")
    village_towns: int = Field(5_000, gt=0, description="Towns whose villages are kept in memory")


class PlanningSettings(BaseSettings):
    """Care-facility planning: how finely demand is spread and how large a siting problem may be."""

    model_config = SettingsConfigDict(env_prefix="SP_PLANNING_")

    max_demand_points: int = 100_000
    max_candidates: int = 500
    siting_max_demand: int = 5_000
    pmedian_max_pairs: int = 2_000_000
    max_cells: int = 20_000


@dataclass(frozen=True)
class Settings:
    """Every per-concern setting the web app is built from; ``create_app`` reads nothing else."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    map: MapSettings = field(default_factory=MapSettings)
    placenames: PlacenamesSettings = field(default_factory=PlacenamesSettings)
    reverse: ReverseSettings = field(default_factory=ReverseSettings)
    geocode: GeocodeSettings = field(default_factory=GeocodeSettings)
    planning: PlanningSettings = field(default_factory=PlanningSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_env(cls, **given: object) -> Settings:
        """Read every concern from the environment; a keyword (``database=…``) supplies that one instead."""
        return cls(**given)
