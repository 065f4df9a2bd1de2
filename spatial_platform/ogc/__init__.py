"""OGC API - Features (Part 1 Core with GeoJSON and HTML, Part 2 CRS by reference) under ``/ogc``.

Collections: ``divisions`` (every level), one per level (``provinces`` … ``villages``) and
``facilities``. Items match ``datetime`` against each record's valid period; ``/items/{id}/versions``
lists every version of a division with its period (the versioned-features proposal).
"""
