"""Planning measures on small cases whose answers are worked out by hand (metric CRS, metres)."""

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from spatial_platform.planning.accessibility import by_division, two_step_fca
from spatial_platform.planning.beds import beds_per_thousand, totals
from spatial_platform.planning.coverage import coverage
from spatial_platform.planning.grid import candidate_grid, random_points_in, spread_counts
from spatial_platform.planning.projection import local_crs, to_metric
from spatial_platform.planning.siting import mclp, p_median


def frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)


DEMAND = frame(
    [(0, 0, 100, "X"), (1400, 0, 50, "X"), (0, 3000, 200, "Y"), (5000, 5000, 30, "Y")],
    ["x", "y", "weight", "division"],
)
FACILITIES = frame([(500, 0), (0, 1800)], ["x", "y"])


def test_coverage_counts_who_is_within_the_radius_per_division():
    # A (0,0) is 500 m from F1 and B (1400,0) 900 m: both covered. C (0,3000) is 1200 m from F2,
    # D (5000,5000) is 5936 m from F2: neither covered.
    result = coverage(DEMAND, FACILITIES, radius=1000)
    rows = {r["division"]: r for r in result.to_dict()["divisions"]}
    assert rows["X"]["population"] == 150 and rows["X"]["covered"] == 150 and rows["X"]["share"] == 1.0
    assert rows["X"]["mean_distance_m"] == pytest.approx((100 * 500 + 50 * 900) / 150)
    assert rows["Y"]["covered"] == 0 and rows["Y"]["uncovered"] == 230 and rows["Y"]["share"] == 0.0
    d_far = math.hypot(5000, 5000 - 1800)
    assert rows["Y"]["mean_distance_m"] == pytest.approx((200 * 1200 + 30 * d_far) / 230)
    assert result.totals["share"] == pytest.approx(150 / 380)
    assert result.totals["uncovered"] == 230
    assert result.to_dict()["inputs"] == {"radius_m": 1000.0, "demand_points": 4, "facilities": 2}


def test_a_wider_radius_covers_more_and_no_facility_covers_nobody():
    assert coverage(DEMAND, FACILITIES, radius=1500).totals["covered"] == 350
    empty = coverage(DEMAND, FACILITIES.iloc[:0], radius=1000)
    assert empty.totals["covered"] == 0 and empty.totals["mean_distance_m"] is None


def test_beds_per_thousand_older_residents_against_a_target():
    older = pd.Series({"X": 2000, "Y": 500})
    beds = pd.Series({"X": 50, "Y": 20})
    rows = beds_per_thousand(beds, older, target=30).set_index("division")
    # X: 50 / 2000 × 1000 = 25 per 1,000; 30 per 1,000 needs 60 beds, 10 short. Y: 40 per 1,000.
    assert rows.loc["X", "per_1000"] == 25 and not rows.loc["X", "meets_target"]
    assert rows.loc["X", "shortfall_beds"] == 10
    assert rows.loc["Y", "per_1000"] == 40 and rows.loc["Y", "meets_target"]
    assert rows.loc["Y", "shortfall_beds"] == 0
    summary = totals(rows.reset_index(), 30)
    assert summary["per_1000"] == 28 and not summary["area_meets_target"]
    assert summary["divisions_below_target"] == 1 and summary["shortfall_beds"] == 10


def test_a_division_without_older_residents_has_no_rate():
    rows = beds_per_thousand(pd.Series({"Z": 5}), pd.Series({"X": 100}), target=30).set_index("division")
    assert pd.isna(rows.loc["Z", "per_1000"]) and rows.loc["Z", "beds"] == 5


TWO = frame([(0, 0, 100, "X"), (1000, 0, 300, "X")], ["x", "y", "weight", "division"])


def test_two_step_floating_catchment_by_hand():
    # F (300,0) 20 beds reaches A (300 m) and B (700 m): 20 / 400 = 0.05 per person.
    # G (2000,0) 10 beds reaches only B (1000 m): 10 / 300. A = 0.05, B = 0.05 + 1/30.
    supply = frame([(300, 0, 20), (2000, 0, 10)], ["x", "y", "capacity"])
    scores = two_step_fca(TWO, supply, radius=1200)
    assert scores.tolist() == pytest.approx([0.05, 0.05 + 1 / 30])
    per_division = by_division(TWO, scores).set_index("division")
    assert per_division.loc["X", "access_per_1000"] == pytest.approx(
        (100 * 0.05 + 300 * (0.05 + 1 / 30)) / 400 * 1000
    )


def test_gaussian_decay_gives_nearer_people_more_of_a_shared_facility():
    # w(d) = exp(-d² / 2σ²), σ = 600: w(300) = e^-0.125, w(700) = e^-(49/72), w(1000) = e^-(25/18).
    w300, w700, w1000 = math.exp(-0.125), math.exp(-49 / 72), math.exp(-25 / 18)
    r_f = 20 / (100 * w300 + 300 * w700)
    r_g = 10 / (300 * w1000)
    supply = frame([(300, 0, 20), (2000, 0, 10)], ["x", "y", "capacity"])
    scores = two_step_fca(TWO, supply, radius=1200, decay="gaussian", sigma=600)
    assert scores.tolist() == pytest.approx([w300 * r_f, w700 * r_f + w1000 * r_g])
    # 2SFCA hands out every bed reached: 100 × A + 300 × B = 30 beds
    assert 100 * scores[0] + 300 * scores[1] == pytest.approx(30)


