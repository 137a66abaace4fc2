/* detente dashboard: a thin client of the JSON API on the same origin.
 *
 * Every piece of text from the API is put in the page with textContent (through h()),
 * never as HTML, so article text cannot inject markup or script.
 */
"use strict";

const QUADS = [
  { key: "verbal_coop", label: "Verbal cooperation", color: "#81c784" },
  { key: "material_coop", label: "Material cooperation", color: "#2e7d32" },
  { key: "verbal_conflict", label: "Verbal conflict", color: "#ef9a9a" },
  { key: "material_conflict", label: "Material conflict", color: "#c62828" },
];
const QUAD_LABEL = { 1: "verbal coop", 2: "material coop", 3: "verbal conflict", 4: "material conflict" };
const PERIODS = ["day", "week", "month", "quarter", "year"];
const state = { health: null, actors: null };

/* -- tiny DOM helpers --------------------------------------------------------------- */

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function main() { return document.getElementById("main"); }

function render(title, ...children) {
  const m = main();
  m.replaceChildren();
  const h1 = h("h1", { tabindex: "-1" }, title);
  append(m, [h1, children]);
  document.title = `${title} · detente`;
  h1.focus({ preventScroll: true });
  announce(title);
}

function announce(text) { document.getElementById("status").textContent = text; }

function errorBox(err) {
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, err.code ? `Error ${err.code}: ` : "Error: "), err.message || String(err),
    err.hint ? h("div", { class: "muted" }, err.hint) : null);
}

function fmt(x, digits = 2) {
  if (x === null || x === undefined) return "–";
  return typeof x === "number" && !Number.isInteger(x) ? x.toFixed(digits) : String(x);
}

/* -- API ---------------------------------------------------------------------------- */

async function api(path, options = {}) {
  const opts = { ...options, headers: { Accept: "application/json", ...(options.headers || {}) } };
  const token = sessionStorage.getItem("detente-token");
  if (token && opts.method && opts.method !== "GET") opts.headers.Authorization = `Bearer ${token}`;
  const r = await fetch(path, opts);
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (!r.ok) {
    const e = (body && body.error) || { code: "", message: `HTTP ${r.status}`, hint: "" };
    const err = new Error(e.message);
    Object.assign(err, e);
    throw err;
  }
  return body;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined && v !== false) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : "";
}

/* -- routing ------------------------------------------------------------------------ */

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query || "") };
}

function go(path, params) { location.hash = `#${path}${params ? qs(params) : ""}`; }

const routes = {
  "": overview, dyad: dyadView, events: eventsView, event: eventView, articles: articlesView,
  article: articleView, actors: actorsView, actor: actorView, alerts: alertsView, ingest: ingestView,
};

async function route() {
  const { parts, params } = parseHash();
  const view = routes[parts[0] || ""];
  try {
    if (!view) { render("Not found", h("p", {}, "No such page. ", h("a", { href: "#/" }, "Overview"))); return; }
    await view(parts.slice(1), params);
  } catch (err) {
    render("Something went wrong", errorBox(err));
  }
}

/* -- shared pieces ------------------------------------------------------------------ */

function codes(list) { return (list || []).map((e) => e.code || "?").join(" + ") || "—"; }

function actorLinks(list) {
  if (!list || !list.length) return "—";
  const out = [];
  list.forEach((e, i) => {
    if (i) out.push(" + ");
    out.push(h("a", { href: `#/actor/${encodeURIComponent(e.code)}`, title: e.name || e.code }, e.code + (e.sector ? ` ${e.sector}` : "")));
  });
  return out;
}

