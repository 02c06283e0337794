// Admin page: users, connection switches, stage → milestone maps, audit trail (via /api/v1/admin).
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const CSRF = $('meta[name="csrf-token"]').content;

async function api(path, json, method) {
  const res = await fetch("/api/v1/admin" + path, {
    method: method || (json ? "POST" : "GET"), credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
    body: json ? JSON.stringify(json) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error((data.error.field ? data.error.field + ": " : "") + data.error.message);
  return data;
}
function cell(...children) { const td = document.createElement("td"); td.append(...children.map((c) => c ?? "—")); return td; }
function row(...cells) { const tr = document.createElement("tr"); tr.append(...cells); return tr; }

async function loadUsers() {
  const { users } = await api("/users");
  $("#users tbody").replaceChildren(...users.map((u) => {
    const role = document.createElement("select");
    for (const r of ["recruiter", "admin"]) role.append(new Option(r, r, false, u.role === r));
    role.addEventListener("change", () => api(`/users/${u.id}`, { role: role.value }, "PATCH").catch(alert));
    const active = document.createElement("input"); active.type = "checkbox"; active.checked = u.active;
    active.addEventListener("change", () => api(`/users/${u.id}`, { active: active.checked }, "PATCH").catch(alert));
    return row(cell(u.email), cell(u.name || "—"), cell(role), cell(active), cell(u.has_password ? "set" : "none"),
      cell(Object.entries(u.ats_identities).map(([c, id]) => `#${c}: ${id}`).join(", ") || "—"));
  }));
}

async function addUser(e) {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target)), ats = {};
  for (const [k, v] of Object.entries(data)) if (k.startsWith("ats:")) { if (v) ats[k.slice(4)] = v; delete data[k]; }
  if (!data.password) delete data.password;
  try {
    const user = await api("/users", { ...data, ats_identities: ats });
    $("#user-result").textContent = `Added ${user.email}. API token (shown once): ${user.api_token}`;
    e.target.reset(); loadUsers();
  } catch (err) { $("#user-result").textContent = err.message; }
}

async function loadStages(details) {
  const { stages } = await api(`/connections/${details.dataset.id}/stages`);
  details.querySelector("tbody").replaceChildren(...stages.map((s) => {
    const sel = document.createElement("select");
    sel.append(new Option("— none —", ""));
    for (const [value, label] of window.MILESTONES) sel.append(new Option(label, value, false, s.milestone === value));
    const source = document.createTextNode(s.source);
    sel.addEventListener("change", async () => {
      try { await api(`/stages/${s.id}`, { milestone: sel.value || null }, "PATCH"); source.textContent = "admin"; }
      catch (err) { alert(err.message); }
    });
    return row(cell(s.job || "all jobs"), cell(s.name + (s.active ? "" : " (inactive)")), cell(sel), cell(source));
  }));
}

async function loadAudit() {
  const action = $("#audit-action").value;
  const { events } = await api("/audit?limit=200" + (action ? "&action=" + action : ""));
  $("#audit tbody").replaceChildren(...events.map((e) => {
    const d = { ...e.details };
    for (const k of ["added", "people"]) if (Array.isArray(d[k])) d[k] = `${d[k].length} people [${d[k].slice(0, 10).join(", ")}${d[k].length > 10 ? ", …" : ""}]`;
    return row(cell(e.at.slice(0, 19).replace("T", " ")), cell(e.user), cell(e.action), cell(e.target), cell(JSON.stringify(d)));
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  loadUsers(); loadAudit();
  $("#user-form").addEventListener("submit", addUser);
  $("#audit-action").addEventListener("change", loadAudit);
  for (const details of document.querySelectorAll("details.conn")) {
    details.addEventListener("toggle", () => { if (details.open) loadStages(details); });
    details.querySelector(".enabled").addEventListener("change", (e) =>
      api(`/connections/${details.dataset.id}`, { enabled: e.target.checked }, "PATCH").catch((err) => alert(err.message)));
  }
});
