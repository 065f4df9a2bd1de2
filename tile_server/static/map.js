// The public web map: divisions as of a year, place-name search and a click for the division chain.
(function () {
  "use strict";
  const thisYear = new Date().getFullYear();
  const slider = document.getElementById("year");
  const yearLabel = document.getElementById("year-label");
  const status = document.getElementById("status");
  slider.max = String(thisYear);
  slider.value = String(thisYear);
  yearLabel.textContent = String(thisYear);

  const tileUrl = (year) =>
    `${location.origin}/tiles/divisions/{z}/{x}/{y}.mvt?at=${year}`;

  const map = new maplibregl.Map({
    container: "map",
    center: [104.5, 35.5],
    zoom: 3,
    maxZoom: 14,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    canvasContextAttributes: { preserveDrawingBuffer: true },
    preserveDrawingBuffer: true,
    style: {
      version: 8,
      glyphs: `${location.origin}/glyphs/{fontstack}/{range}.pbf`,
      sources: {
        divisions: { type: "vector", tiles: [tileUrl(thisYear)], minzoom: 0, maxzoom: 14 },
      },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#dfe9f3" } },
        {
          id: "divisions-fill", type: "fill", source: "divisions", "source-layer": "divisions",
          paint: {
            "fill-color": ["match", ["get", "kind"], "derived", "#f3ead2", "#fbf8ef"],
            "fill-opacity": 0.95,
          },
        },
        {
          id: "divisions-line", type: "line", source: "divisions", "source-layer": "divisions",
          paint: { "line-color": "#7a6a55", "line-width": ["interpolate", ["linear"], ["zoom"], 3, 0.6, 10, 1.6] },
        },
        {
          id: "divisions-label", type: "symbol", source: "divisions", "source-layer": "divisions",
          layout: { "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"], "text-size": 12 },
          paint: { "text-color": "#333", "text-halo-color": "#fff", "text-halo-width": 1.2 },
        },
      ],
    },
  });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");

  slider.addEventListener("input", () => {
    yearLabel.textContent = slider.value;
    map.getSource("divisions").setTiles([tileUrl(slider.value)]);
  });

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
      new maplibregl.Popup().setLngLat(ev.lngLat).setText(parts.map((p) => p.name).join(" ")).addTo(map);
    } catch (e) {
      chain.textContent = e.message;
    }
  });
})();
