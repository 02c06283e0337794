// Rediscover search page: filters, facets, rows, person view and bulk add (session cookie + CSRF).
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const CSRF = $('meta[name="csrf-token"]').content;
const state = {
  picked: { rejection_reasons: new Set(), sources: new Set(), job_ids: new Set(), tags: new Set(), countries: new Set() },
  jobLabels: new Map(), cursor: null, query: "", total: 0, selected: new Set(), allMatching: false,
  lastFilters: {},
};

async function api(path, body, method) {
  const res = await fetch("/api/v1" + path, {
    method: method || (body ? "POST" : "GET"), credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF, ...(body && body.headers) },
    body: body ? JSON.stringify(body.json ?? body) : undefined,
  });
  if (res.status === 401) { location.href = "/login?next=/"; throw new Error("Please log in again."); }
  const data = await res.json();
  if (!res.ok) { const err = data.error || {}; throw new Error((err.field ? err.field + ": " : "") + (err.message || res.statusText)); }
  return data;
}

function filters() {
  const out = {};
  for (const el of $("#filters").elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") { if (el.checked) out[el.name] = true; }
    else if (el.value.trim()) out[el.name] = el.name === "scorecard_ratio" ? Number(el.value) : el.value.trim();
  }
  for (const [key, set] of Object.entries(state.picked)) if (set.size) out[key] = [...set];
  if (!out.near) delete out.radius;  // a radius means nothing without a place
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
  for (const c of children) if (c !== "") node.append(c instanceof Node ? c : document.createTextNode(text(c)));
  return node;
}
const day = (iso) => iso ? iso.slice(0, 10) : "—";
const MILESTONE = { application_review: "Review", recruiter_screen: "Recruiter screen", hiring_manager_screen: "HM screen", assessment: "Assessment", onsite: "Onsite", offer: "Offer" };

// ------------------------------------------------------------------ results

function renderRows(page, append) {
  const body = $("#table tbody");
  if (!append) body.replaceChildren();
  for (const r of page.results) {
    const c = r.scorecards;
    const box = el("input", { type: "checkbox", "aria-label": "Select " + r.name });
    box.checked = state.allMatching || state.selected.has(r.person_id);
    box.addEventListener("click", (e) => { e.stopPropagation(); toggleSelect(r.person_id, box.checked); });
    const tr = el("tr", { tabindex: "0", "data-id": r.person_id },
      el("td", { class: "sel" }, box),
      el("td", {}, el("strong", {}, r.name), el("br"), el("small", {}, (r.emails || [])[0] || ""),
        ...(r.why ? [el("br"), el("small", { class: "muted why", title: contributionsText(r) }, r.why)] : [])),
      el("td", {}, r.title || "—", el("br"), el("small", {}, r.company || "")),
      el("td", { class: "num" }, day(r.last_in_process)),
      el("td", {}, r.source),
      el("td", {}, r.stage || "—", el("br"), el("small", {}, MILESTONE[r.milestone] || "")),
      el("td", {}, r.rejection_reason),
      el("td", { class: "cards" }, el("span", { class: "pos", title: "positive" }, "+" + c.positive), " ",
        el("span", { class: "neg", title: "negative" }, "−" + c.negative), " ",
        el("span", { class: c.strong_no ? "sn on" : "sn", title: "strong no" }, "✕" + c.strong_no)),
      el("td", {}, (r.origins || []).join(", ")));
    tr.addEventListener("click", () => openPerson(r.person_id));
    body.append(tr);
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "9", class: "empty" }, "No one matches these filters.")));
  state.cursor = page.next_cursor;
  $("#more").hidden = !page.next_cursor;
}

function renderFacets(facets) {
  for (const list of $$("ul.facet")) {
    const name = list.dataset.facet, key = list.dataset.filter;
    list.replaceChildren();
    for (const f of (facets[name] || []).slice(0, 12)) {
      const value = key === "job_ids" ? Number(f.value) : f.value;
      if (key === "job_ids") state.jobLabels.set(value, f.label);
      const label = name === "milestone" ? (MILESTONE[f.label] || MILESTONE[f.value] || f.label) : f.label;
      const li = el("li", {}, el("span", {}, label), el("span", { class: "count" }, f.count));
      if (key) {
        li.classList.toggle("on", state.picked[key].has(value));
        li.tabIndex = 0; li.setAttribute("role", "checkbox"); li.setAttribute("aria-checked", String(state.picked[key].has(value)));
        const toggle = () => { const set = state.picked[key]; set.has(value) ? set.delete(value) : set.add(value); renderChips(); run(); };
        li.addEventListener("click", toggle);
        li.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      }
      list.append(li);
    }
  }
}

