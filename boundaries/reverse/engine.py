"""In-process point-in-polygon engine: a grid over prepared, subdivided polygons, fully vectorised.

Build: every polygon is split (recursive halving with ``clip_by_rect``) into pieces of at most
``max_vertices`` vertices and the pieces are prepared. A regular grid of ``cells_per_degree``
cells per degree is laid over the data; a cell that no polygon boundary crosses lies wholly
inside one polygon (or none) and stores that answer directly. The other ("boundary") cells
get, through a bulk ``STRtree`` query, the short list of pieces that can contain a point there.

Lookup: grid cell per point (numpy arithmetic), direct answers for interior cells, and for the
points in boundary cells one vectorised prepared ``intersects_xy`` over (point, candidate piece)
pairs grouped by piece. Points on a boundary shared by several polygons get the lowest owner
index among them, so the answer is deterministic.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import ndimage

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_NONE = np.iinfo(np.int64).max


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of clip results (drops slivers clipped to lines or points); None if empty."""
    geoms = geoms.copy()
    geoms[shapely.is_empty(geoms)] = None
    mixed = np.nonzero(~np.isin(shapely.get_type_id(geoms), _POLYGONAL) & ~shapely.is_missing(geoms))[0]
    for i in mixed:
        parts = [p for p in shapely.get_parts(geoms[i]) if shapely.get_type_id(p) in _POLYGONAL]
        geoms[i] = shapely.multipolygons(parts) if parts else None
    return geoms