/* Spans [start, end) of the article text for one event: actors, trigger, recipients. */
function eventSpans(ev) {
  const spans = [];
  for (const a of ev.actor || []) if (a.start_char >= 0 && a.end_char > a.start_char) spans.push({ start: a.start_char, end: a.end_char, cls: "actor", label: `actor ${a.code}` });
  for (const r of ev.recipient || []) if (r.start_char >= 0 && r.end_char > r.start_char) spans.push({ start: r.start_char, end: r.end_char, cls: "recipient", label: `recipient ${r.code}` });
  if (ev.trigger_start >= 0 && ev.trigger_end > ev.trigger_start) spans.push({ start: ev.trigger_start, end: ev.trigger_end, cls: "trigger", label: `${ev.event_type} trigger`, event: ev });
  return spans;
}

/* Text with non-overlapping marks; `offset` is where `text` starts in the article. */
function highlighted(text, offset, spans, linkTriggers) {
  const order = { trigger: 0, actor: 1, recipient: 2 };
  const inside = spans
    .map((s) => ({ ...s, start: s.start - offset, end: s.end - offset }))
    .filter((s) => s.start >= 0 && s.end <= text.length && s.end > s.start)
    .sort((a, b) => a.start - b.start || order[a.cls] - order[b.cls]);
  const out = [];
  let pos = 0;
  for (const s of inside) {
    if (s.start < pos) continue; // overlaps an earlier mark
    if (s.start > pos) out.push(text.slice(pos, s.start));
    const piece = text.slice(s.start, s.end);
    const content = linkTriggers && s.event
      ? h("a", { href: `#/event/${encodeURIComponent(s.event.id)}`, title: `${s.event.event_type} — open the event` }, piece)
      : piece;
    out.push(h("mark", { class: s.cls, title: s.label }, content));
    pos = s.end;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

function evidence(ev) {
  const sentence = ev.sentence || "";
  return h("blockquote", { class: "evidence" }, highlighted(sentence, ev.sentence_start || 0, eventSpans(ev), false));
}

function flags(ev) {
  const f = [];
  for (const k of ["negated", "hypothetical", "future", "historical"]) if (ev[k]) f.push(h("span", { class: "flag" }, k));
  return f;
}

function eventCard(ev) {
  return h("li", { class: "event" },
    h("div", { class: "meta" },
      h("span", {}, ev.date, ev.date_precision && ev.date_precision !== "day" ? ` (${ev.date_precision})` : ""),
      h("span", {}, actorLinks(ev.actor), " → ", actorLinks(ev.recipient)),
      h("span", { class: `type q${ev.quad_class}` }, ev.event_type),
      h("span", { class: "muted" }, `CAMEO ${ev.cameo || "–"} · Goldstein ${fmt(ev.goldstein, 1)} · ${QUAD_LABEL[ev.quad_class] || ""}`),
      flags(ev)),
    evidence(ev),
    h("div", { class: "row" },
      h("a", { href: `#/event/${encodeURIComponent(ev.id)}` }, "Event details"),
      h("a", { href: `#/article/${encodeURIComponent(ev.article_id)}` }, "Article")));
}

const legend = () => h("p", { class: "legend" }, "Highlighted: ",
  h("mark", { class: "actor" }, "actor"), h("mark", { class: "trigger" }, "trigger"), h("mark", { class: "recipient" }, "recipient"));

function table(columns, rows) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell ? c.cell(r) : fmt(r[c.key]))))))));
}

