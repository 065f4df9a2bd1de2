// The public web map: divisions as of a year with place names, facilities and population overlays,
// place-name search and a click for the division chain (its history and the year's changes: history.js).
(function () {
  "use strict";
  const thisYear = new Date().getFullYear();
  const slider = document.getElementById("year");
  const yearLabel = document.getElementById("year-label");
  const status = document.getElementById("status");
  slider.max = String(thisYear);
  slider.value = String(thisYear);
  yearLabel.textContent = String(thisYear);

  const tileUrl = (layer, year) => `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt?at=${year}`;
  const SOURCES = {
    divisions: [0, 14], labels: [0, 14], population: [0, 14], placenames: [0, 14], facilities: [6, 14],
  };
  const sources = {};
  for (const [name, [minzoom, maxzoom]] of Object.entries(SOURCES)) {
    sources[name] = { type: "vector", tiles: [tileUrl(name, thisYear)], minzoom, maxzoom };
  }
  // Facility kinds (civil-affairs categories) and their colours on the map.
  const KIND_COLOURS = [
    "elderly_care_institution", "#c0392b", "community_elderly_care", "#e67e22",
    "extreme_poverty_support", "#8e44ad", "child_welfare", "#2980b9", "relief_station", "#16a085",
  ];

  const map = new maplibregl.Map({
    container: "map",
    center: [104.5, 35.5],
    zoom: 3,
    maxZoom: 14,
    attributionControl: false,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    canvasContextAttributes: { preserveDrawingBuffer: true },
    preserveDrawingBuffer: true,
    style: {
      version: 8,
      glyphs: `${location.origin}/glyphs/{fontstack}/{range}.pbf`,
      sources,
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#dfe9f3" } },
        {
          id: "divisions-fill", type: "fill", source: "divisions", "source-layer": "divisions",
          paint: {
            // Surveyed, derived from the lineage, or approximate (the nearest known area).
            "fill-color": ["match", ["get", "kind"], "derived", "#f3ead2", "approximate", "#ece4f2", "#fbf8ef"],
            "fill-opacity": 0.95,
          },
        },
        {
          // Population choropleth: share aged 60 and over, by county (off until ticked).
          id: "population-fill", type: "fill", source: "population", "source-layer": "population",
          layout: { visibility: "none" },
          paint: {
            "fill-color": ["interpolate", ["linear"], ["coalesce", ["get", "share_60"], 0],
              0.1, "#fff5eb", 0.2, "#fd8d3c", 0.3, "#7f2704"],
            "fill-opacity": 0.8,
          },
        },
        {
          id: "divisions-line", type: "line", source: "divisions", "source-layer": "divisions",
          paint: { "line-color": "#7a6a55", "line-width": ["interpolate", ["linear"], ["zoom"], 3, 0.6, 10, 1.6] },
        },
        {
          // One label point per division (not one per tile fragment); larger levels in larger type.
          id: "divisions-label", type: "symbol", source: "labels", "source-layer": "labels",
          layout: {
            "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"],
            "text-size": ["match", ["get", "level"], "province", 14, "prefecture", 13, 11],
            "symbol-sort-key": ["match", ["get", "level"], "province", 0, "prefecture", 1, 2],
          },
          paint: {
            "text-color": ["match", ["get", "level"], "county", "#555", "#222"],
            "text-halo-color": "#fff", "text-halo-width": 1.2,
          },
        },
        {
          id: "facilities-circle", type: "circle", source: "facilities", "source-layer": "facilities",
          layout: { visibility: "none" },
          paint: {
            "circle-color": ["match", ["get", "kind"], ...KIND_COLOURS, "#555"],
            "circle-radius": ["interpolate", ["linear"], ["zoom"], 6, 2, 12, 6],
            "circle-stroke-color": "#fff", "circle-stroke-width": 1,
          },
        },
        {
          id: "placenames-point", type: "circle", source: "placenames", "source-layer": "placenames",
          paint: { "circle-color": "#1b5e20", "circle-radius": 3 },
        },
        {
          id: "placenames-label", type: "symbol", source: "placenames", "source-layer": "placenames",
          layout: {
            "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"], "text-size": 12,
            "text-offset": [0, 0.9], "text-anchor": "top",
          },
          paint: { "text-color": "#1b5e20", "text-halo-color": "#fff", "text-halo-width": 1.2 },
        },
      ],
    },
  });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");

  slider.addEventListener("input", () => {
    yearLabel.textContent = slider.value;
    for (const name of Object.keys(SOURCES)) map.getSource(name).setTiles([tileUrl(name, slider.value)]);
  });

  // The sources' credit, as the tile sets carry it (TileJSON ``attribution``).
  getJSON("/tiles/divisions.json").then((tilejson) => {
    map.addControl(new maplibregl.AttributionControl({ customAttribution: tilejson.attribution, compact: true }));
    document.getElementById("attribution").textContent = tilejson.attribution;
  }).catch(() => map.addControl(new maplibregl.AttributionControl()));

  // Overlay check boxes: each names the map layers it shows or hides, and its legend.
  for (const box of document.querySelectorAll("#overlays input[type=checkbox]")) {
    const apply = () => {
      for (const id of box.dataset.layers.split(",")) {
        map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
      }
      if (box.dataset.legend) document.getElementById(box.dataset.legend).hidden = !box.checked;
    };
    box.addEventListener("change", apply);
    map.on("load", apply);
  }

  async function getJSON(url) {
    const response = await fetch(url);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function bboxOf(geometry) {
    let [w, s, e, n] = [180, 90, -180, -90];
    const walk = (c) => {
      if (typeof c[0] === "number") {
        w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
      } else c.forEach(walk);
    };
    walk(geometry.coordinates);
    return [[w, s], [e, n]];
  }

  async function flyToResult(item) {
    if (item.bbox && item.bbox[0] !== item.bbox[2]) {  // a division: frame it without fetching it
      map.fitBounds([[item.bbox[0], item.bbox[1]], [item.bbox[2], item.bbox[3]]], { padding: 40, maxZoom: 11 });
      return;
    }
    const geometry = item.geometry || (item.location && { type: "Point", coordinates: item.location });
    if (geometry && geometry.type === "Point") {
      map.flyTo({ center: geometry.coordinates, zoom: 11 });
      return;
    }
    if (geometry) {
      map.fitBounds(bboxOf(geometry), { padding: 40, maxZoom: 11 });
      return;
    }
    // Records without a geometry of their own: frame their division (or, failing that, their county).
    for (const code of [item.code, item.division_code].filter(Boolean)) {
      try {
        const feature = await getJSON(`/v1/divisions/${code}/boundary?at=${slider.value}`);
        map.fitBounds(bboxOf(feature.geometry), { padding: 40, maxZoom: 11 });
        return;
      } catch (e) {
        status.textContent = e.message;
      }
    }
  }

  // Shared with history.js (the division history and the year's changes).
  window.mapApp = { getJSON, bboxOf };

  const results = document.getElementById("results");
  async function search(q) {
    results.innerHTML = "";
    status.textContent = "";
    if (!q.trim()) return;
    try {
      const body = await getJSON(`/v1/placenames/search?q=${encodeURIComponent(q)}&limit=10`);
      for (const item of body.results || []) {
        const li = document.createElement("li");
        li.tabIndex = 0;
        li.dataset.code = item.code || item.division_code || "";
        li.innerHTML = `<strong></strong><small></small>`;
        li.querySelector("strong").textContent = item.name;
        li.querySelector("small").textContent = [item.division_path, item.pinyin].filter(Boolean).join(" · ");
        li.addEventListener("click", () => flyToResult(item).catch((e) => (status.textContent = e.message)));
        results.appendChild(li);
      }
      if (!results.children.length) status.textContent = "没有结果 · no results";
    } catch (e) {
      status.textContent = e.message;
    }
  }
  let timer = null;
  document.getElementById("search").addEventListener("input", (ev) => {
    clearTimeout(timer);
    timer = setTimeout(() => search(ev.target.value), 200);
  });
  document.getElementById("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    search(document.getElementById("search").value);
  });

  map.on("click", async (ev) => {
    const chain = document.getElementById("chain");
    try {
      const body = await getJSON(`/v1/reverse?lon=${ev.lngLat.lng}&lat=${ev.lngLat.lat}&at=${slider.value}`);
      const parts = ["province", "prefecture", "county"].map((k) => body[k]).filter(Boolean);
      chain.textContent = parts.map((p) => `${p.name} ${p.code}`).join(" › ");
      document.dispatchEvent(new CustomEvent("division-picked", { detail: { parts, at: body.at } }));
      const lines = [parts.map((p) => p.name).join(" ")];
      const layers = ["facilities-circle", "population-fill"].filter(
        (id) => map.getLayoutProperty(id, "visibility") !== "none");
      for (const f of map.queryRenderedFeatures(ev.point, { layers })) {
        const p = f.properties;
        lines.push(f.layer.id === "facilities-circle"
          ? `${p.name} · ${p.beds ?? p.capacity ?? "?"} 床位/places`
          : `${p.year} 年 人口 ${p.total} · 60+ ${Math.round(100 * (p.share_60 || 0))}%${p.synthetic ? " (合成 synthetic)" : ""}`);
      }
      new maplibregl.Popup().setLngLat(ev.lngLat).setText(lines.join(" | ")).addTo(map);
    } catch (e) {
      chain.textContent = e.message;
      document.dispatchEvent(new CustomEvent("division-picked", { detail: { parts: [] } }));
    }
  });
})();