async function run(append = false) {
  const body = filters();
  state.query = body.query || "";
  if (!append) { state.selected.clear(); state.allMatching = false; state.lastFilters = body; }
  const req = { ...body, limit: 50 };
  if (append && state.cursor) req.cursor = state.cursor;
  $("#status").textContent = "Searching…";
  try {
    const [page, facets] = await Promise.all([api("/search", req), append ? null : api("/facets", body)]);
    renderRows(page, append);
    if (facets) renderFacets(facets.facets);
    state.total = page.total;
    $("#status").textContent = `${page.total}${page.total_is_lower_bound ? "+" : ""} people`;
    renderSelection();
  } catch (err) { $("#status").textContent = err.message; }
}

// ------------------------------------------------------------------ job autocomplete

let jobTimer = null, jobActive = -1;
function renderChips() {
  const box = $("#job-chips"); box.replaceChildren();
  for (const id of state.picked.job_ids) {
    const chip = el("button", { type: "button", class: "chip", title: "Remove" }, (state.jobLabels.get(id) || "Job " + id) + " ✕");
    chip.addEventListener("click", () => { state.picked.job_ids.delete(id); renderChips(); run(); });
    box.append(chip);
  }
}
async function suggestJobs() {
  const q = $("#job-input").value.trim(), list = $("#job-suggest");
  if (!q) { list.hidden = true; $("#job-input").setAttribute("aria-expanded", "false"); return; }
  const { jobs } = await api("/jobs?q=" + encodeURIComponent(q) + "&limit=8");
  list.replaceChildren(); jobActive = -1;
  for (const j of jobs) {
    const label = j.title + (j.requisition_id ? ` (${j.requisition_id})` : "");
    const li = el("li", { role: "option", "data-id": j.id }, label, j.confidential ? el("small", {}, " confidential") : "");
    li.addEventListener("mousedown", (e) => { e.preventDefault(); pickJob(j.id, label); });
    list.append(li);
  }
  if (!jobs.length) list.append(el("li", { class: "muted" }, "No job matches"));
  list.hidden = false; $("#job-input").setAttribute("aria-expanded", "true");
}
function pickJob(id, label) {
  state.jobLabels.set(id, label); state.picked.job_ids.add(id);
  $("#job-input").value = ""; $("#job-suggest").hidden = true; renderChips(); run();
}
function jobKeys(e) {
  const items = $$("#job-suggest li[data-id]");
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault(); if (!items.length) return;
    jobActive = (jobActive + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
    items.forEach((li, i) => li.classList.toggle("active", i === jobActive));
  } else if (e.key === "Enter") {
    e.preventDefault(); const li = items[Math.max(jobActive, 0)];
    if (li) pickJob(Number(li.dataset.id), li.firstChild.textContent);
  } else if (e.key === "Escape") { $("#job-suggest").hidden = true; }
}

// ------------------------------------------------------------------ selection and bulk add

