"""GDAL reads our vector tiles through their TileJSON and sees the numeric fields as numbers."""

import subprocess

from tests.spatial_platform.test_live_server import live_server  # noqa: F401 (the fixture)


def test_gdal_sees_the_population_layers_fields_with_their_types(live_server):  # noqa: F811
    done = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"MVT:{live_server}/tiles/population/5", "-oo", "TILE_EXTENSION=mvt",
         "population"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pairs = (line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    fields = {name: kind for name, kind in pairs if "(" in kind}
    assert fields["total"].startswith("Real") and fields["share_60"].startswith("Real"), done.stdout
    assert fields["synthetic"].startswith("Integer(Boolean)"), done.stdout
    assert fields["name"].startswith("String"), done.stdout
