"""The one reader of user files: format detection, the common limits, encodings and every format.

- ``common.py``: the format of a file from its name; ``FileError`` (unreadable, naming the line
  where known) and ``TooLarge`` (over a limit), which callers turn into their own errors.
- ``text.py``: encodings (detected: UTF-8 with or without BOM, else GB18030; or forced) and the
  CSV checks (a line break at the end, closed quotes, the header's field count).
- ``tables.py``: whole tables (CSV, GeoJSON, GeoPackage, zipped Shapefile) within the row,
  feature and expanded-archive limits, for the imports.
- ``batches.py``: CSV, Parquet and GeoPackage streamed in batches (pyarrow), for ``geocode``.

Importing this package loads nothing heavy; each module imports its libraries itself.
"""