function toggleSelect(id, on) {
  if (state.allMatching) { state.allMatching = false; for (const tr of $$("#table tbody tr[data-id]")) state.selected.add(Number(tr.dataset.id)); }
  on ? state.selected.add(id) : state.selected.delete(id);
  renderSelection();
}
function renderSelection() {
  const n = state.allMatching ? state.total : state.selected.size;
  $("#actions").hidden = state.total === 0;
  $("#selection").textContent = n ? `${n} selected` : "Select rows to act on them";
  $("#select-all").textContent = state.allMatching ? "Clear selection" : `Select all ${state.total} matching`;
  $("#add").disabled = n === 0;
  for (const tr of $$("#table tbody tr[data-id]")) $("input", tr).checked = state.allMatching || state.selected.has(Number(tr.dataset.id));
  const rows = $$("#table tbody tr[data-id]");
  $("#check-page").checked = rows.length > 0 && rows.every((tr) => $("input", tr).checked);
}
async function loadTargets(selectId) {
  const { sequences } = await api("/sequences");
  const sel = $("#target"); sel.replaceChildren();
  for (const s of sequences) sel.append(el("option", { value: s.id }, `${s.name} (${s.kind}, ${s.people})`));
  if (!sequences.length) sel.append(el("option", { value: "" }, "no sequences yet — New…"));
  if (selectId) sel.value = String(selectId);
}
async function bulkAdd() {
  const target = $("#target").value;
  if (!target) { $("#seq-dialog").showModal(); return; }
  const json = state.allMatching ? { filters: state.lastFilters } : { person_ids: [...state.selected] };
  const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  const report = $("#report"); report.hidden = false;
  report.replaceChildren(el("p", {}, "Starting…"));
  $("#add").disabled = true;
  try {
    let body;
    for (let attempt = 0; ; attempt++) {  // a retry after a network error reuses the key: nobody is added twice
      try { body = await api(`/sequences/${target}/enrollments`, { json, headers: { "Idempotency-Key": key } }); break; }
      catch (err) { if (attempt >= 2 || !(err instanceof TypeError)) throw err; }
    }
    let job = body.job;
    while (job.status === "queued" || job.status === "running") {
      renderReport(job); await new Promise((r) => setTimeout(r, 400));
      job = (await api(`/bulk-jobs/${job.id}`)).job;
    }
    renderReport(job); loadTargets(target);
  } catch (err) { report.replaceChildren(el("p", { class: "error" }, err.message)); }
  $("#add").disabled = false;
}
const REASONS = { not_found: "not found", private: "private in the ATS", hired: "hired", no_applications: "no applications", active: "in process now", confidential: "confidential job" };
function renderReport(job) {
  const pct = job.total ? Math.round(100 * job.processed / job.total) : 0;
  const done = job.status === "done", reasons = Object.entries(job.skipped_reasons || {});
  $("#report").replaceChildren(
    el("div", { class: "report-head" }, el("strong", {}, done ? "Done" : job.status === "failed" ? "Failed" : `Adding… ${job.processed} / ${job.total}`),
      el("button", { type: "button", class: "link", onclick: "this.closest('.report').hidden = true" }, "Dismiss")),
    el("progress", { max: "100", value: String(done ? 100 : pct) }),
    el("ul", { class: "outcome" },
      el("li", { class: "added" }, el("b", {}, job.added), " added"),
      el("li", { class: "already" }, el("b", {}, job.already_there), " already there"),
      el("li", { class: "skipped" }, el("b", {}, job.skipped), " skipped" + (reasons.length ? ": " + reasons.map(([r, n]) => `${n} ${REASONS[r] || r}`).join(", ") : ""))),
    job.error ? el("p", { class: "error" }, job.error) : "");
}
async function createSequence(form) {
  const data = Object.fromEntries(new FormData(form));
  if (!data.webhook_url) delete data.webhook_url;
  const seq = await api("/sequences", data);
  await loadTargets(seq.id);
  return seq;
}

// ------------------------------------------------------------------ person view

