"""Division codes over time: versions, lineage, geometry and the division API.

Other packages import what they need from here (``from boundaries import check_code``), never
from the modules inside, so the package can arrange its modules freely. Names are loaded on
first use (PEP 562), so importing one does not import the whole package.
"""

from __future__ import annotations

from importlib import import_module

# name -> module that defines it (a module itself when the name is the module's)
_EXPORTS = {
    # errors
    "BoundariesError": "boundaries.errors",
    "SourceDataError": "boundaries.errors",
    "DivisionNotFound": "boundaries.errors",
    "InvalidInput": "boundaries.errors",
    # codes and dates
    "check_code": "boundaries.codes",
    "check_level": "boundaries.codes",
    "code_prefix": "boundaries.codes",
    "CoveredPeriod": "boundaries.dates",
    # history: the lineage index (successors, resolve)
    "LineageIndex": "boundaries.history.service",
    "IndexCache": "boundaries.history.service",
    "TownIndexCache": "boundaries.history.town_index",
    # ingests
    "ingest_areacodes": "boundaries.ingest.areacodes",
    "IngestReport": "boundaries.ingest.areacodes",
    "load_lineage": "boundaries.ingest.areacodes",
    "ingest_boundaries": "boundaries.ingest.boundaries",
    "GeometryReport": "boundaries.ingest.boundaries",
    "ingest_villages": "boundaries.ingest.villages",
    "VillageReport": "boundaries.ingest.villages",
    # history queries used elsewhere
    "version_at": "boundaries.history.queries",
    "parent_chain": "boundaries.history.queries",
    "snapshot": "boundaries.history.queries",
    "data_state": "boundaries.history.queries",
    # geometry
    "repair": "boundaries.geometry.polygons",
    "geometries_at": "boundaries.geometry.queries",
    "geometry_revision": "boundaries.geometry.queries",
    "geometry_counts": "boundaries.geometry.queries",
    "unmatched": "boundaries.geometry.queries",
    "uncovered": "boundaries.geometry.queries",
    "approximate_at": "boundaries.geometry.queries",
    # upstream sources
    "ATTRIBUTION": "boundaries.sources",
    "scan_cnmaps": "boundaries.sources.cnmaps",
    "package_root": "boundaries.sources.cnmaps",
    # reverse geocoding
    "ReverseGeocoder": "boundaries.reverse.service",
    "ReverseEngine": "boundaries.reverse.engine",
    "PatchedEngine": "boundaries.reverse.engine",
    "geocode_file": "boundaries.reverse.files",
    "GeocodeReport": "boundaries.reverse.files",
    "geocode_on_cluster": "boundaries.reverse.cluster",
    "OUTPUT_COLUMNS": "boundaries.reverse.file_io",
    "BadRow": "boundaries.reverse.file_io",
    # forward geocoding: addresses to divisions at a date
    "AddressGeocoder": "boundaries.geocode.service",
    "AddressItem": "boundaries.geocode.service",
    "GeocodeRouter": "boundaries.geocode.routes",
    "geocode_addresses_file": "boundaries.geocode.files",
    # user files: the one reader stack
    "FileError": "boundaries.io.common",
    "TooLarge": "boundaries.io.common",
    "detect_format": "boundaries.io.common",
    "MAX_ROWS": "boundaries.io.tables",
    "MAX_EXPANDED_BYTES": "boundaries.io.tables",
    "read_csv_file": "boundaries.io.tables",
    "read_features": "boundaries.io.tables",
    "split_geometry": "boundaries.io.tables",
    "TextFileError": "boundaries.io.text",
    "TooManyRows": "boundaries.io.text",
    "neutralise": "boundaries.io.text",
    "read_csv_bytes": "boundaries.io.text",
    "check_csv_file": "boundaries.io.text",
    # audit: checking another system's table of codes, names and dates
    "AuditRows": "boundaries.audit.service",
    "AuditResult": "boundaries.audit.service",
    "audit_table": "boundaries.audit.service",
    "fetch_local_codes": "boundaries.audit.service",
    "read_audit_csv": "boundaries.audit.files",
    "read_audit_file": "boundaries.audit.files",
    "write_audit_csv": "boundaries.audit.files",
    # routers
    "DivisionRouter": "boundaries.history.routes",
    "AuditRouter": "boundaries.audit.routes",
    "ReverseRouter": "boundaries.reverse.routes",
    "json_object": "boundaries.routes",
    "paged_response": "boundaries.routes",
    "LimitQuery": "boundaries.routes",
    "OffsetQuery": "boundaries.routes",
    "BoundaryRouter": "boundaries.geometry.routes",
    "ChangeRouter": "boundaries.changes.routes",
    "FeedRouter": "boundaries.feed.routes",
    "SubscriptionRouter": "boundaries.webhooks.routes",
    "DeliveryWorker": "boundaries.webhooks.delivery",
    "WebhookSettings": "boundaries.webhooks.settings",
    # modules
    "crs": "boundaries.crs",
    "errors": "boundaries.errors",  # its STATUS table and classes, for the app's error handlers
    "china_division": "boundaries.sources.china_division",
    "export": "boundaries.geometry.export",  # bulk export of divisions with their boundaries
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Load an exported name from the module that defines it."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'boundaries' has no attribute {name!r}")
    module = import_module(_EXPORTS[name])
    value = module if module.__name__.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value
