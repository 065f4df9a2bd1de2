"""ASGI factory for servers started outside the CLI: ``uvicorn --factory spatial_platform.asgi:app``."""

from fastapi import FastAPI

from spatial_platform.app import create_app
from spatial_platform.settings import Settings


def app() -> FastAPI:
    """Build the app from the environment's settings (the same bundle ``spatial-platform serve`` builds)."""
    return create_app(Settings.from_env())