def subdivide(geoms: np.ndarray, max_vertices: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Split polygons into pieces of at most ``max_vertices`` vertices; return (pieces, owner index)."""
    geom = np.asarray(geoms, dtype=object)
    owner = np.arange(len(geom), dtype=np.int64)
    pieces, owners = [], []
    while len(geom):
        keep = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
        geom, owner = geom[keep], owner[keep]
        small = shapely.get_num_coordinates(geom) <= max_vertices
        pieces.append(geom[small])
        owners.append(owner[small])
        geom, owner = geom[~small], owner[~small]
        x0, y0, x1, y1 = shapely.bounds(geom).T
        wide = x1 - x0 >= y1 - y0
        xm, ym = np.where(wide, (x0 + x1) / 2, x1), np.where(wide, y1, (y0 + y1) / 2)
        low = [
            shapely.clip_by_rect(g, *r) for g, r in zip(geom, np.column_stack([x0, y0, xm, ym]), strict=True)
        ]
        xs, ys = np.where(wide, xm, x0), np.where(wide, y0, ym)
        high = [
            shapely.clip_by_rect(g, *r) for g, r in zip(geom, np.column_stack([xs, ys, x1, y1]), strict=True)
        ]
        geom = _polygonal(np.array(low + high, dtype=object))
        owner = np.concatenate([owner, owner])
    return np.concatenate(pieces), np.concatenate(owners)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted unique values (a plain sort: faster than np.unique on large integer arrays)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _member(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """Tell which values occur in a sorted unique array."""
    at = np.minimum(np.searchsorted(sorted_unique, values), max(len(sorted_unique) - 1, 0))
    return sorted_unique[at] == values if len(sorted_unique) else np.zeros(len(values), dtype=bool)


class ReverseEngine:
    """Answers "which polygon contains each point" for arrays of lon/lat, -1 where none does."""

    def __init__(self, geoms, *, cells_per_degree: int = 64, max_vertices: int = 256) -> None:
        geoms = np.asarray(geoms, dtype=object)
        if cells_per_degree <= 0 or cells_per_degree & (cells_per_degree - 1):
            raise ValueError("cells_per_degree must be a power of two (exact grid arithmetic)")
        self.size = len(geoms)
        self.scale = float(cells_per_degree)
        present = np.array([g is not None and not shapely.is_empty(g) for g in geoms], dtype=bool)
        if not present.any():
            self.x0 = self.y0 = 0.0
            self.width = self.height = 1
            self._raster = np.full(1, -1, np.int32)
            self._pieces, self._owners = np.empty(0, object), np.empty(0, np.int64)
            self._offsets, self._candidates = np.zeros(1, np.int64), np.empty(0, np.int64)
            return
        minx, miny, maxx, maxy = shapely.total_bounds(geoms[present])
        self.x0, self.y0 = float(np.floor(minx)), float(np.floor(miny))
        self.width = int((maxx - self.x0) * self.scale) + 1
        self.height = int((maxy - self.y0) * self.scale) + 1
        self._pieces, self._owners = subdivide(geoms, max_vertices)
        border_owner, border_cell = self._border_cells(geoms, present)
        count, raster = self._interiors(geoms, present, border_owner, border_cell)
        self._index_boundary_cells(raster, count, border_owner, border_cell)
        shapely.prepare(self._pieces)

    def _cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the grid column and row of coordinates inside the grid (the same arithmetic as lookup)."""
        return ((x - self.x0) * self.scale).astype(np.int64), ((y - self.y0) * self.scale).astype(np.int64)

    def _border_cells(self, geoms: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the unique (owner, cell) pairs where an owner's boundary passes through a cell."""
        owners = np.nonzero(present)[0]
        edges = shapely.segmentize(shapely.boundary(geoms[owners]), 0.5 / self.scale)
        rings = shapely.get_parts(edges)
        ring_owner = np.repeat(owners, shapely.get_num_geometries(edges))
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        col, row = self._cells(xy[:, 0], xy[:, 1])
        owner = ring_owner[ring]
        # Segments are shorter than a cell: their ends lie in the same or neighbouring cells,
        # and a segment between diagonal neighbours may cross either of the other two cells.
        diag = np.nonzero((ring[1:] == ring[:-1]) & (col[1:] != col[:-1]) & (row[1:] != row[:-1]))[0]
        cells = np.concatenate(
            [
                row * self.width + col,
                row[diag] * self.width + col[diag + 1],
                row[diag + 1] * self.width + col[diag],
            ]
        )
        ncell = self.width * self.height
        key = _unique(np.concatenate([owner, owner[diag], owner[diag]]) * ncell + cells)
        return key // ncell, key % ncell

    def _interiors(self, geoms, present, border_owner, border_cell) -> tuple[np.ndarray, np.ndarray]:
        """Mark cells wholly inside each polygon: count per cell and (one) owner per cell."""
        count = np.zeros(self.width * self.height, np.int32)
        raster = np.full(self.width * self.height, -1, np.int32)
        starts = np.searchsorted(border_owner, np.arange(self.size + 1))
        bounds = shapely.bounds(geoms)
        shapely.prepare(geoms[present])
        for owner in np.nonzero(present)[0]:
            c0, r0 = self._cells(bounds[owner, :1], bounds[owner, 1:2])
            c1, r1 = self._cells(bounds[owner, 2:3], bounds[owner, 3:4])
            c0, r0, c1, r1 = int(c0[0]), int(r0[0]), int(c1[0]) + 1, int(r1[0]) + 1
            w = c1 - c0
            free = np.ones((r1 - r0, w), dtype=bool)
            mine = border_cell[starts[owner] : starts[owner + 1]]
            free.ravel()[(mine // self.width - r0) * w + (mine % self.width - c0)] = False
            # No boundary crosses a connected run of free cells: test one cell centre per run.
            labels, n = ndimage.label(free)
            if n == 0:
                continue
            flat = labels.ravel()
            runs = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
            where = np.zeros(n + 1, dtype=np.int64)
            where[flat[runs]] = runs  # any cell of a run will do
            first = where[1:]
            cx = self.x0 + (c0 + first % w + 0.5) / self.scale
            cy = self.y0 + (r0 + first // w + 0.5) / self.scale
            inside = np.zeros(n + 1, dtype=bool)
            inside[1:] = shapely.contains_xy(geoms[owner], cx, cy)
            cells = np.nonzero(inside[flat])[0]
            cells = (r0 + cells // w) * self.width + (c0 + cells % w)
            count[cells] += 1
            raster[cells] = np.where(raster[cells] == -1, owner, np.minimum(raster[cells], owner))
        shapely.destroy_prepared(geoms[present])
        return count, raster

    def _index_boundary_cells(self, raster, count, border_owner, border_cell) -> None:
        """Give every boundary cell its candidate pieces (STRtree bulk query) and encode it in the raster."""
        ncell = self.width * self.height
        slow = np.zeros(ncell, dtype=bool)
        slow[border_cell] = True
        slow |= count > 1
        slow_cells = np.nonzero(slow)[0]
        # Owners relevant to a slow cell: those whose boundary crosses it or whose interior covers it.
        relevant = np.concatenate(
            [border_owner * ncell + border_cell, raster[slow_cells].astype(np.int64) * ncell + slow_cells]
        )
        relevant = _unique(relevant[relevant >= 0])
        col, row = slow_cells % self.width, slow_cells // self.width
        boxes = shapely.box(
            self.x0 + col / self.scale,
            self.y0 + row / self.scale,
            self.x0 + (col + 1) / self.scale,
            self.y0 + (row + 1) / self.scale,
        )
        box_index, piece = shapely.STRtree(self._pieces).query(boxes)
        owner = self._owners[piece]
        keep = _member(owner * ncell + slow_cells[box_index], relevant)
        box_index, piece, owner = box_index[keep], piece[keep], owner[keep]
        order = np.lexsort((owner, box_index))
        self._candidates = piece[order]
        self._offsets = np.searchsorted(box_index[order], np.arange(len(slow_cells) + 1)).astype(np.int64)
        raster[slow_cells] = -2 - np.arange(len(slow_cells), dtype=np.int32)
        self._raster = raster

    def lookup(self, lon, lat) -> np.ndarray:
        """Return, per point, the index of the polygon containing it (lowest on shared edges), else -1."""
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        result = np.full(len(x), -1, dtype=np.int64)
        fx = (x - self.x0) * self.scale
        fy = (y - self.y0) * self.scale
        inside = (fx >= 0) & (fx < self.width) & (fy >= 0) & (fy < self.height)  # False for NaN
        idx = np.nonzero(inside)[0]
        value = self._raster[fy[idx].astype(np.int64) * self.width + fx[idx].astype(np.int64)]
        result[idx] = np.maximum(value, -1)
        slow = value <= -2
        if slow.any():
            points, cell = idx[slow], -2 - value[slow].astype(np.int64)
            result[points] = self._test(x, y, points, cell)
        return result

    def _test(self, x: np.ndarray, y: np.ndarray, points: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """Exact test of points in boundary cells against their candidate pieces, grouped by piece."""
        first, count = self._offsets[cell], self._offsets[cell + 1] - self._offsets[cell]
        pair_point = np.repeat(np.arange(len(points)), count)
        within = np.arange(len(pair_point)) - np.repeat(np.cumsum(count) - count, count)
        piece = self._candidates[np.repeat(first, count) + within]
        order = np.argsort(piece)  # grouped by piece: each prepared piece stays hot in cache
        piece, pair_point = piece[order], pair_point[order]
        at = points[pair_point]
        hit = shapely.intersects_xy(self._pieces[piece], x[at], y[at])
        holder, owner = pair_point[hit], self._owners[piece[hit]]
        best = np.full(len(points), -1, dtype=np.int64)
        best[holder] = owner
        shared = np.bincount(holder, minlength=len(points)) > 1
        if shared.any():  # on a shared edge: the lowest owner index
            pick = shared[holder]
            lowest = np.full(len(points), _NONE, dtype=np.int64)
            np.minimum.at(lowest, holder[pick], owner[pick])
            best[shared] = lowest[shared]
        return best

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        shapely.prepare(self._pieces)


class PatchedEngine:
    """A built engine with some polygons withdrawn and a small engine of new ones consulted first.

    Lets a period whose geometry differs from a cached one by a few divisions (an uploaded
    boundary, a new county) reuse that engine instead of rebuilding the whole grid. Where a new
    polygon overlaps a kept one (slivers), the new polygon wins.
    """

    def __init__(self, base, base_map, added: ReverseEngine | None, added_map) -> None:
        self.base, self.base_map = base, np.append(np.asarray(base_map, dtype=np.int64), -1)
        self.added, self.added_map = added, np.asarray(added_map, dtype=np.int64)

    def lookup(self, lon, lat) -> np.ndarray:
        """Return, per point, the index of the polygon containing it in the patched set, else -1."""
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        result = np.full(len(x), -1, dtype=np.int64)
        todo = np.arange(len(x))
        if self.added is not None:
            hit = self.added.lookup(x, y)
            ok = hit >= 0
            result[ok] = self.added_map[hit[ok]]
            todo = todo[~ok]
        result[todo] = self.base_map[self.base.lookup(x[todo], y[todo])]
        return result
