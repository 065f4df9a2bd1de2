"""WGS-84 ↔ GCJ-02 ↔ BD-09: reference values, sub-metre round trips, nothing moves abroad."""

import numpy as np
import pytest
import shapely

from boundaries import crs

# WGS-84 point → (GCJ-02, BD-09), as computed by the independent coordTransform package
# (the public formulas); the Shanghai GCJ-02 value is also eviltransform's published test value.
REFERENCE = {
    (116.3975, 39.9087): ((116.40374357265176, 39.91010349934476), (116.4101165864734, 39.91644274963076)),
    (112.9389, 28.1776): ((112.94434598457315, 28.174093776006586), (112.95080236489751, 28.180187896601037)),
    (121.5272106, 31.1774276): (
        (121.531541859215, 31.17530398364597),
        (121.53801568643858, 31.181328606874466),
    ),
    (87.6168, 43.8256): ((87.61964994946926, 43.82680539311119), (87.62609977081571, 43.83294979479328)),
}


def metres(lon1, lat1, lon2, lat2):
    """Distance on a sphere, good enough for sub-metre checks."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


@pytest.mark.parametrize(("wgs", "expected"), REFERENCE.items())
def test_known_points_convert_to_the_published_values(wgs, expected):
    gcj, bd = expected
    assert np.allclose(crs.wgs84_to_gcj02(*wgs), gcj, atol=1e-9, rtol=0)
    assert np.allclose(crs.wgs84_to_bd09(*wgs), bd, atol=1e-9, rtol=0)
    assert np.allclose(crs.gcj02_to_wgs84(*gcj), wgs, atol=1e-7, rtol=0)
    assert np.allclose(crs.bd09_to_wgs84(*bd), wgs, atol=1e-7, rtol=0)


def test_gcj02_moves_points_by_hundreds_of_metres_in_china():
    gcj = crs.wgs84_to_gcj02(116.3975, 39.9087)
    assert 100 < metres(116.3975, 39.9087, *gcj) < 1000


@pytest.fixture(scope="module")
def china_grid():
    lon, lat = np.meshgrid(np.linspace(73.7, 135.0, 160), np.linspace(3.9, 53.5, 120))
    return lon.ravel(), lat.ravel()


@pytest.mark.parametrize(
    ("forward", "backward"),
    [(crs.wgs84_to_gcj02, crs.gcj02_to_wgs84), (crs.wgs84_to_bd09, crs.bd09_to_wgs84)],
)
def test_round_trips_stay_under_a_centimetre_across_china(china_grid, forward, backward):
    lon, lat = china_grid
    back = backward(*forward(lon, lat))
    assert metres(lon, lat, *back).max() < 0.01
    assert np.abs(back[0] - lon).max() < 1e-7 and np.abs(back[1] - lat).max() < 1e-7


def test_converting_through_bd09_and_gcj02_agrees():
    lon, lat = np.array([100.0, 120.5]), np.array([25.0, 30.25])
    assert np.allclose(
        crs.bd09_to_gcj02(*crs.wgs84_to_bd09(lon, lat)), crs.wgs84_to_gcj02(lon, lat), atol=1e-9
    )


def test_points_outside_china_are_unchanged_by_gcj02():
    lon = np.array([2.3522, -74.006, 139.6917, 151.2093, 37.6173])
    lat = np.array([48.8566, 40.7128, 35.6895, -33.8688, 55.9])
    for convert in (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84):
        out_lon, out_lat = convert(lon, lat)
        assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)
    assert not crs.in_china(lon, lat).any()


def test_every_crs_name_converts_to_and_from_wgs84():
    for name in crs.CRS_NAMES:
        there = crs.from_wgs84(112.9389, 28.1776, name)
        assert np.allclose(crs.to_wgs84(*there, name), (112.9389, 28.1776), atol=1e-7)
    assert crs.check_crs(None) == "wgs84" and crs.check_crs("GCJ02") == "gcj02"
    with pytest.raises(ValueError, match="crs must be one of"):
        crs.check_crs("epsg:3857")


def test_geometries_convert_vertex_by_vertex():
    square = shapely.box(112.9, 28.1, 113.0, 28.2)
    gcj = crs.geometry_from_wgs84(square, "gcj02")
    assert gcj.is_valid and not gcj.equals(square)
    first = shapely.get_coordinates(gcj)[0]
    assert np.allclose(first, crs.wgs84_to_gcj02(*shapely.get_coordinates(square)[0]))
    back = crs.geometry_to_wgs84(gcj, "gcj02")
    assert shapely.equals_exact(back, square, tolerance=1e-7)
    assert crs.geometry_to_wgs84(square, "cgcs2000") is square
    many = crs.geometry_to_wgs84(np.array([gcj, gcj]), "gcj02")
    assert len(many) == 2 and shapely.equals_exact(many[1], square, tolerance=1e-7)