/* An event list with a "more" button that follows next_cursor. */
function eventList(params, emptyText = "No events.") {
  const list = h("ul", { class: "events", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More events");
  const box = h("section", { class: "event-list" }, legend(), list, h("p", {}, more));
  let cursor = null;
  async function load() {
    more.disabled = true;
    try {
      const page = await api(`/events${qs({ ...params, limit: 25, cursor })}`);
      if (!page.events.length && !cursor) list.append(h("li", { class: "muted" }, emptyText));
      for (const ev of page.events) list.append(eventCard(ev));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      announce(`${list.children.length} events shown`);
    } catch (err) {
      box.append(errorBox(err));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  load();
  return box;
}

async function actorOptions() {
  if (!state.actors) {
    try { state.actors = (await api("/actors?limit=500")).actors; } catch (_) { state.actors = []; }
  }
  return h("datalist", { id: "actor-codes" }, state.actors.map((a) => h("option", { value: a.code }, a.name || a.code)));
}

/* -- views -------------------------------------------------------------------------- */

async function overview() {
  const [dyads, tops, recent] = await Promise.all([
    api("/top/dyads?limit=10"), api("/top/actors?limit=10"), api("/events?limit=5")]);
  const hs = state.health;
  render("Overview",
    h("p", {}, `${hs.articles} articles, ${hs.events} events in this store.`),
    h("div", { class: "grid" },
      h("section", { class: "panel" }, h("h2", {}, "Most active dyads"),
        dyads.dyads.length ? table([
          { label: "Dyad", cell: (d) => h("a", { href: `#/dyad${qs({ a: d.source, r: d.target })}` }, `${d.source} → ${d.target}`) },
          { label: "Events", key: "events", num: true },
          { label: "Coop", key: "cooperation", num: true },
          { label: "Conflict", key: "conflict", num: true },
        ], dyads.dyads) : h("p", { class: "muted" }, "No dyads yet.")),
      h("section", { class: "panel" }, h("h2", {}, "Most active actors"),
        tops.actors.length ? table([
          { label: "Actor", cell: (a) => h("a", { href: `#/actor/${encodeURIComponent(a.code)}` }, a.code) },
          { label: "Name", key: "name" },
          { label: "Events", key: "events", num: true },
          { label: "Goldstein", cell: (a) => fmt(a.goldstein_mean, 2), num: true },
        ], tops.actors) : h("p", { class: "muted" }, "No actors yet."))),
    h("h2", {}, "Latest events"),
    h("ul", { class: "events" }, recent.events.map(eventCard)),
    h("p", {}, h("a", { href: "#/events" }, "All events")));
}

function periodRange(period, by) {
  const d = new Date(`${period}T00:00:00Z`);
  const end = new Date(d);
  if (by === "day") end.setUTCDate(end.getUTCDate() + 1);
  else if (by === "week") end.setUTCDate(end.getUTCDate() + 7);
  else if (by === "month") end.setUTCMonth(end.getUTCMonth() + 1);
  else if (by === "quarter") end.setUTCMonth(end.getUTCMonth() + 3);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  end.setUTCDate(end.getUTCDate() - 1);
  return { since: period, until: end.toISOString().slice(0, 10) };
}

async function dyadView(_parts, params) {
  const a = (params.get("a") || "").toUpperCase();
  const r = (params.get("r") || "").toUpperCase();
  const by = PERIODS.includes(params.get("by")) ? params.get("by") : "month";
  const both = params.get("both") === "1";
  const form = h("form", { class: "filters", "aria-label": "Choose a dyad" },
    await actorOptions(),
    h("label", {}, "Actor", h("input", { name: "a", value: a, list: "actor-codes", required: true, autocomplete: "off", placeholder: "USA", pattern: "[\\w\\-]+" })),
    h("label", {}, "Recipient", h("input", { name: "r", value: r, list: "actor-codes", required: true, autocomplete: "off", placeholder: "TUR", pattern: "[\\w\\-]+" })),
    h("label", {}, "Period", h("select", { name: "by" }, PERIODS.map((p) => h("option", { value: p, selected: p === by }, p)))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "both", checked: both }), "both directions"),
    h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    go("/dyad", { a: String(f.get("a")).trim().toUpperCase(), r: String(f.get("r")).trim().toUpperCase(), by: f.get("by"), both: f.get("both") ? "1" : "" });
  });
  if (!a || !r) {
    render("Dyad timeline", h("p", {}, "Pick two actors (entity codes such as USA, TUR, RUS, NATO)."), form);
    return;
  }
  const data = await api(`/dyads/${encodeURIComponent(a)}/${encodeURIComponent(r)}${qs({ by, both: both ? "true" : "" })}`);
  const series = data.series;
  const chart = h("div", { id: "chart", role: "img", "aria-label": `Events between ${a} and ${r} by ${by}: cooperation and conflict counts with the Goldstein mean` });
  const periodBox = h("section", { id: "period-events", "aria-live": "polite" });
  const title = `${a} ${both ? "↔" : "→"} ${r}`;

  function showPeriod(period) {
    const range = periodRange(period, by);
    const lists = [eventList({ actor: a, recipient: r, certain: "true", ...range }, "No events in this period.")];
    if (both) lists.push(h("h3", {}, `${r} → ${a}`), eventList({ actor: r, recipient: a, certain: "true", ...range }, "No events in this period."));
    periodBox.replaceChildren(h("h2", { tabindex: "-1" }, `Events ${range.since} – ${range.until}`), ...lists);
    periodBox.firstChild.focus();
  }

  const total = series.reduce((n, p) => n + p.events, 0);
  render(`Dyad ${title}`, form,
    h("p", {}, `${total} events (negated and hypothetical ones left out) in ${series.length} period(s) of a ${by}. Click a bar, or use a period's button below, to list its events.`),
    chart,
    h("details", { open: !window.Plotly }, h("summary", {}, "Periods as a table"),
      series.length ? table([
        { label: "Period", key: "period" },
        ...QUADS.map((q) => ({ label: q.label, key: q.key, num: true })),
        { label: "Goldstein mean", cell: (p) => fmt(p.goldstein_mean, 2), num: true },
        { label: "Events", cell: (p) => h("button", { type: "button", class: "secondary", onclick: () => showPeriod(p.period), "aria-label": `List the ${p.events} events of ${p.period}` }, `${p.events} events`) },
      ], series) : h("p", { class: "muted" }, "No events for this dyad.")),
    periodBox);

  if (window.Plotly && series.length) {
    const x = series.map((p) => p.period);
    const traces = QUADS.map((q) => ({ type: "bar", name: q.label, x, y: series.map((p) => p[q.key]), marker: { color: q.color } }));
    traces.push({ type: "scatter", mode: "lines+markers", name: "Goldstein mean", x, y: series.map((p) => p.goldstein_mean), yaxis: "y2", line: { color: "#1f4e79", width: 2 } });
    const layout = {
      barmode: "stack", margin: { t: 30, r: 60, b: 40, l: 50 }, legend: { orientation: "h", y: -0.2 },
      yaxis: { title: { text: "events" } },
      yaxis2: { title: { text: "Goldstein mean" }, overlaying: "y", side: "right", range: [-10, 10], zeroline: true },
      xaxis: { type: "category" }, hovermode: "x unified",
    };
    await window.Plotly.newPlot(chart, traces, layout, { displaylogo: false, responsive: true });
    chart.on("plotly_click", (ev) => { if (ev.points && ev.points.length) showPeriod(String(ev.points[0].x).slice(0, 10)); });
    chart.dataset.rendered = "1";
  } else if (!window.Plotly) {
    chart.replaceChildren(h("p", { class: "muted" }, "The chart library is not installed; the periods are listed below."));
  }
}

async function eventsView(_parts, params) {
  const fields = ["actor", "recipient", "type", "since", "until", "text", "object"];
  const current = Object.fromEntries(fields.map((f) => [f, params.get(f) || ""]));
  const form = h("form", { class: "filters", "aria-label": "Filter events" },
    await actorOptions(),
    h("label", {}, "Actor", h("input", { name: "actor", value: current.actor, list: "actor-codes", autocomplete: "off" })),
    h("label", {}, "Recipient", h("input", { name: "recipient", value: current.recipient, list: "actor-codes", autocomplete: "off" })),
    h("label", {}, "Type", h("input", { name: "type", value: current.type, placeholder: "REQUEST" })),
    h("label", {}, "From", h("input", { name: "since", type: "date", value: current.since })),
    h("label", {}, "To", h("input", { name: "until", type: "date", value: current.until })),
    h("label", {}, "Text", h("input", { name: "text", value: current.text })),
    h("label", {}, "Object", h("input", { name: "object", value: current.object, placeholder: "S-400" })),
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    go("/events", Object.fromEntries(fields.map((k) => [k, String(f.get(k) || "").trim()])));
  });
  render("Events", form, eventList(current));
}

