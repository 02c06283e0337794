// Rediscover search page: reads filters, calls /api/v1, renders facets, rows and a person view.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const state = { picked: { rejection_reasons: new Set(), sources: new Set(), job_ids: new Set(), tags: new Set() }, cursor: null, query: "" };

function token() { return localStorage.getItem("rediscover.token") || ""; }

function initToken() {
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) { localStorage.setItem("rediscover.token", fromUrl); history.replaceState(null, "", location.pathname); }
  $("#token-form").hidden = !!token();
  $("#forget").hidden = !token();
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem("rediscover.token", $("#token").value.trim());
    initToken(); run();
  });
  $("#forget").addEventListener("click", () => { localStorage.removeItem("rediscover.token"); initToken(); });
}

async function api(path, body) {
  const res = await fetch("/api/v1" + path, {
    method: body ? "POST" : "GET",
    headers: { "Authorization": "Bearer " + token(), "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) { const err = data.error || {}; throw new Error((err.field ? err.field + ": " : "") + (err.message || res.statusText)); }
  return data;
}

function filters() {
  const form = $("#filters"), out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") { if (el.checked) out[el.name] = true; }
    else if (el.value.trim()) out[el.name] = el.type === "number" ? Number(el.value) : el.value.trim();
  }
  for (const [key, set] of Object.entries(state.picked)) if (set.size) out[key] = [...set];
  return out;
}

// "milestone +50 · consensus +42 …": the per-factor points behind a best-match score.
function contributionsText(r) {
  return Object.entries(r.contributions || {}).map(([k, v]) => `${k} ${v >= 0 ? "+" : ""}${v}`).join(" · ") + ` = ${r.score}`;
}

function evaluationItem(e) {
  const result = e.percent != null ? ` ${e.percent}%` : "";
  return el("li", {}, `${e.kind.replace("_", " ")} (${e.provider}): ${e.status}${result} `,
    e.result_url ? el("a", { href: e.result_url, target: "_blank", rel: "noopener" }, "result") : "");
}

function text(value) { return value == null || value === "" ? "—" : String(value); }
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "class" ? node.className = v : node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(text(c)));
  return node;
}

function renderRows(page, append) {
  const body = $("#table tbody");
  if (!append) body.replaceChildren();
  for (const r of page.results) {
    const cards = r.scorecards;
    const tr = el("tr", { tabindex: "0", "data-id": r.person_id },
      el("td", {}, el("strong", {}, r.name), el("br"), el("small", {}, (r.emails || []).join(", ")),
        ...(r.why ? [el("br"), el("small", { class: "muted", title: contributionsText(r) }, r.why)] : [])),
      el("td", {}, [r.title, r.company].filter(Boolean).join(" · ") || "—"),
      el("td", {}, r.last_in_process ? r.last_in_process.slice(0, 10) : "—"),
      el("td", {}, r.source), el("td", {}, r.stage ? `${r.stage} (${r.milestone || "?"})` : "—"),
      el("td", {}, r.rejection_reason),
      el("td", { class: "cards" }, `+${cards.positive} −${cards.negative}` + (cards.strong_no ? " ⚠ strong no" : "")),
      el("td", {}, (r.origins || []).join(", ")));
    tr.addEventListener("click", () => openPerson(r.person_id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openPerson(r.person_id); });
    body.append(tr);
  }
  state.cursor = page.next_cursor;
  $("#more").hidden = !page.next_cursor;
}

function renderFacets(facets) {
  for (const list of document.querySelectorAll("ul.facet")) {
    const name = list.dataset.facet, key = list.dataset.filter;
    list.replaceChildren();
    for (const f of (facets[name] || []).slice(0, 12)) {
      const li = el("li", {}, el("span", {}, f.label), el("span", { class: "count" }, f.count));
      if (key) {
        const picked = state.picked[key].has(key === "job_ids" ? Number(f.value) : f.value);
        li.classList.toggle("on", picked);
        li.tabIndex = 0;
        const toggle = () => {
          const v = key === "job_ids" ? Number(f.value) : f.value, set = state.picked[key];
          set.has(v) ? set.delete(v) : set.add(v); run();
        };
        li.addEventListener("click", toggle);
        li.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      }
      list.append(li);
    }
  }
}

