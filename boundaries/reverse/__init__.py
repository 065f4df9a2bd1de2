"""Reverse geocoding: the engine, the service, request parsing, files and Dask."""