async function eventView(parts) {
  const d = await api(`/events/${encodeURIComponent(parts[0] || "")}`);
  const ev = d.event;
  const art = d.article;
  const kv = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
  render(`${ev.event_type}: ${codes(ev.actor)} → ${codes(ev.recipient)}`,
    legend(), evidence(ev),
    h("dl", { class: "kv" },
      kv("Date", `${ev.date} (${ev.date_precision}; ${ev.date_basis}${ev.date_text ? `: “${ev.date_text}”` : ""})`),
      kv("Published", ev.published),
      kv("Actor", actorLinks(ev.actor)), kv("Recipient", actorLinks(ev.recipient)),
      kv("Event", `${ev.event_type} · CAMEO ${ev.cameo} · ${QUAD_LABEL[ev.quad_class] || ""}`),
      kv("Mode / context", `${(ev.mode || []).join(", ") || "–"} / ${(ev.context || []).join(", ") || "–"}`),
      kv("Goldstein / intensity", `${fmt(ev.goldstein, 1)} / ${fmt(ev.intensity, 1)}`),
      kv("Objects", (ev.objects || []).map((o) => `${o.name}${o.origin ? ` (${o.origin})` : ""}`).join(", ") || "–"),
      kv("Factuality", flags(ev).length ? flags(ev) : "factual"),
      kv("Content", ev.content || "–"),
      kv("Confidence", fmt(ev.confidence, 2)),
      kv("Trigger", ev.trigger || "–"),
      kv("Article", h("a", { href: `#/article/${encodeURIComponent(art.id)}`, id: "to-article" }, art.title || art.id)),
      kv("Source", art.url ? h("a", { href: art.url, rel: "noopener noreferrer nofollow", target: "_blank" }, art.url) : (art.source || "–")),
      kv("Coder", `${ev.coder} · ${ev.kb_version}`)),
    h("h2", {}, "Other reports of this event"),
    d.mentions.length ? table([
      { label: "Published", key: "published" },
      { label: "Article", cell: (m) => h("a", { href: `#/article/${encodeURIComponent(m.article_id)}` }, m.title || m.article_id) },
      { label: "Sentence", key: "sentence" },
      { label: "Event", cell: (m) => h("a", { href: `#/event/${encodeURIComponent(m.event_id)}` }, "open") },
    ], d.mentions) : h("p", { class: "muted" }, "No other report."));
}