async function run(append = false) {
  if (!token()) { $("#status").textContent = "Enter an API token (rediscover users add … prints one)."; return; }
  const body = filters();
  state.query = body.query || "";
  if (append && state.cursor) body.cursor = state.cursor;
  $("#status").textContent = "Searching…";
  try {
    const [page, facets] = await Promise.all([api("/search", body), append ? null : api("/facets", filters())]);
    renderRows(page, append);
    if (facets) renderFacets(facets.facets);
    $("#status").textContent = `${page.total}${page.total_is_lower_bound ? "+" : ""} people`;
  } catch (err) { $("#status").textContent = err.message; }
}

function highlight(textValue, query) {
  const words = (query.match(/"[^"]+"|[\p{L}\p{N}]+\*?/gu) || [])
    .filter((w) => !["AND", "OR", "NOT"].includes(w)).map((w) => w.replace(/"/g, "").replace(/\*$/, ""));
  const frag = document.createDocumentFragment();
  if (!words.length) { frag.append(textValue); return frag; }
  const re = new RegExp("(" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "giu");
  let last = 0;
  for (const m of textValue.matchAll(re)) {
    frag.append(textValue.slice(last, m.index), el("mark", {}, m[0])); last = m.index + m[0].length;
  }
  frag.append(textValue.slice(last));
  return frag;
}

async function openPerson(id) {
  const pane = $("#person");
  pane.hidden = false;
  pane.replaceChildren(el("p", {}, "Loading…"));
  try {
    const p = await api(`/people/${id}`);
    const apps = p.applications.map((a) => el("section", { class: "app" },
      el("h3", {}, `${a.job_title || "—"} · ${a.status}`),
      el("p", {}, `Furthest: ${text(a.stage)} (${text(a.milestone)}) · Rejection: ${text(a.rejection_reason)} · Source: ${text((a.sources || [])[0])}`),
      el("p", {}, `Last activity ${a.last_activity_at ? a.last_activity_at.slice(0, 10) : "—"}` + (a.url ? " · " : ""), a.url ? el("a", { href: a.url, target: "_blank", rel: "noopener" }, "open in ATS") : ""),
      el("ul", {}, ...(a.scorecards || []).map((s) => el("li", {}, `${text(s.interviewer)}: ${text(s.recommendation)} (${s.status}) ${text(s.stage)}`))),
      el("ul", { class: "evaluations" }, ...(a.evaluations || []).map(evaluationItem))));
    const resume = el("pre", { class: "resume" });
    resume.append(highlight(p.resume_text || "(no resume text)", state.query));
    pane.replaceChildren(el("button", { class: "link close" }, "Close ✕"), el("h2", {}, p.name),
      el("p", {}, [p.title, p.company].filter(Boolean).join(" · ")), el("p", {}, (p.emails || []).join(", ")),
      el("p", { class: "muted" }, `From ${(p.origins || []).join(", ")}; data as of ${p.as_of ? p.as_of.slice(0, 16).replace("T", " ") : "—"}`),
      ...(p.best_match ? [el("p", { title: contributionsText(p.best_match) }, `Why: ${p.best_match.why}`)] : []),
      ...apps, el("h3", {}, "Resume"), resume);
    $(".close", pane).addEventListener("click", () => { pane.hidden = true; });
    pane.focus();
  } catch (err) { pane.replaceChildren(el("p", {}, err.message)); }
}

document.addEventListener("DOMContentLoaded", () => {
  initToken();
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("#filters").addEventListener("change", (e) => { if (e.target.name !== "query") run(); });
  $("#more").addEventListener("click", () => run(true));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("#person").hidden = true; });
  run();
});
