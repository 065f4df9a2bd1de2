"""Schemathesis over the app's OpenAPI document, in process, on the test database: no 500s, and
every status answered is one the document lists for that operation.

Every operation of the document is exercised (none is excluded): the app is built with
``create_app`` and reached through httpx's ASGI transport on this module's own event loop,
with the test database lent as a one-connection pool. Each call runs inside a SAVEPOINT that is
rolled back, so writes never accumulate and a failed statement cannot abort later calls, and
the whole module's transaction (which also holds the synthetic Changsha planning set) is rolled
back at the end. Parameters named in ``HINTS`` are narrowed to real codes, dates and layers so
positive cases get past validation. Each generated case is sent twice:
without a token (public) and with an editor's token. Generation is derandomized (stable on CI)
and bounded: ``MAX_EXAMPLES`` per operation, positive and negative data, no shrinking phase
unless a failure is found.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from spatial_platform.app import create_app
from spatial_platform.planning.demo import load_demo
from spatial_platform.settings import PlacenamesSettings, Settings
from tile_server.service import OneConnection

MAX_EXAMPLES = 20
BASE_URL = "http://test"

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# What a client reading the parameters' descriptions would send: real codes, dates in the covered
# range, the layer names. Negative generation still sends values outside these.
CODES = ["430104", "430100", "430000", "430122", "110103", "371202", "430111001", "999999"]
DATE = r"^(198[1-9]|199[0-9]|20[01][0-9]|202[0-5])(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
HINTS = {
    "code": {"type": "string", "enum": CODES},
    "division": {"type": "string", "enum": CODES},
    "parent": {"type": "string", "enum": CODES},
    "at": {"type": "string", "pattern": DATE},
    "layer": {
        "type": "string",
        "enum": ["divisions", "counties", "labels", "placenames", "facilities", "population"],
    },
    "z": {"type": "integer", "minimum": 0, "maximum": 8},
    "x": {"type": "integer", "minimum": 0, "maximum": 255},
    "y": {"type": "integer", "minimum": 0, "maximum": 255},
    "lon": {"type": "string", "pattern": r"^1[01][0-9]\.[0-9]{1,3}$"},
    "lat": {"type": "string", "pattern": r"^[234][0-9]\.[0-9]{1,3}$"},
    "crs": {"type": "string", "enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]},
    "level": {"type": "string", "enum": ["province", "prefecture", "county", "town", "village"]},
}


def _stringish(spec: dict) -> bool:
    variants = spec.get("anyOf", [spec])
    return all(v.get("type") in ("string", "integer", "null") and "format" not in v for v in variants)


def hinted(doc: dict) -> dict:
    """Narrow the parameters and request properties named in HINTS (the document stays valid)."""
    for operations in doc["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["name"] in HINTS and _stringish(param["schema"]):
                    param["schema"] = dict(HINTS[param["name"]])
    for component in doc.get("components", {}).get("schemas", {}).values():
        for name, spec in component.get("properties", {}).items():
            if name in HINTS and _stringish(spec) and "enum" not in spec:
                component["properties"][name] = dict(HINTS[name])
    return doc


# The document of the very app under test (building it opens nothing).
schema = schemathesis.openapi.from_dict(hinted(create_app(Settings.from_env()).openapi()), config=CONFIG)


def no_rate_limit() -> PlacenamesSettings:
    return PlacenamesSettings(rate_limit_enabled=False)


@dataclass
class Api:
    """The app on the test database, called from synchronous Hypothesis tests."""

    loop: asyncio.AbstractEventLoop
    conn: asyncpg.Connection
    http: httpx.AsyncClient
    editor: dict[str, str]
    statuses: Counter = field(default_factory=Counter)

    def send(self, case, headers: dict[str, str] | None) -> httpx.Response:
        """Serialize the case as schemathesis would, send it in a savepoint, roll that back."""
        prepared = requests.Request(**case.as_transport_kwargs(base_url=BASE_URL, headers=headers)).prepare()

        async def call() -> httpx.Response:
            savepoint = self.conn.transaction()
            await savepoint.start()
            try:
                return await self.http.request(
                    prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body
                )
            finally:
                await savepoint.rollback()

        response = self.loop.run_until_complete(call())
        who = "editor" if headers else "public"
        self.statuses[case.operation.label, who, response.status_code] += 1
        return response


@pytest.fixture(scope="module")
def api(test_dsn, db_settings, boundaries_loaded, seeded, tokens):
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(test_dsn))
    outer = conn.transaction()
    loop.run_until_complete(outer.start())
    # The synthetic Changsha facilities and population, so planning has something to plan on.
    loop.run_until_complete(load_demo(conn, "430100", seed=7, year=2023))
    app = create_app(Settings.from_env(database=db_settings, placenames=no_rate_limit()))
    app.state.pool = OneConnection(conn)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    http = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
    started = time.monotonic()
    try:
        api_ = Api(loop, conn, http, {"Authorization": f"Bearer {tokens['alice']}"})
        yield api_
    finally:
        calls = sum(api_.statuses.values())
        print(f"\nschemathesis: {calls} calls in {time.monotonic() - started:.0f} s")
        for (label, who, status), n in sorted(api_.statuses.items()):
            print(f"  {status} x{n:<4} {who} {label}")
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(outer.rollback())
        loop.run_until_complete(conn.close())
        loop.close()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, api):
    for headers in (None, api.editor):
        response = api.send(case, headers)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