async function articleView(parts) {
  const d = await api(`/articles/${encodeURIComponent(parts[0] || "")}`);
  const art = d.article;
  const spans = d.events.flatMap(eventSpans);
  render(art.title || art.id,
    h("p", { class: "muted" }, `Published ${art.published} · ${d.events.length} events · `,
      art.url ? h("a", { href: art.url, rel: "noopener noreferrer nofollow", target: "_blank" }, "original") : art.source),
    legend(),
    h("div", { class: "article-text", id: "article-text" }, highlighted(art.text, 0, spans, true)),
    h("h2", {}, "Events in this article"),
    d.events.length ? h("ul", { class: "events" }, d.events.map(eventCard)) : h("p", { class: "muted" }, "No events were coded."));
}

async function articlesView() {
  const list = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More articles");
  let cursor = null;
  async function load() {
    const page = await api(`/articles${qs({ limit: 50, cursor })}`);
    for (const a of page.articles) {
      list.append(h("tr", {}, h("td", {}, a.published), h("td", {}, h("a", { href: `#/article/${encodeURIComponent(a.id)}` }, a.title || a.id)),
        h("td", { class: "num" }, a.events), h("td", {}, a.source || "")));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", load);
  render("Articles", h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Published"), h("th", { scope: "col" }, "Title"), h("th", { scope: "col", class: "num" }, "Events"), h("th", { scope: "col" }, "Source"))),
    list)), h("p", {}, more));
  await load();
}

