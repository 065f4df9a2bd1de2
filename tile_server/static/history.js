// The click panel's history of a division (沿革: its versions, the events with their documents,
// its predecessors and successors) and the highlight of the divisions that changed in the slider's
// year. Loaded after map.js, which provides window.map and window.mapApp. Every piece of data is
// inserted as text (textContent), never as markup.
(function () {
  "use strict";
  const map = window.map;
  const { getJSON, bboxOf } = window.mapApp;
  const slider = document.getElementById("year");
  const status = document.getElementById("status");
  const section = document.getElementById("history");
  const levels = document.getElementById("history-levels");
  const body = document.getElementById("history-body");
  const changesBox = document.getElementById("changes-box");
  const changesCount = document.getElementById("changes-count");
  // State for the browser tests (and anyone curious in the console).
  const state = (window.__mapHistory = { code: null, history: null, year: null, codes: [], retired: 0 });

  const KINDS = {
    rename: "更名", code_change: "改代码", merge: "合并", split: "拆分", transfer: "划转",
    establish: "设立", abolish: "撤销", reorganize: "调整",
  };
  const RELATIONS = { whole: "全部 whole", partial: "部分 partial" };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  const day = (iso, precision) => (precision === "year" ? iso.slice(0, 4) : iso);
  const dayBefore = (iso) => new Date(Date.parse(iso) - 86_400_000).toISOString().slice(0, 10);

  // ---- the history section -------------------------------------------------------------------

  let historySeq = 0;
  async function showHistory(code) {
    const seq = ++historySeq;
    state.code = code;
    section.hidden = false;
    for (const b of levels.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.code === code));
    body.replaceChildren(el("p", "载入中 · loading…", "muted"));
    try {
      const history = await getJSON(`/v1/divisions/${encodeURIComponent(code)}/history`);
      const retired = history.versions.length && history.versions.every((v) => v.valid_to);
      const last = history.versions[history.versions.length - 1];
      const today = retired ? await getJSON(`/v1/divisions/${code}/successors?at=${dayBefore(last.valid_to)}`) : null;
      if (seq !== historySeq) return;
      state.history = history;
      renderHistory(history, today);
    } catch (e) {
      if (seq === historySeq) body.replaceChildren(el("p", e.message, "error"));
    }
  }

  function group(title, className, items) {
    const wrap = el("div", undefined, `history-group ${className}`);
    wrap.appendChild(el("h3", title));
    const list = el(className === "events" ? "ol" : "ul");
    for (const item of items) list.appendChild(item);
    if (!items.length) list.appendChild(el("li", "无 · none", "muted"));
    wrap.appendChild(list);
    return wrap;
  }

  // A code that selects its division: shows its history and frames it as of ``at``.
  function codeButton(code, at) {
    const button = el("button", code, "code-link");
    button.type = "button";
    button.dataset.code = code;
    button.title = `显示 ${code} · show ${code}`;
    button.addEventListener("click", () => selectCode(code, at));
    return button;
  }

  function edgeItem(code, name, edge, at) {
    const li = el("li");
    li.append(codeButton(code, at), " ", el("span", name, "name"), " ",
      el("small", `${RELATIONS[edge.relation] || edge.relation} · ${day(edge.effective, edge.precision)}`));
    return li;
  }

  function renderHistory(history, today) {
    const code = history.code;
    const versions = [...history.versions].sort((a, b) => a.valid_from.localeCompare(b.valid_from));
    const latest = versions[versions.length - 1];
    const heading = el("p", undefined, "history-title");
    heading.append(el("strong", latest ? latest.name : code), " ", el("span", code, "code"));
    if (latest && latest.valid_to) heading.append(" ", el("small", "已撤销 · retired", "retired"));

    const versionItems = versions.map((v) => {
      const to = v.valid_to ? day(v.valid_to, v.to_precision) : "至今 now";
      const li = el("li");
      li.append(el("span", v.name, "name"), " ", el("span", v.code, "code"), " ",
        el("small", `${day(v.valid_from, v.from_precision)} – ${to}`, "period"));
      return li;
    });

    const events = [...history.events].sort((a, b) => a.effective.localeCompare(b.effective) || a.id - b.id);
    const eventItems = events.map((ev) => {
      const li = el("li");
      li.append(el("time", day(ev.effective, ev.precision)), " ",
        el("span", `${KINDS[ev.kind] || ""} ${ev.kind}`.trim(), "kind"), " · ",
        el("span", ev.doc_number || "无文号 no document number", "doc"));
      if (ev.title) li.append(el("cite", ev.title));
      return li;
    });

    // Edges between versions of this same code (a rename) are in the versions already.
    const into = history.edges.filter((e) => e.to_code === code && e.from_code !== code);
    const out = history.edges.filter((e) => e.from_code === code && e.to_code !== code);
    const parts = [
      heading,
      group("版本 Versions", "versions", versionItems),
      group("变更 Events · 文号", "events", eventItems),
      group("前身 Predecessors", "predecessors", into.map((e) => edgeItem(e.from_code, e.from_name, e, dayBefore(e.effective)))),
      group("后继 Successors", "successors", out.map((e) => edgeItem(e.to_code, e.to_name, e, e.effective))),
    ];
    if (today) {
      parts.push(group("今属 Today", "today", today.successors.map((s) => {
        const li = el("li");
        li.append(codeButton(s.code, null), " ", el("span", s.name, "name"), " ",
          el("small", RELATIONS[s.relation] || s.relation));
        return li;
      })));
    }
    body.replaceChildren(...parts);
  }

  // Select a code from the history: show its history and frame its boundary as of ``at``.
  async function selectCode(code, at) {
    showHistory(code);
    try {
      const query = at ? `?at=${at}` : "";
      const feature = await getJSON(`/v1/divisions/${code}/boundary${query}`);
      map.fitBounds(bboxOf(feature.geometry), { padding: 40, maxZoom: 10 });
    } catch (e) {
      status.textContent = `${code}: ${e.message}`;
    }
  }

  // A click on the map (map.js): offer the chain's levels, the most local one selected.
  document.addEventListener("division-picked", (ev) => {
    const parts = ev.detail.parts || [];
    levels.replaceChildren(...parts.map((p) => {
      const button = el("button", p.name);
      button.type = "button";
      button.dataset.code = p.code;
      button.title = `${p.name} ${p.code}`;
      button.addEventListener("click", () => showHistory(p.code));
      return button;
    }));
    if (parts.length) showHistory(parts[parts.length - 1].code);
    else section.hidden = true;
  });

  // ---- the year's changes --------------------------------------------------------------------

  const HIGHLIGHT = ["changes-county-fill", "changes-fill"];
  const countiesUrl = (year) => `${location.origin}/tiles/counties/{z}/{x}/{y}.mvt?at=${year}`;
  const highlightPaint = { "fill-color": "#e4572e", "fill-opacity": 0.55, "fill-outline-color": "#8c2b12" };
  map.on("load", () => {
    // Counties at every zoom, for county changes below zoom 7 (where the divisions layer shows
    // provinces or prefectures); no tiles are fetched while the highlight is hidden.
    map.addSource("counties", { type: "vector", tiles: [countiesUrl(slider.value)], minzoom: 0, maxzoom: 14 });
    const common = { type: "fill", layout: { visibility: "none" }, filter: ["in", ["get", "code"], ["literal", []]] };
    map.addLayer({ ...common, id: "changes-county-fill", source: "counties", "source-layer": "counties",
      maxzoom: 7, paint: highlightPaint }, "divisions-line");
    map.addLayer({ ...common, id: "changes-fill", source: "divisions", "source-layer": "divisions",
      paint: highlightPaint }, "divisions-line");
    if (changesBox.checked) refreshChanges();
  });

  // The changes of a year: the snapshot at the end of the year before against the end of this one
  // (changes known only to the year start on 1 January, so a diff from 1 January would miss them).
  function diffUrl(year) {
    const from = year <= 1981 ? "1981-01-01" : String(year - 1);
    return `/v1/divisions/diff?from=${from}&to=${year}`;
  }

  let changesSeq = 0;
  async function refreshChanges() {
    const seq = ++changesSeq;
    const year = Number(slider.value);
    if (!changesBox.checked) {
      for (const id of HIGHLIGHT) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", "none");
      changesCount.textContent = "";
      state.year = null;
      return;
    }
    if (!map.getLayer("changes-fill")) return; // the load handler comes back here
    changesCount.textContent = `${year} 载入中 · loading…`;
    try {
      const diff = await getJSON(diffUrl(year));
      if (seq !== changesSeq) return;
      // Divisions in force at the year's end that are new, renamed, re-coded or re-parented; retired
      // codes are gone from the year's map, so they are counted but not drawn.
      const codes = [...new Set(diff.changes.filter((c) => c.change !== "retired").map((c) => c.code))].sort();
      const retired = diff.counts.retired;
      for (const id of HIGHLIGHT) {
        map.setFilter(id, ["in", ["get", "code"], ["literal", codes]]);
        map.setLayoutProperty(id, "visibility", "visible");
      }
      let text = `${codes.length} division${codes.length === 1 ? "" : "s"} changed in ${year}`;
      if (retired) text += ` · ${retired} retired`;
      if (diff.beyond_record) text += ` (recorded through ${diff.data_as_of})`;
      changesCount.textContent = text;
      Object.assign(state, { year, codes, retired });
    } catch (e) {
      if (seq === changesSeq) changesCount.textContent = e.message;
    }
  }

  let timer = null;
  slider.addEventListener("input", () => {
    if (map.getSource("counties")) map.getSource("counties").setTiles([countiesUrl(slider.value)]);
    clearTimeout(timer);
    timer = setTimeout(refreshChanges, 150);
  });
  changesBox.addEventListener("change", refreshChanges);
})();
