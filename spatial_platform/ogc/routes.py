"""HTTP routes of OGC API - Features under ``/ogc``: landing page, conformance, collections, items."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from spatial_platform.ogc import html, queries
from spatial_platform.ogc.collections import COLLECTIONS, Collection, queryables
from spatial_platform.ogc.errors import BadParameter, NotFound
from spatial_platform.ogc.params import CRS84, CRSES, Period, bbox_param, crs_param, datetime_param, page

PREFIX = "/ogc"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
]
GEOJSON = "application/geo+json"
_FORMATS = {"json", "html"}


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        if f not in _FORMATS:
            raise BadParameter("f", f"f must be json or html, got {f!r}")
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _answer(request: Request, f: str | None, doc: dict, title: str, media: str = "application/json",
            headers: dict | None = None) -> Response:  # fmt: skip
    if _wants_html(request, f):
        return Response(html.page(title, doc), media_type="text/html; charset=utf-8", headers=headers)
    return Response(orjson.dumps(doc), media_type=media, headers=headers)


def _link(href: str, rel: str, media: str = "application/json", title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": media}
    if title:
        out["title"] = title
    return out


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _feature(row: asyncpg.Record, kind: str) -> dict:
    geometry = orjson.loads(row["geometry"]) if row["geometry"] else None
    if kind == "divisions":
        props = {"code": row["code"], "name": row["name"], "level": row["level"],
                 "parent_code": row["parent_code"], "valid_from": _iso(row["valid_from"]),
                 "valid_to": _iso(row["valid_to"]), "geometry_kind": row["geometry_kind"]}  # fmt: skip
        return {"type": "Feature", "id": row["code"], "geometry": geometry, "properties": props}
    skip = {"geometry", "matched"}
    props = {k: (_iso(v) if isinstance(v, date) else v) for k, v in dict(row).items() if k not in skip}
    return {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": props}


_FETCH = {
    "facilities": queries.facilities,
    "placenames": queries.placenames,
    "population": queries.population,
}


@dataclass
class OgcRouter:
    """Builds the ``/ogc`` router; ``today`` is swappable for tests."""

    get_connection: Callable
    today: Callable[[], date] = date.today
    _extents: dict[str, Any] = field(default_factory=dict)

    def _collection(self, cid: str) -> Collection:
        if cid not in COLLECTIONS:
            raise NotFound(f"no collection {cid!r}; see {PREFIX}/collections")
        return COLLECTIONS[cid]

    async def _describe(self, conn, base: str, c: Collection, query: str = "") -> dict:
        """A collection's description; ``query`` (e.g. ``datetime=2010``) goes on its items links."""
        if c.kind not in self._extents:
            self._extents[c.kind] = await queries.extent(conn, c.kind)
        bbox = self._extents[c.kind]
        url = f"{base}/collections/{c.id}"
        return {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "itemType": "feature",
            "crs": list(CRSES),
            "storageCrs": CRS84,
            "extent": {
                "spatial": {"bbox": [list(bbox)] if bbox else [], "crs": CRS84},
                "temporal": {
                    "interval": [["1981-01-01T00:00:00Z", None]],
                    "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
                },
            },
            "links": [
                _link(url, "self", "application/json", c.title),
                _link(f"{url}/items{'?' + query if query else ''}", "items", GEOJSON, "Features"),
                _link(f"{url}/items?{query + '&' if query else ''}f=html", "items", "text/html", "As HTML"),
                _link(
                    f"{url}/queryables",
                    "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                    "application/schema+json",
                    "Queryables",
                ),
            ],
        }

    def router(self) -> APIRouter:
        """Return the router with every OGC API endpoint mounted."""
        api = APIRouter(prefix=PREFIX, tags=["OGC API - Features"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        F = Annotated[str | None, Query(description="json or html (default: by Accept)")]

        def base(request: Request) -> str:
            return str(request.base_url).rstrip("/") + PREFIX

        @api.get("", summary="Landing page of the OGC API - Features")
        async def landing(request: Request, f: F = None):
            b = base(request)
            doc = {
                "title": "区划地名 OGC API - Features",
                "description": "Divisions over time, place names, civil-affairs facilities and the "
                "population by county as OGC API - Features (Part 1 Core, GeoJSON, HTML; Part 2 CRS84 "
                "and EPSG:4490). `datetime` selects the period.",
                "links": [
                    _link(f"{b}", "self", "application/json", "This document"),
                    _link(f"{b}?f=html", "alternate", "text/html", "This document as HTML"),
                    _link(f"{b}/conformance", "conformance", "application/json", "Conformance classes"),
                    _link(f"{b}/collections", "data", "application/json", "Collections"),
                    _link(
                        str(request.base_url) + "openapi.json",
                        "service-desc",
                        "application/vnd.oai.openapi+json;version=3.0",
                        "The API definition",
                    ),
                    _link(
                        str(request.base_url) + "docs", "service-doc", "text/html", "The API documentation"
                    ),
                ],
            }
            return _answer(request, f, doc, doc["title"])

        @api.get("/conformance", summary="Conformance classes implemented")
        async def conformance(request: Request, f: F = None):
            return _answer(request, f, {"conformsTo": CONFORMANCE, "links": []}, "Conformance")

        @api.get("/collections", summary="The feature collections")
        async def collections(request: Request, conn: Conn, f: F = None):
            b = base(request)
            doc = {
                "collections": [await self._describe(conn, b, c) for c in COLLECTIONS.values()],
                "crs": list(CRSES),
                "links": [_link(f"{b}/collections", "self")],
            }
            return _answer(request, f, doc, "Collections")

        @api.get(
            "/collections/{cid}",
            summary="One feature collection",
            responses={404: {"description": "No such collection"}},
        )
        async def collection(
            cid: str,
            request: Request,
            conn: Conn,
            datetime_: Annotated[
                str | None, Query(alias="datetime", description="carried into the items links")
            ] = None,
            f: F = None,
        ):
            """Describe a collection; ``datetime`` and property filters given here go on its items links.

            So a client that opens a collection URL (GDAL's OAPIF driver does) reads that selection.
            """
            c = self._collection(cid)
            carried = {}
            if datetime_:
                datetime_param(datetime_, self.today())  # checked here, applied by the items link
                carried["datetime"] = datetime_
            carried |= {k: v for k, v in request.query_params.items() if k in c.filters and v}
            doc = await self._describe(conn, base(request), c, urlencode(carried))
            return _answer(request, f, doc, c.title)

        @api.get("/collections/{cid}/queryables", summary="Queryable properties of a collection")
        async def queryable(cid: str, request: Request, f: F = None):
            c = self._collection(cid)
            url = f"{base(request)}/collections/{cid}/queryables"
            doc = {**queryables(c, url), "links": [_link(url, "self", "application/schema+json")]}
            return _answer(request, f, doc, f"Queryables of {c.title}", "application/schema+json")

        @api.get(
            "/collections/{cid}/items",
            summary="Features of a collection, by bbox, datetime and properties, in pages",
            responses={
                200: {"content": {GEOJSON: {}}},
                400: {"description": "A malformed parameter"},
                404: {"description": "No such collection"},
            },
        )
        async def items(
            cid: str,
            request: Request,
            conn: Conn,
            bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
            bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
            datetime_: Annotated[
                str | None, Query(alias="datetime", description="instant or interval")
            ] = None,
            crs: Annotated[str | None, Query(description="CRS84 (default) or EPSG:4490 URI")] = None,
            limit: Annotated[int | None, Query(description="1-10000, default 10")] = None,
            offset: Annotated[int | None, Query(description="features to skip")] = None,
            code: Annotated[str | None, Query()] = None,
            name: Annotated[str | None, Query()] = None,
            level: Annotated[str | None, Query()] = None,
            parent: Annotated[str | None, Query()] = None,
            kind: Annotated[str | None, Query()] = None,
            county_code: Annotated[str | None, Query()] = None,
            category: Annotated[str | None, Query()] = None,
            year: Annotated[str | None, Query()] = None,
            f: F = None,
        ):
            c = self._collection(cid)
            out_crs = crs_param(crs)
            box = bbox_param(bbox, crs_param(bbox_crs, "bbox-crs"))
            period = datetime_param(datetime_, self.today())
            lim, off = page(limit, offset)
            given = {"code": code, "name": name, "level": level, "parent": parent, "kind": kind,
                     "county_code": county_code, "category": category, "year": year}  # fmt: skip
            filters = {k: v for k, v in given.items() if v and k in c.filters}
            if c.kind == "divisions":
                rows, matched = await queries.divisions(
                    conn, c.levels, period, box, filters, lim, off, out_crs
                )
            else:
                fetch = _FETCH[c.kind]
                rows, matched = await fetch(conn, period, box, filters, lim, off, out_crs)
            features = [_feature(r, c.kind) for r in rows]
            url = f"{base(request)}/collections/{cid}/items"
            keep = {k: v for k, v in request.query_params.items() if k not in ("offset", "f")}
            here = {**keep, "offset": off}
            links = [
                _link(f"{url}?{urlencode(here)}", "self", GEOJSON),
                _link(f"{url}?{urlencode({**here, 'f': 'html'})}", "alternate", "text/html"),
                _link(f"{base(request)}/collections/{cid}", "collection"),
            ]
            if off + len(features) < matched:
                links.append(
                    _link(f"{url}?{urlencode({**keep, 'limit': lim, 'offset': off + lim})}", "next", GEOJSON)
                )
            if off > 0:
                links.append(
                    _link(
                        f"{url}?{urlencode({**keep, 'limit': lim, 'offset': max(0, off - lim)})}",
                        "prev",
                        GEOJSON,
                    )
                )
            doc = {
                "type": "FeatureCollection",
                "features": features,
                "numberMatched": matched,
                "numberReturned": len(features),
                "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "links": links,
            }
            headers = {"Content-Crs": f"<{out_crs}>"}
            return _answer(request, f, doc, c.title, GEOJSON, headers)

        @api.get(
            "/collections/{cid}/items/{fid}",
            summary="One feature (a division as in force at `datetime`, default today)",
            responses={200: {"content": {GEOJSON: {}}}, 404: {"description": "No such feature"}},
        )
        async def item(
            cid: str,
            fid: str,
            request: Request,
            conn: Conn,
            datetime_: Annotated[str | None, Query(alias="datetime")] = None,
            crs: Annotated[str | None, Query()] = None,
            f: F = None,
        ):
            c = self._collection(cid)
            out_crs = crs_param(crs)
            period = datetime_param(datetime_, self.today())
            if c.kind == "population" and not datetime_:
                period = Period(None, None)  # the id names the year
            if c.kind == "divisions":
                rows, _ = await queries.divisions(conn, c.levels, period, None, {"code": fid}, 1, 0, out_crs)
            else:
                numeric = c.kind != "population"
                if numeric and not fid.isdigit():
                    raise NotFound(f"no feature {fid!r} in {cid}")
                ident = int(fid) if numeric else fid
                rows, _ = await _FETCH[c.kind](conn, period, None, {}, 1, 0, out_crs, ident)
            if not rows:
                raise NotFound(f"no feature {fid!r} in {cid} during {datetime_ or 'today'}")
            doc = _feature(rows[0], c.kind)
            url = f"{base(request)}/collections/{cid}/items/{fid}"
            doc["links"] = [
                _link(url, "self", GEOJSON),
                _link(f"{base(request)}/collections/{cid}", "collection"),
            ]
            if c.kind == "divisions":
                doc["links"].append(_link(f"{url}/versions", "version-history", GEOJSON, "Every version"))
            return _answer(request, f, doc, f"{fid}", GEOJSON, {"Content-Crs": f"<{out_crs}>"})

        @api.get(
            "/collections/{cid}/items/{fid}/versions",
            summary="Every version of a division with its valid period (versioned features)",
            responses={200: {"content": {GEOJSON: {}}}, 404: {"description": "No such feature"}},
        )
        async def item_versions(cid: str, fid: str, request: Request, conn: Conn,
                                crs: Annotated[str | None, Query()] = None, f: F = None):  # fmt: skip
            c = self._collection(cid)
            if c.kind != "divisions":
                raise NotFound(f"{cid} features have no versions")
            out_crs = crs_param(crs)
            rows = await queries.versions(conn, fid, c.levels, out_crs)
            if not rows:
                raise NotFound(f"no feature {fid!r} in {cid} in any period")
            features = [_feature(r, c.kind) for r in rows]
            here = f"{base(request)}/collections/{cid}/items/{fid}/versions"
            doc = {
                "type": "FeatureCollection",
                "features": features,
                "numberMatched": len(features),
                "numberReturned": len(features),
                "links": [_link(here, "self", GEOJSON)],
            }
            return _answer(request, f, doc, f"Versions of {fid}", GEOJSON, {"Content-Crs": f"<{out_crs}>"})

        return api
