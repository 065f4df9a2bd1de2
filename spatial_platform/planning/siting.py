"""Site suggestion: maximal covering (MCLP) and p-median, exact MIPs solved with HiGHS.

The default engine builds each model as sparse matrices and hands it to HiGHS (``highspy``)
with a zero optimality gap. ``engine="spopt"`` builds the same model with PySAL ``spopt`` and
solves it through PuLP with HiGHS or CBC: the same optimum, but model building in pure Python is
much slower on large inputs, so it serves as the cross-check (tests and benchmark).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from spatial_platform.planning.coverage import nearest_distance

ENGINES = ("highs", "spopt-highs", "spopt-cbc")


@dataclass
class Siting:
    """The chosen candidate sites and what they change."""

    method: str
    engine: str
    chosen: list[int]
    objective: float
    before: float
    after: float
    total_weight: float
    status: str

    def to_dict(self) -> dict:
        """Return a JSON-ready summary."""
        return {
            "method": self.method,
            "engine": self.engine,
            "status": self.status,
            "chosen": self.chosen,
            "objective": self.objective,
            "before": self.before,
            "after": self.after,
            "total_weight": self.total_weight,
        }


def coverage_matrix(demand_xy: np.ndarray, candidate_xy: np.ndarray, radius: float) -> sparse.csr_matrix:
    """Return the 0/1 matrix (demand × candidate) of pairs no farther apart than ``radius``."""
    n, m = len(demand_xy), len(candidate_xy)
    if n == 0 or m == 0:
        return sparse.csr_matrix((n, m))
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(candidate_xy), max_distance=radius, output_type="ndarray"
    )
    data = np.ones(len(pairs))
    return sparse.csr_matrix((data, (pairs["i"], pairs["j"])), shape=(n, m))


def _check(p: int, candidates: int) -> None:
    """Reject a p that cannot be placed."""
    if p < 1:
        raise ValueError("p must be at least 1")
    if p > candidates:
        raise ValueError(f"p={p} is more than the {candidates} candidate sites")


def _solve(matrix, cost, upper, integer, row_lower, row_upper, maximize: bool) -> tuple[np.ndarray, str]:
    """Solve a MIP with HiGHS to proven optimality; return the column values and status."""
    csc = sparse.csc_matrix(matrix)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(csc.shape[1])
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = csc.shape[1], csc.shape[0]
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(flag)] for flag in integer]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        raise RuntimeError(f"HiGHS did not prove optimality: {status}")
    return np.asarray(h.getSolution().col_value), status


def mclp(
    demand_xy: np.ndarray,
    weights: np.ndarray,
    candidate_xy: np.ndarray,
    radius: float,
    p: int,
    existing_xy: np.ndarray | None = None,
    engine: str = "highs",
) -> Siting:
    """Choose ``p`` candidates that cover the most demand not already within ``radius`` of ``existing_xy``."""
    demand_xy, candidate_xy = np.asarray(demand_xy, float).reshape(-1, 2), np.asarray(candidate_xy, float)
    candidate_xy = candidate_xy.reshape(-1, 2)
    weights = np.asarray(weights, dtype=float)
    _check(p, len(candidate_xy))
    existing = np.empty((0, 2)) if existing_xy is None else np.asarray(existing_xy, float).reshape(-1, 2)
    already = nearest_distance(demand_xy, existing) <= radius
    residual = np.where(already, 0.0, weights)
    cover = coverage_matrix(demand_xy, candidate_xy, radius)
    keep = np.flatnonzero((residual > 0) & (cover.getnnz(axis=1) > 0))
    before = float(weights[already].sum())
    if len(keep) == 0:
        chosen, added, status = list(range(p)), 0.0, "Optimal"
    elif engine == "highs":
        chosen, added, status = _mclp_highs(cover[keep], residual[keep], p)
    else:
        chosen, added, status = _mclp_spopt(demand_xy[keep], residual[keep], candidate_xy, radius, p, engine)
    return Siting("mclp", engine, chosen, added, before, before + added, float(weights.sum()), status)


def _mclp_highs(cover: sparse.csr_matrix, weight: np.ndarray, p: int) -> tuple[list[int], float, str]:
    """max Σ w_i y_i  s.t.  y_i ≤ Σ_j a_ij x_j,  Σ x_j = p,  x binary, 0 ≤ y ≤ 1.

    Demand points covered by exactly the same candidates are merged first (their weights summed):
    the optimum is unchanged and the model is often several times smaller.
    """
    original, original_weight = cover, weight
    cover, weight = merge_identical_rows(cover, weight)
    n, m = cover.shape
    matrix = sparse.bmat([[-cover, sparse.identity(n)], [sparse.csr_matrix(np.ones((1, m))), None]])
    cost = np.concatenate([np.zeros(m), weight])
    lower = np.concatenate([np.full(n, -np.inf), [p]])
    upper = np.concatenate([np.zeros(n), [p]])
    integer = np.concatenate([np.ones(m, bool), np.zeros(n, bool)])
    values, status = _solve(matrix, cost, np.ones(m + n), integer, lower, upper, maximize=True)
    chosen = np.flatnonzero(values[:m] > 0.5)
    covered = np.asarray(original[:, chosen].sum(axis=1)).ravel() > 0
    return [int(j) for j in chosen], float(original_weight[covered].sum()), status


def merge_identical_rows(
    cover: sparse.csr_matrix, weight: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Merge rows with the same coverage set, summing their weights."""
    cover = sparse.csr_matrix(cover)
    cover.sort_indices()
    counts = np.diff(cover.indptr)
    width = int(counts.max()) if len(counts) else 0
    padded = np.full((cover.shape[0], width + 1), -1, dtype=np.int64)
    padded[:, 0] = counts
    rows = np.repeat(np.arange(cover.shape[0]), counts)
    slots = np.arange(len(cover.indices)) - np.repeat(cover.indptr[:-1], counts)
    padded[rows, slots + 1] = cover.indices
    unique, inverse = np.unique(padded, axis=0, return_inverse=True)
    merged_weight = np.bincount(inverse.ravel(), weights=weight, minlength=len(unique))
    keep = unique[:, 1:]
    r, c = np.nonzero(keep >= 0)
    merged = sparse.csr_matrix((np.ones(len(r)), (r, keep[r, c])), shape=(len(unique), cover.shape[1]))
    return merged, merged_weight