def test_points_out_of_every_catchment_have_zero_access():
    supply = frame([(50_000, 0, 10)], ["x", "y", "capacity"])
    assert two_step_fca(TWO, supply, radius=1000).tolist() == [0.0, 0.0]


LINE = np.array([[0, 0], [1000, 0], [2000, 0], [5000, 0], [6000, 0]], float)
LINE_W = np.array([10, 20, 30, 40, 5], float)
SITES = np.array([[500, 0], [1500, 0], [5500, 0], [9000, 0]], float)


@pytest.mark.parametrize("engine", ["highs", "spopt-cbc"])
def test_mclp_picks_the_sites_covering_most_people(engine):
    # within 600 m: site 0 covers 0 and 1000 (30), site 1 covers 1000 and 2000 (50),
    # site 2 covers 5000 and 6000 (45), site 3 nothing.
    one = mclp(LINE, LINE_W, SITES, radius=600, p=1, engine=engine)
    assert one.chosen == [1] and one.objective == 50 and one.after == 50 and one.total_weight == 105
    two = mclp(LINE, LINE_W, SITES, radius=600, p=2, engine=engine)
    assert sorted(two.chosen) == [1, 2] and two.objective == 95


def test_mclp_counts_only_coverage_added_to_existing_facilities():
    # an existing home at 2000 covers the 30 there; what is left: site 0 → 30, site 1 → 20, site 2 → 45
    result = mclp(LINE, LINE_W, SITES, radius=600, p=1, existing_xy=np.array([[2000, 0]]))
    assert result.chosen == [2] and result.before == 30 and result.objective == 45 and result.after == 75


PM = np.array([[0, 0], [10, 0], [100, 0]], float)
PM_W = np.array([1, 2, 4], float)


@pytest.mark.parametrize("engine", ["highs", "spopt-cbc"])
def test_p_median_minimises_weighted_distance(engine):
    # p=1: at 0 → 20 + 400 = 420, at 10 → 10 + 360 = 370, at 100 → 100 + 180 = 280
    one = p_median(PM, PM_W, PM, p=1, engine=engine)
    assert one.chosen == [2] and one.objective == pytest.approx(280)
    # p=2: {0,10} → 360, {0,100} → 20, {10,100} → 10
    two = p_median(PM, PM_W, PM, p=2, engine=engine)
    assert sorted(two.chosen) == [1, 2] and two.objective == pytest.approx(10)


@pytest.mark.parametrize("engine", ["highs", "spopt-cbc"])
def test_p_median_keeps_existing_facilities_open(engine):
    # existing at 100: before = 1×100 + 2×90 = 280; adding 0 → 20, adding 10 → 10
    result = p_median(PM, PM_W, PM[:2], p=1, existing_xy=PM[2:], engine=engine)
    assert result.chosen == [1] and result.before == pytest.approx(280) and result.after == pytest.approx(10)


def test_highs_and_spopt_agree_on_a_random_instance():
    rng = np.random.default_rng(7)
    demand, weights = rng.uniform(0, 8000, (150, 2)), rng.integers(1, 50, 150)
    sites, existing = rng.uniform(0, 8000, (25, 2)), rng.uniform(0, 8000, (3, 2))
    for solve in (
        lambda e: mclp(demand, weights, sites, 1500, 4, existing, engine=e),
        lambda e: p_median(demand, weights, sites, 3, existing, engine=e),
    ):
        assert solve("highs").objective == pytest.approx(solve("spopt-cbc").objective)


def test_p_cannot_exceed_the_candidates():
    with pytest.raises(ValueError, match="more than the 4 candidate"):
        mclp(LINE, LINE_W, SITES, radius=600, p=5)


def test_local_crs_distances_are_metres():
    lon, lat = 112.9388, 28.2282  # Changsha
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, 60, 1000)
    x, y = to_metric([lon, lon2], [lat, lat2], local_crs(lon, lat))
    assert math.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(1000, rel=1e-3)


def test_counts_are_spread_evenly_over_grid_points_inside_the_division():
    square = shapely.box(0, 0, 2000, 2000)
    tiny = shapely.box(5000, 5000, 5100, 5100)
    demand = spread_counts([square, tiny], ["A", "B"], [400, 7], spacing=1000)
    a = demand[demand["division"] == "A"]
    assert sorted(zip(a["x"], a["y"], strict=True)) == [(500, 500), (500, 1500), (1500, 500), (1500, 1500)]
    assert a["weight"].tolist() == [100] * 4
    assert demand[demand["division"] == "B"]["weight"].tolist() == [7]


def test_candidate_grid_respects_the_limit_and_random_points_fall_inside():
    area = shapely.box(0, 0, 10_000, 10_000)
    xy, spacing = candidate_grid(area, max_candidates=100)
    assert len(xy) <= 100 and spacing >= 1000
    points = random_points_in(shapely.Point(0, 0).buffer(1000), 200, np.random.default_rng(1))
    assert len(points) == 200 and (np.hypot(points[:, 0], points[:, 1]) <= 1000).all()