function highlight(textValue, query) {
  const words = (query.match(/"[^"]+"|[\p{L}\p{N}]+\*?/gu) || [])
    .filter((w) => !["AND", "OR", "NOT"].includes(w)).map((w) => w.replace(/"/g, "").replace(/\*$/, ""));
  const frag = document.createDocumentFragment();
  if (!words.length) { frag.append(textValue); return frag; }
  const re = new RegExp("(" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "giu");
  let last = 0;
  for (const m of textValue.matchAll(re)) { frag.append(textValue.slice(last, m.index), el("mark", {}, m[0])); last = m.index + m[0].length; }
  frag.append(textValue.slice(last));
  return frag;
}
function application(a) {
  const counts = a.scorecard_counts;
  return el("section", { class: "app" },
    el("h3", {}, highlight(a.job_title || "—", state.query), " ", el("span", { class: "badge " + a.status }, a.status === "open" ? "in process" : a.status)),
    el("dl", {},
      el("dt", {}, "Furthest stage"), el("dd", {}, `${text(a.stage)} (${MILESTONE[a.milestone] || "—"})`),
      el("dt", {}, "Rejection"), el("dd", {}, text(a.rejection_reason) + (a.rejection_note ? ` — ${a.rejection_note}` : "")),
      el("dt", {}, "Source"), el("dd", {}, text((a.sources || [])[0])),
      el("dt", {}, "Applied / last activity"), el("dd", {}, `${day(a.applied_at)} / ${day(a.last_activity_at)}`),
      el("dt", {}, "Scorecards"), el("dd", {}, `+${counts.positive} −${counts.negative} strong no ${counts.strong_no}`)),
    a.stages.length ? el("ol", { class: "stages", "aria-label": "Stage history" }, ...a.stages.map((s) => el("li", {}, el("span", {}, text(s.stage)), el("small", {}, day(s.entered_at))))) : "",
    a.scorecards.length ? el("ul", { class: "scorecards" }, ...a.scorecards.map((s) => el("li", {}, el("span", { class: "rec " + (s.recommendation || "") }, text(s.recommendation).replace("_", " ")), ` ${text(s.interviewer)}` + (s.stage ? ` · ${s.stage}` : "") + (s.status !== "submitted" ? ` (${s.status})` : "")))) : "",
    (a.evaluations || []).length ? el("ul", { class: "evaluations" }, ...a.evaluations.map(evaluationItem)) : "",
    a.url ? el("a", { href: a.url, target: "_blank", rel: "noopener" }, "Open in ATS ↗") : "");
}
async function openPerson(id) {
  const pane = $("#person");
  pane.hidden = false; pane.replaceChildren(el("p", {}, "Loading…"));
  try {
    const p = await api(`/people/${id}`);
    const resume = el("pre", { class: "resume" }); resume.append(highlight(p.resume_text || "(no resume text)", state.query));
    const close = el("button", { class: "link close", type: "button" }, "Close ✕ (Esc)");
    close.addEventListener("click", closePerson);
    pane.replaceChildren(close, el("h2", {}, p.name),
      el("p", {}, [p.title, p.company].filter(Boolean).join(" · ") || "—"),
      el("p", {}, (p.emails || []).join(", "), p.location ? " · " + p.location : ""),
      p.tags.length ? el("p", { class: "tags" }, ...p.tags.map((t) => el("span", { class: "chip" }, t))) : "",
      el("p", { class: "muted" }, `From ${(p.origins || []).join(", ")} · data as of ${p.as_of ? p.as_of.slice(0, 16).replace("T", " ") : "—"} UTC`),
      ...(p.best_match ? [el("p", { title: contributionsText(p.best_match) }, `Why: ${p.best_match.why}`)] : []),
      el("h3", {}, `Applications (${p.applications.length})`), ...p.applications.map(application),
      el("h3", {}, "Resume"), resume);
    pane.focus();
    const hit = $("mark", resume); if (hit) hit.scrollIntoView({ block: "center" });
    pane.scrollTop = 0;
  } catch (err) { pane.replaceChildren(el("p", { class: "error" }, err.message)); }
}
function closePerson() { $("#person").hidden = true; const tr = $("#table tbody tr.cursor"); if (tr) tr.focus(); }

// ------------------------------------------------------------------ keyboard

function moveCursor(delta) {
  const rows = $$("#table tbody tr[data-id]"); if (!rows.length) return;
  const i = rows.findIndex((tr) => tr.classList.contains("cursor"));
  const next = rows[Math.min(Math.max(i + delta, 0), rows.length - 1)];
  rows.forEach((tr) => tr.classList.remove("cursor")); next.classList.add("cursor"); next.focus();
}
function keys(e) {
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
  if (e.key === "Escape") { if (!$("#person").hidden) closePerson(); else if (typing) e.target.blur(); return; }
  if (typing || e.metaKey || e.ctrlKey || e.altKey) return;
  const row = document.activeElement.closest && document.activeElement.closest("tr[data-id]");
  if (e.key === "/") { e.preventDefault(); $('input[name="query"]').focus(); }
  else if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); moveCursor(1); }
  else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); moveCursor(-1); }
  else if (e.key === "x" && row) { const id = Number(row.dataset.id); toggleSelect(id, !(state.allMatching || state.selected.has(id))); }
  else if (e.key === "Enter" && row) openPerson(Number(row.dataset.id));
}

document.addEventListener("DOMContentLoaded", () => {
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("#filters").addEventListener("change", (e) => { if (e.target.name && e.target.name !== "query") run(); });
  $("#reset").addEventListener("click", () => { $("#filters").reset(); for (const s of Object.values(state.picked)) s.clear(); renderChips(); run(); });
  $("#more").addEventListener("click", () => run(true));
  $("#job-input").addEventListener("input", () => { clearTimeout(jobTimer); jobTimer = setTimeout(suggestJobs, 150); });
  $("#job-input").addEventListener("keydown", jobKeys);
  $("#job-input").addEventListener("blur", () => setTimeout(() => { $("#job-suggest").hidden = true; }, 100));
  $("#select-all").addEventListener("click", () => { state.allMatching = !state.allMatching; state.selected.clear(); renderSelection(); });
  $("#check-page").addEventListener("change", (e) => {
    const on = e.target.checked;  // read once: each toggle re-renders the header box
    for (const tr of $$("#table tbody tr[data-id]")) toggleSelect(Number(tr.dataset.id), on);
  });
  $("#add").addEventListener("click", bulkAdd);
  $("#new-seq").addEventListener("click", () => $("#seq-dialog").showModal());
  $("#seq-form").addEventListener("submit", async (e) => {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    try { await createSequence(e.target); e.target.reset(); $("#seq-error").hidden = true; $("#seq-dialog").close(); }
    catch (err) { $("#seq-error").textContent = err.message; $("#seq-error").hidden = false; }
  });
  document.addEventListener("keydown", keys);
  loadTargets().catch(() => {});
  run();
});
