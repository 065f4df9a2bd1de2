"""Every exception class of a domain package's errors module has an HTTP status in the app's table."""

import importlib
import inspect
from pathlib import Path

import pytest

from spatial_platform import errors as app_errors
from spatial_platform.app import create_app
from spatial_platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("boundaries", "placenames", "tile_server", "spatial_platform")


def errors_modules() -> list[str]:
    """The dotted names of every ``errors.py`` in the packages, wherever it lives in them."""
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("errors.py"))
    ]


def exception_classes(module) -> list[type[Exception]]:
    """The exception classes a module defines itself (not those it imports)."""
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == module.__name__
    ]


def test_the_walk_finds_every_domain_errors_module():
    found = set(errors_modules())
    assert {m.__name__ for m in app_errors.DOMAIN_ERRORS} | {"spatial_platform.errors"} == found


@pytest.mark.parametrize("name", errors_modules())
def test_every_exception_class_has_a_status(name):
    module = importlib.import_module(name)
    classes = exception_classes(module)
    assert classes, f"{name} defines no exception class"
    missing = sorted(cls.__name__ for cls in classes if cls not in app_errors.STATUS_CODES)
    assert not missing, f"{name}: {', '.join(missing)} missing from spatial_platform.errors.STATUS_CODES"
    if module is not app_errors:
        undeclared = sorted(cls.__name__ for cls in classes if cls not in module.STATUS)
        assert not undeclared, f"{name}: {', '.join(undeclared)} missing from its own STATUS table"


def test_the_statuses_named_in_the_issue():
    boundaries = importlib.import_module("boundaries.errors")
    placenames = importlib.import_module("placenames.errors")
    assert app_errors.STATUS_CODES[placenames.PayloadTooLarge] == 413
    assert app_errors.STATUS_CODES[boundaries.Forbidden] == 403
    assert app_errors.STATUS_CODES[boundaries.ProposalNotFound] == 404
    assert app_errors.STATUS_CODES[boundaries.ProposalConflict] == 409


def test_the_openapi_document_describes_the_error_body_the_service_sends(db_settings):
    spec = create_app(Settings.from_env(database=db_settings)).openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) >= {"detail", "field"}
    op = spec["paths"]["/v1/division-changes/{change_id}/approve"]["post"]
    assert {"401", "403", "404", "409", "422", "503"} <= set(op["responses"])
    assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert op["security"] == [{"token": []}] and "token" in spec["components"]["securitySchemes"]


def _validator(spec: dict, schema: dict):
    """A JSON Schema validator of ``schema`` whose refs resolve in the OpenAPI document."""
    import jsonschema

    return jsonschema.Draft202012Validator({**schema, "components": spec["components"]})


def test_every_recorded_example_matches_the_schema_it_illustrates(db_settings):
    spec = create_app(Settings.from_env(database=db_settings)).openapi()
    checked = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            answers = op["responses"].get("200", {}).get("content", {}).values()
            for part in (body, *answers):
                if "example" in part and "schema" in part:
                    errors = list(_validator(spec, part["schema"]).iter_errors(part["example"]))
                    assert not errors, (method, path, errors[0].message)
                    checked += 1
    assert checked >= 30
    # The main operations show a real request and answer.
    resolve = spec["paths"]["/v1/divisions/resolve"]["post"]
    assert resolve["requestBody"]["content"]["application/json"]["example"]["items"][0]["code"] == "430122"
    reverse = spec["paths"]["/v1/reverse"]["get"]
    assert reverse["responses"]["200"]["content"]["application/json"]["example"]["county"]["name"] == "岳麓区"
    # Typed parameters: coordinates are numbers; no reference points outside the document.
    params = {p["name"]: p["schema"] for p in reverse["parameters"]}
    assert params["lon"]["type"] == params["lat"]["type"] == "number"
    assert "#/$defs/" not in str(spec)


@pytest.mark.anyio
async def test_fastapi_own_parameter_checks_answer_in_the_service_shape(client):
    r = await client.get("/v1/divisions", params={"limit": "abc"})
    assert r.status_code == 422 and r.json()["field"] == "limit" and "'abc'" in r.json()["detail"]