async function actorsView(_parts, params) {
  const q = params.get("q") || "";
  const form = h("form", { class: "filters", role: "search" },
    h("label", {}, "Code or name", h("input", { name: "q", value: q, type: "search" })), h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => { e.preventDefault(); go("/actors", { q: new FormData(form).get("q") }); });
  const d = await api(`/actors${qs({ q, limit: 200 })}`);
  render("Actors", form, d.actors.length ? table([
    { label: "Code", cell: (a) => h("a", { href: `#/actor/${encodeURIComponent(a.code)}` }, a.code) },
    { label: "Name", key: "name" },
    { label: "Events", key: "events", num: true },
    { label: "As actor", key: "as_actor", num: true },
    { label: "As recipient", key: "as_recipient", num: true },
  ], d.actors) : h("p", { class: "muted" }, "No actor matches."));
}

async function actorView(parts) {
  const code = (parts[0] || "").toUpperCase();
  const d = await api(`/actors/${encodeURIComponent(code)}`);
  render(`${d.code} — ${d.name}`,
    h("p", {}, `${d.events} events: ${d.as_actor} as actor, ${d.as_recipient} as recipient. `,
      h("a", { href: `#/events${qs({ actor: d.code })}` }, "Its events")),
    h("div", { class: "grid" },
      h("section", { class: "panel" }, h("h2", {}, "Resolution"),
        d.resolution.length ? table([{ label: "Knowledge entry", key: "kb_key" }, { label: "Name", key: "name" }, { label: "Kind", key: "kind" }, { label: "CAMEO", key: "cameo" }], d.resolution)
          : h("p", { class: "muted" }, "Not in the knowledge base."),
        h("h3", {}, "Seen in the text as"),
        d.surfaces.length ? table([{ label: "Text", key: "text" }, { label: "Office", key: "office" }, { label: "Mentions", key: "mentions", num: true }], d.surfaces)
          : h("p", { class: "muted" }, "Not seen in the store yet.")),
      h("section", { class: "panel" }, h("h2", {}, "Top partners"),
        d.partners.length ? table([
          { label: "Partner", cell: (p) => h("a", { href: `#/dyad${qs({ a: d.code, r: p.code, both: "1" })}` }, p.code) },
          { label: "Events", key: "events", num: true },
          { label: "Sent", key: "sent", num: true },
          { label: "Received", key: "received", num: true },
          { label: "Coop", key: "cooperation", num: true },
          { label: "Conflict", key: "conflict", num: true },
        ], d.partners) : h("p", { class: "muted" }, "No partners yet."))),
    h("h2", {}, "Office history"),
    d.offices.length ? table([
      { label: "Person", key: "name" },
      { label: "Offices", cell: (p) => p.terms.map((t) => `${t.office} (${t.sector || "–"}) ${t.start || "?"} – ${t.end || "now"}`).join("; ") },
    ], d.offices) : h("p", { class: "muted" }, "No office-holders of this actor in the knowledge base."));
}

async function alertsView(_parts, params) {
  const by = PERIODS.includes(params.get("by")) ? params.get("by") : "month";
  const d = await api(`/alerts${qs({ by })}`);
  const form = h("form", { class: "filters" },
    h("label", {}, "Period", h("select", { name: "by" }, PERIODS.map((p) => h("option", { value: p, selected: p === by }, p)))),
    h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => { e.preventDefault(); go("/alerts", { by: new FormData(form).get("by") }); });
  const cols = d.alerts.length ? Object.keys(d.alerts[0]) : [];
  render("Alerts", form,
    h("p", {}, "Dyad-periods whose conflict share or Goldstein mean left their recent range."),
    d.alerts.length ? table(cols.map((k) => ({ label: k, key: k, num: typeof d.alerts[0][k] === "number" })), d.alerts)
      : h("p", { class: "muted" }, "No alerts."));
}