def _pulp_solver(engine: str):
    """Return the PuLP solver an spopt engine name asks for."""
    import pulp

    if engine == "spopt-highs":
        return pulp.HiGHS(msg=False, gapRel=0.0)
    if engine == "spopt-cbc":
        return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0)
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}")


def _mclp_spopt(demand_xy, weight, candidate_xy, radius, p, engine) -> tuple[list[int], float, str]:
    """Solve the same MCLP with spopt (PuLP model, HiGHS or CBC)."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3 announces its 4.0 API
        cost = cdist(demand_xy, candidate_xy)
        model = MCLP.from_cost_matrix(cost, weight, service_radius=radius, p_facilities=p)
        model.solve(_pulp_solver(engine), results=False)
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() > 0.5]
    return chosen, float(pulp.value(model.problem.objective)), pulp.LpStatus[model.problem.status]


def p_median(
    demand_xy: np.ndarray,
    weights: np.ndarray,
    candidate_xy: np.ndarray,
    p: int,
    existing_xy: np.ndarray | None = None,
    engine: str = "highs",
) -> Siting:
    """Choose ``p`` candidates minimising total weighted distance to the nearest open site.

    Existing facilities stay open; a demand point is only ever assigned to a candidate nearer than
    its nearest existing facility, which keeps the model sparse without changing its optimum.
    """
    demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, float).reshape(-1, 2)
    weights = np.asarray(weights, dtype=float)
    _check(p, len(candidate_xy))
    existing = np.empty((0, 2)) if existing_xy is None else np.asarray(existing_xy, float).reshape(-1, 2)
    base = nearest_distance(demand_xy, existing)
    before = float((weights * base).sum()) if len(existing) else float("inf")
    if engine == "highs":
        chosen, after, status = _pmedian_highs(demand_xy, weights, candidate_xy, p, base)
    else:
        chosen, after, status = _pmedian_spopt(demand_xy, weights, candidate_xy, p, existing, engine)
    return Siting("p-median", engine, chosen, after, before, after, float(weights.sum()), status)


def _pmedian_highs(demand_xy, weights, candidate_xy, p, base) -> tuple[list[int], float, str]:
    """min Σ w_i (d_i0 u_i + Σ_j d_ij z_ij)  s.t.  u_i + Σ_j z_ij = 1,  z_ij ≤ x_j,  Σ x_j = p."""
    n, m = len(demand_xy), len(candidate_xy)
    distance = np.sqrt(((demand_xy[:, None, :] - candidate_xy[None, :, :]) ** 2).sum(axis=2))
    rows, cols = np.nonzero(distance < base[:, None])
    k = len(rows)
    stay = np.flatnonzero(np.isfinite(base))
    # columns: x (m, binary) | z (k) | u (len(stay))
    z_cols, u_cols = m + np.arange(k), m + k + np.arange(len(stay))
    assign = sparse.csr_matrix(
        (np.ones(k + len(stay)), (np.concatenate([rows, stay]), np.concatenate([z_cols, u_cols]))),
        shape=(n, m + k + len(stay)),
    )
    link = sparse.csr_matrix(
        (
            np.concatenate([np.ones(k), -np.ones(k)]),
            (np.tile(np.arange(k), 2), np.concatenate([z_cols, cols])),
        ),
        shape=(k, m + k + len(stay)),
    )
    count = sparse.csr_matrix((np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, m + k + len(stay)))
    matrix = sparse.vstack([assign, link, count])
    cost = np.concatenate([np.zeros(m), weights[rows] * distance[rows, cols], weights[stay] * base[stay]])
    lower = np.concatenate([np.ones(n), np.full(k, -np.inf), [p]])
    upper = np.concatenate([np.ones(n), np.zeros(k), [p]])
    integer = np.concatenate([np.ones(m, bool), np.zeros(k + len(stay), bool)])
    values, status = _solve(matrix, cost, np.ones(m + k + len(stay)), integer, lower, upper, maximize=False)
    chosen = np.flatnonzero(values[:m] > 0.5)
    nearest = np.minimum(base, distance[:, chosen].min(axis=1)) if len(chosen) else base
    return [int(j) for j in chosen], float((weights * nearest).sum()), status


def _pmedian_spopt(demand_xy, weights, candidate_xy, p, existing, engine) -> tuple[list[int], float, str]:
    """Solve the same p-median with spopt, existing facilities predefined as open."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import PMedian

    sites = np.vstack([existing, candidate_xy])
    predefined = np.concatenate([np.ones(len(existing), int), np.zeros(len(candidate_xy), int)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3 announces its 4.0 API
        model = PMedian.from_cost_matrix(
            cdist(demand_xy, sites),
            weights,
            p_facilities=len(existing) + p,
            predefined_facilities_arr=predefined if len(existing) else None,
        )
        model.solve(_pulp_solver(engine), results=False)
    open_sites = [j for j, var in enumerate(model.fac_vars) if var.value() > 0.5]
    chosen = [j - len(existing) for j in open_sites if j >= len(existing)]
    return chosen, float(pulp.value(model.problem.objective)), pulp.LpStatus[model.problem.status]