async function ingestView() {
  const hs = state.health;
  if (hs.writes === "disabled") {
    render("Ingest", h("p", {}, "This server is read-only."));
    return;
  }
  const result = h("section", { id: "ingest-result", "aria-live": "polite" });
  const tokenField = hs.writes === "token"
    ? h("label", {}, "Token", h("input", { type: "password", name: "token", autocomplete: "off", value: sessionStorage.getItem("detente-token") || "" }))
    : null;
  const today = new Date().toISOString().slice(0, 10);

  function saveToken(form) {
    if (tokenField) sessionStorage.setItem("detente-token", String(new FormData(form).get("token") || ""));
  }

  function show(summary) {
    const links = (summary.article_ids || []).map((id) => h("li", {}, h("a", { href: `#/article/${encodeURIComponent(id)}` }, `Article ${id}`)));
    result.replaceChildren(h("div", { class: "panel", role: "status" },
      h("p", {}, `${summary.articles} new article(s), ${summary.duplicates} already stored, ${summary.events} events, ${summary.rejected} rejected.`),
      links.length ? h("ul", {}, links) : null));
    state.actors = null;
    refreshHealth();
  }

  async function submit(form, request) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.replaceChildren(h("p", {}, "Coding… (the first request loads the language model)"));
    try {
      saveToken(form);
      show(await request());
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  const paste = h("form", { class: "stack", id: "paste-form", "aria-labelledby": "paste-h" },
    h("h2", { id: "paste-h" }, "Paste an article"),
    h("label", {}, "Title", h("input", { name: "title", maxlength: 1000 })),
    h("label", {}, "Publication date", h("input", { name: "date", type: "date", value: today, required: true })),
    h("label", {}, "Text", h("textarea", { name: "text", required: true, maxlength: 2000000 })),
    tokenField ? tokenField.cloneNode(true) : null,
    h("div", {}, h("button", { type: "submit" }, "Ingest text")));
  paste.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(paste);
    submit(paste, () => api("/ingest", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ articles: [{ title: f.get("title"), date: f.get("date"), text: f.get("text") }] }) }));
  });

  const upload = h("form", { class: "stack", id: "upload-form", "aria-labelledby": "upload-h" },
    h("h2", { id: "upload-h" }, "Upload a file"),
    h("label", {}, "File (text, JSONL, CSV, HTML, RSS/Atom)", h("input", { name: "file", type: "file", required: true })),
    h("label", {}, "Format", h("select", { name: "format" }, h("option", { value: "" }, "detect"),
      ["dated", "text", "jsonl", "csv", "html", "feed"].map((x) => h("option", { value: x }, x)))),
    h("label", {}, "Date for articles that give none", h("input", { name: "date", type: "date" })),
    tokenField ? tokenField.cloneNode(true) : null,
    h("div", {}, h("button", { type: "submit" }, "Upload and ingest")));
  upload.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(upload);
    const body = new FormData();
    body.set("file", f.get("file"));
    if (f.get("format")) body.set("format", f.get("format"));
    if (f.get("date")) body.set("date", f.get("date"));
    submit(upload, () => api("/ingest/upload", { method: "POST", body }));
  });

  render("Ingest", h("p", {}, "Articles are coded on the server and stored; each is stored once (by content)."),
    h("div", { class: "grid" }, paste, upload), result);
}

/* -- start -------------------------------------------------------------------------- */

async function refreshHealth() {
  state.health = await api("/health");
  document.getElementById("nav-ingest").hidden = state.health.writes === "disabled";
  document.getElementById("footer-counts").textContent = `${state.health.articles} articles · ${state.health.events} events · writes ${state.health.writes}`;
}

async function start() {
  try {
    await refreshHealth();
  } catch (err) {
    render("The API does not answer", errorBox(err));
    return;
  }
  window.addEventListener("hashchange", route);
  await route();
  document.body.dataset.ready = "1";
}

start();
