// rla ui: the pages (Runs, Curves, One run, Compare) over the JSON API of RLA.ui.app.
"use strict";
const $ = sel => document.querySelector(sel);
const state = {filter: "", total: 0, pages: new Map(), loading: new Set(), snapshot: null, rowHeight: 0, paramKeys: [],
               metricKeys: [], columns: [], selected: new Set(), sort: {key: "index", desc: false}, refresh: null,
               metrics: [], curveBody: null, curveScope: null, drawTicket: 0};

// The token `rla ui` printed in the page's address (?token=...): sent as a header, never stored in a cookie
// (browsers send a host's cookies to every port of it); kept for this tab's reloads in sessionStorage.
const TOKEN = new URLSearchParams(location.search).get("token") || sessionStorage.getItem("rla_token") || "";
if (TOKEN) sessionStorage.setItem("rla_token", TOKEN);

async function api(path, body) {
  const headers = TOKEN ? {"X-RLA-Token": TOKEN} : {};
  const init = body === undefined ? {headers}
    : {method: "POST", headers: {...headers, "Content-Type": "application/json"}, body: JSON.stringify(body)};
  const response = await fetch(path, init);
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}
const apiJson = async (path, body) => (await api(path, body)).json();

function showError(error) {
  const box = $("#filter-error");
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

// A status as a coloured badge; the status comes from a file of the run, so it is text, and a class only
// when it is one plain word.
function badge(status) {
  const text = String(status ?? "");
  const cls = /^[a-z]+$/.test(text) ? ` ${text}` : "";
  return `<span class="badge${cls}">${escapeHtml(text)}</span>`;
}

function humanSize(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
  return (i ? bytes.toFixed(1) : bytes) + " " + units[i];
}

// -- Runs -----------------------------------------------------------------------------------
// The server keeps the listing (filter, order, columns) and sends the rows the table shows, a page at a time;
// the table renders the rows in view only, between two spacer rows as tall as the rows above and below.
const FIXED = [["task", "task"], ["record_date", "record date"], ["status", "status"], ["last_time_step", "last step"],
               ["rows", "rows"], ["size", "size"], ["tracked", "tracked"], ["tags", "tags"], ["note", "note"]];
const UNSORTED = new Set(["tracked", "tags", "note"]);  // the server sorts by every other column
const PAGE = 100;  // rows asked for at once
const OVERSCAN = 20;  // rows rendered above and below the ones in view

function cell(run, key) {
  if (key.startsWith("params.")) return run.params[key.slice(7)];
  if (key in (run.metrics || {})) return run.metrics[key];
  if (key === "tracked") return Object.entries(run.tracked).map(([k, v]) => `${k}=${v}`).join(" ");
  return run[key];
}

function columnLabel(key) {
  if (key.startsWith("params.")) return key.slice(7);
  return key.startsWith("final:") ? key.slice(6) : key;  // a metric's final value is named by its key
}

// A new listing: the filter, the order or the columns changed, or running runs moved on.
async function loadRuns() {
  const query = new URLSearchParams({q: state.filter, cols: state.columns.join(","), limit: PAGE,
                                     sort: state.sort.key === "index" ? "" : state.sort.key, desc: state.sort.desc ? "1" : ""});
  $("#runs-notes").textContent = "";  // a filter that fails leaves no note of the one before
  const table = await apiJson("api/runs?" + query);
  state.snapshot = table.snapshot;
  state.total = table.total;
  state.pages = new Map([[0, table.runs]]);
  state.loading = new Set();
  state.paramKeys = table.param_keys;
  state.metricKeys = table.metric_keys;
  $("#runs-notes").textContent = (table.notes || []).map(note => "note: " + note).join("; ");
  showError(null);
  renderHead();
  renderBody();
  counts();
}

function loadedRuns() { return [...state.pages.values()].flat(); }

// The page of rows `number` of the current listing, then the table again.
async function fetchPage(number) {
  if (state.pages.has(number) || state.loading.has(number)) return;
  const snapshot = state.snapshot;
  state.loading.add(number);
  try {
    const query = new URLSearchParams({q: state.filter, cols: state.columns.join(","), snapshot, offset: number * PAGE,
                                       limit: PAGE, sort: state.sort.key === "index" ? "" : state.sort.key,
                                       desc: state.sort.desc ? "1" : ""});
    const table = await apiJson("api/runs?" + query);
    if (snapshot !== state.snapshot) return;  // a newer listing replaced this one meanwhile
    state.pages.set(number, table.runs);
    renderBody();
  } catch (e) { showError(e); } finally { state.loading.delete(number); }
}

function runColumns() {
  return [...FIXED, ...state.columns.map(k => [k, columnLabel(k)])];
}

function renderHead() {
  const head = $("#runs-table thead");
  head.innerHTML = "";
  const tr = document.createElement("tr");
  const all = document.createElement("th");
  all.innerHTML = `<input type="checkbox" id="select-all" title="tick every run of the filter">`;
  tr.appendChild(all);
  runColumns().forEach(([key, label]) => {
    const th = document.createElement("th");
    th.textContent = label + (state.sort.key === key ? (state.sort.desc ? " ▾" : " ▴") : "");
    th.dataset.key = key;
    if (!UNSORTED.has(key)) {
      th.onclick = () => { state.sort = {key, desc: state.sort.key === key && !state.sort.desc}; loadRuns().catch(showError); };
    } else th.style.cursor = "default";
    tr.appendChild(th);
  });
  head.appendChild(tr);
  $("#select-all").onchange = e => selectAll(e.target.checked).catch(showError);
  const add = $("#add-column");
  add.innerHTML = `<option value="">parameter or metric…</option>` +
    `<optgroup label="parameters">${state.paramKeys.filter(k => !state.columns.includes("params." + k))
      .map(k => `<option value="params.${escapeHtml(k)}">${escapeHtml(k)}</option>`).join("")}</optgroup>` +
    `<optgroup label="metrics">${state.metricKeys
      .map(k => `<option value="metric:${escapeHtml(k)}">${escapeHtml(k)}</option>`).join("")}</optgroup>`;
}

function spacer(height, span) {
  const tr = document.createElement("tr");
  tr.className = "spacer";
  const td = document.createElement("td");
  td.colSpan = span;
  td.style.height = height + "px";
  tr.appendChild(td);
  return tr;
}

// The rows in view (and a few around them): those whose page is here, a placeholder for the others.
function renderBody() {
  const scroller = $("#runs-scroll");
  const height = state.rowHeight || 33;
  const first = Math.max(0, Math.floor(scroller.scrollTop / height) - OVERSCAN);
  const last = Math.min(state.total, first + Math.ceil(scroller.clientHeight / height) + 2 * OVERSCAN);
  const columns = runColumns();
  const body = $("#runs-table tbody");
  body.innerHTML = "";
  body.appendChild(spacer(first * height, columns.length + 1));
  for (let position = first; position < last; position++) {
    const page = state.pages.get(Math.floor(position / PAGE));
    if (!page) { fetchPage(Math.floor(position / PAGE)); body.appendChild(spacer(height, columns.length + 1)); continue; }
    const run = page[position % PAGE];
    if (run) body.appendChild(runRow(run, columns));
  }
  body.appendChild(spacer(Math.max(0, state.total - last) * height, columns.length + 1));
  const measured = body.querySelector("tr[data-index]");
  if (measured && !state.rowHeight) { state.rowHeight = measured.getBoundingClientRect().height || height; }
  clearTimeout(state.refresh);
  if (loadedRuns().some(r => r.status === "running")) {
    state.refresh = setTimeout(() => { if (page() === "runs") loadRuns().catch(showError); }, 5000);
  }
}

function runRow(run, columns) {
  const row = document.createElement("tr");
  row.dataset.index = run.index;
  const box = document.createElement("td");
  box.innerHTML = `<input type="checkbox" class="sel">`;
  box.firstChild.checked = state.selected.has(run.index);
  box.firstChild.onchange = e => { e.target.checked ? state.selected.add(run.index) : state.selected.delete(run.index); counts(); };
  row.appendChild(box);
  for (const [key] of columns) {
    const td = document.createElement("td");
    const value = cell(run, key);
    if (key === "record_date") {
      const link = document.createElement("a");
      link.href = "#/run/" + encodeURIComponent(run.index);
      link.textContent = value;
      td.appendChild(link);
    } else if (key === "status") {
      td.innerHTML = badge(value) + (run.damage && value !== "damaged" ? " " + badge("damaged") : "");
      td.title = run.damage || "";
    } else if (key === "size") {
      td.className = "num"; td.textContent = humanSize(value);
    } else if (key === "tags") {
      fillTagCell(td, value);
    } else if (key === "note") {
      fillNoteCell(td, value);
    } else {
      if (typeof value === "number") { td.className = "num"; if (key in (run.metrics || {})) td.title = String(value); }
      td.textContent = value === null || value === undefined ? "" : typeof value === "number" && key in (run.metrics || {})
        ? Number(value.toPrecision(4)).toString() : typeof value === "object" ? JSON.stringify(value) : value;
    }
    row.appendChild(td);
  }
  return row;
}

// Tick (or untick) every run of the listing, as the server lists them (10,000 at most).
async function selectAll(checked) {
  if (!checked) { state.selected.clear(); renderBody(); counts(); return; }
  const {indices, total} = await apiJson("api/runs/indices?" + new URLSearchParams({snapshot: state.snapshot}));
  indices.forEach(i => state.selected.add(i));
  $("#runs-more").textContent = indices.length < total ? `ticked the first ${indices.length} of ${total} runs: narrow the filter to tick the rest` : "";
  renderBody();
  counts();
}

function counts() {
  $("#runs-count").textContent = `${state.total} runs`;
  $("#selected-count").textContent = state.selected.size ? `· ${state.selected.size} selected` : "";
}

// -- Actions: plan, show, confirm, apply ----------------------------------------------------------
async function planAction(action) {
  if (!state.selected.size) return showError("tick the runs to act on first");
  const body = {action, indices: [...state.selected], include_running: $("#include-running").checked,
                archived: /--archived\b/.test(state.filter), to_task: $("#move-to").value.trim()};
  let plan;
  try { plan = await apiJson("api/plan", body); } catch (e) { return showError(e); }
  showError(null);
  $("#plan-title").textContent = `${plan.action}: ${plan.items.length} runs, ${plan.planned} folders`;
  const entries = plan.entries.map(e => `<tr><td>${escapeHtml(e.index)}</td><td>${escapeHtml(e.data_type)}</td><td>${escapeHtml(e.target || "")}</td></tr>`).join("");
  const skipped = plan.skipped.map(s => `<li><b>${escapeHtml(s.index)}</b>: ${escapeHtml(s.reason)}</li>`).join("");
  $("#plan-body").innerHTML = `<table><tr><th>item</th><th>data type</th><th>to</th></tr>${entries}</table>` +
    (skipped ? `<p>Skipped:</p><ul>${skipped}</ul>` : "") +
    (plan.conflicts.length ? `<p class="error">Destinations exist: ${plan.conflicts.map(escapeHtml).join(", ")}</p>` : "");
  $("#plan-confirm").disabled = !plan.planned;
  $("#plan-dialog").hidden = false;
  $("#plan-confirm").onclick = async () => {
    $("#plan-dialog").hidden = true;
    try {
      const result = await apiJson("api/apply", {id: plan.id});
      state.selected.clear();
      await loadRuns();
      const revived = result.revived.map(r => r.index).join(", ");
      $("#runs-more").textContent = `${result.action}: done on ${result.count} folders of ${result.items.length} runs` +
        (revived ? `; left alone, their runs came back to life: ${revived}` : "") +
        (result.gone.length ? `; ${result.gone.length} folders were gone already (another operation)` : "");
    } catch (e) { showError(e); }
  };
}

// -- Curves ---------------------------------------------------------------------------------------
function scope() {
  return state.selected.size ? {filter: state.filter, indices: [...state.selected]} : {filter: state.filter};
}

function checklist(container, names, checked, cls) {
  container.innerHTML = "";
  for (const name of names) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" class="${cls}"> `;
    label.firstChild.value = name;
    label.firstChild.checked = checked.includes(name);
    label.appendChild(document.createTextNode(name));
    container.appendChild(label);
  }
}

// The Curves page over the current selection: its metrics and the parameters of its runs (not of the whole
// database), and a first figure drawn at once with the server's defaults (outcome metrics, grouped by the
// parameters that vary across seeds). A new selection clears the previous selection's charts.
async function openCurves() {
  const sc = scope();
  const key = JSON.stringify(sc);
  const choices = await apiJson("api/metrics", sc);
  const fresh = state.curveScope !== key;
  state.curveScope = key;
  $("#curve-scope").textContent = (sc.indices ? `${sc.indices.length} selected runs` : `${choices.runs} runs of the filter "${state.filter || "(all)"}"`);
  const keep = cls => fresh ? [] : [...document.querySelectorAll(`.${cls}:checked`)].map(e => e.value);
  const metrics = keep("metric").filter(m => choices.metrics.includes(m));
  const splits = keep("split").filter(k => choices.params.includes(k));
  checklist($("#metric-list"), choices.metrics, metrics.length ? metrics : choices.default_metrics, "metric");
  checklist($("#split-list"), choices.params, fresh ? choices.default_split : splits, "split");
  if (fresh) { $("#charts").innerHTML = ""; $("#curve-warnings").hidden = true; }
  if (choices.tables.length > 1) return pickTable(choices.tables);
  if (!choices.metrics.length) {
    $("#charts").innerHTML = `<p class="muted">These runs logged no metric yet.</p>`;
    return;
  }
  if (fresh) await draw();
}

// The curves need the runs of one table: offer each table of the selection as a narrower filter.
function pickTable(tables) {
  const box = $("#charts");
  box.innerHTML = `<div class="card"><h3>Curves are drawn for one table at a time; these runs are in ${tables.length} tables. Pick one:</h3><p class="table-pick"></p></div>`;
  for (const table of tables) {
    const link = document.createElement("a");
    link.href = "#/curves";
    link.textContent = table;
    link.onclick = e => {
      e.preventDefault();
      state.filter = `${state.filter} -t ${table}`.trim();
      $("#filter").value = state.filter;
      state.selected.clear();
      route();
    };
    box.querySelector(".table-pick").append(link, " ");
  }
}

function curveBody() {
  const low = $("#x-low").value, high = $("#x-high").value;
  return {...scope(), metrics: [...document.querySelectorAll(".metric:checked")].map(e => e.value),
          split_keys: [...document.querySelectorAll(".split:checked")].map(e => e.value),
          band: $("#band").value, smooth_step: +$("#smooth-step").value || 0, smoothing: $("#smoothing").value,
          xlim: low === "" && high === "" ? null : [low === "" ? null : +low, high === "" ? null : +high],
          x_range: $("#x-range").value, resample: +$("#resample").value, runs: $("#show-runs").checked};
}

async function drawCurves(container, body, logY, current = () => true, legend = true) {
  const result = await apiJson("api/curves", body);
  if (!current()) return null;  // a later request asked for other curves: its answer draws them
  container.innerHTML = "";
  window.rlaCharts = {};
  for (const [metric, groups] of Object.entries(result.metrics)) {
    if (groups.length) drawMetric(container, metric, groups, {logY, legend});
  }
  return result;
}

async function draw() {
  if (!document.querySelector(".metric:checked")) {  // nothing to draw: no chart of an earlier choice stays,
    state.drawTicket++;                                 // nor one whose answer is still on its way
    $("#charts").innerHTML = `<p class="muted">Tick a metric to draw.</p>`;
    $("#curve-warnings").hidden = true;
    return;
  }
  const ticket = ++state.drawTicket;
  try {
    const result = await drawCurves($("#charts"), curveBody(), $("#log-y").checked, () => ticket === state.drawTicket);
    if (!result) return;
    const notes = $("#curve-warnings");
    notes.textContent = (result.warnings || []).map(w => "warning: " + w).join("\n");
    notes.hidden = !notes.textContent;
    showError(null);
  } catch (e) { showError(e); }
}

async function download(path, body, name) {
  try {
    const blob = await (await api(path, body)).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.click();
  } catch (e) { showError(e); }
}

// -- One run ----------------------------------------------------------------------------------------
function fileUrl(index, type, path) {  // a link or <img> cannot send a header: the token goes in its query
  return escapeHtml("api/file?" + new URLSearchParams(TOKEN ? {index, type, path, token: TOKEN} : {index, type, path}));
}

function fileList(index, type, files) {
  if (!files.length) return `<p class="muted">none</p>`;
  return `<table>${files.map(f => `<tr><td><a href="${fileUrl(index, type, f.path)}" target="_blank" rel="noopener noreferrer">${escapeHtml(f.path)}</a></td>` +
    `<td class="num">${humanSize(f.size)}</td></tr>`).join("")}</table>`;
}

async function openRun(index) {
  const body = $("#run-body");
  body.innerHTML = `<p class="muted">loading…</p>`;
  let run;
  try { run = await apiJson("api/run?" + new URLSearchParams({index})); } catch (e) { body.innerHTML = ""; return showError(e); }
  const r = run.run || {};
  const info = ["status", "error", "command", "host", "pid", "start_time", "end_time", "heartbeat"]
    .filter(k => r[k] !== undefined && r[k] !== null)
    .map(k => `<tr><th>${k}</th><td>${escapeHtml(Array.isArray(r[k]) ? r[k].join(" ") : r[k])}</td></tr>`).join("");
  const damage = run.row.damage ? `<tr><th>damage</th><td>${escapeHtml(run.row.damage)}</td></tr>` : "";
  const git = r.git ? `<tr><th>git</th><td>${gitText(r.git)}</td></tr>` : "";
  const resumes = r.resumes && r.resumes.length ? `<tr><th>resumes</th><td>${resumesTable(r.resumes)}</td></tr>` : "";
  const params = Object.entries(run.params).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(typeof v === "object" ? JSON.stringify(v) : v)}</td></tr>`).join("");
  const gallery = run.results.filter(f => f.kind !== "file").map(f => `<figure>${f.kind === "image"
      ? `<img src="${fileUrl(index, "results", f.path)}" alt="${escapeHtml(f.path)}">`
      : `<video controls src="${fileUrl(index, "results", f.path)}"></video>`}<figcaption>${escapeHtml(f.path)}</figcaption></figure>`).join("");
  body.innerHTML = `<h2>${escapeHtml(index)} ${badge(run.row.status)}</h2><div id="run-annotations"></div>
    <div class="grid2"><div class="card"><h3>Parameters</h3><table id="run-params">${params || `<tr><td class="muted">none</td></tr>`}</table></div>
    <div class="card"><h3>run.json</h3><table class="run-record">${damage}${info}${git}${resumes}</table></div></div>
    ${run.metrics.length ? `<h3>Curves</h3>` : ""}<div id="run-charts" class="charts"></div>
    ${run.system.elapsed ? `<h3>System</h3><div id="run-system" class="charts"></div>` : ""}
    <div class="grid2"><div class="card gallery"><h3>Results</h3>${gallery}${fileList(index, "results", run.results)}</div>
    <div class="card"><h3>Checkpoints</h3>${fileList(index, "checkpoint", run.checkpoints)}</div></div>
    <div class="card"><h3>Code snapshot</h3>${fileList(index, "code", run.code)}
    ${run.git_diff ? `<h3>git.diff</h3><pre>${escapeHtml(run.git_diff)}</pre>` : ""}</div>`;
  renderAnnotations($("#run-annotations"), index, run.row);
  if (run.system.elapsed) {  // CPU, memory, IO, GPU of the run's processes, against seconds since it started
    Object.keys(run.system).filter(k => k !== "elapsed" && k !== "wall_time").forEach(k =>
      drawSeries($("#run-system"), "system/" + k, run.system.elapsed, run.system[k], "seconds"));
  }
  if (run.metrics.length) {
    drawCurves($("#run-charts"), {filter: "", indices: [index], metrics: run.metrics, band: "none"}, false,
               () => true, false).catch(showError);  // the run's own curves: no legend to tell them apart
  }
}

// run.json's git state in words: commit, branch, uncommitted changes, the repository.
function gitText(git) {
  if (typeof git !== "object") return escapeHtml(git);
  const facts = [git.commit ? `commit <code>${escapeHtml(String(git.commit).slice(0, 12))}</code>` : "no commit",
                 git.branch ? `on ${escapeHtml(git.branch)}` : "detached", git.dirty ? "uncommitted changes (git.diff below)" : "clean",
                 git.untracked ? `${escapeHtml(git.untracked)} untracked files` : ""].filter(Boolean).join(" · ");
  return facts + (git.root ? `<div class="muted">${escapeHtml(git.root)}</div>` : "");
}

// Each resume of the run: when, where, from which checkpoint, and the status it continued.
function resumesTable(resumes) {
  const rows = resumes.map((x, i) => `<tr><td>#${i + 1}</td><td>${escapeHtml(x.time ?? "")}</td>` +
    `<td>${escapeHtml([x.host, x.pid].filter(v => v !== undefined && v !== null).join(" pid "))}</td>` +
    `<td>${escapeHtml(x.previous_status ?? "")}</td><td class="num">${escapeHtml(x.checkpoint_step ?? "–")}</td>` +
    `<td class="num">${escapeHtml(x.last_kept_step ?? "–")}</td></tr>`).join("");
  return `<table class="resumes"><tr><th></th><th>time</th><th>host</th><th>was</th><th>checkpoint</th><th>rows kept to</th></tr>${rows}</table>`;
}

// -- Compare ----------------------------------------------------------------------------------------
// The ticked runs side by side: their parameters (those that differ, or all), each metric's final value,
// their curves overlaid (one line per run, the outcome metrics first) and the code they ran.
async function openCompare() {
  const body = $("#compare-body");
  if (state.selected.size < 2) { body.innerHTML = `<p class="muted">Tick two runs or more on the Runs page.</p>`; return; }
  const result = await apiJson("api/compare", {filter: state.filter, indices: [...state.selected]});
  const head = result.labels.map((label, i) => `<th title="${escapeHtml(result.runs[i])}">${escapeHtml(label)}</th>`).join("");
  const value = v => v === null || v === undefined ? `<span class="muted">–</span>` : escapeHtml(typeof v === "object" ? JSON.stringify(v) : v);
  body.innerHTML = `<div class="card"><h3>Parameters</h3>
    <div class="row compare-toggle"><label><input type="radio" name="compare-show" value="differing" checked> the ${result.differing.length} that differ</label>
    <label><input type="radio" name="compare-show" value="all"> all ${result.params.length}</label></div>
    <div class="table-wrap"><table id="compare-table" class="compare"><tr><th>parameter</th>${head}</tr>${result.params.map(p =>
      `<tr class="${p.differs ? "differs" : "same"}"><td>${escapeHtml(p.key)}</td>${p.values.map(v => `<td>${value(v)}</td>`).join("")}</tr>`).join("")}</table></div></div>
    <div class="card"><h3>Final values</h3><div class="table-wrap"><table id="compare-final" class="compare"><tr><th>metric</th>${head}</tr>${result.final.map(f =>
      `<tr><td>${escapeHtml(f.metric)}</td>${f.values.map(v => `<td>${v === null ? value(v) : escapeHtml(fmt(v))}</td>`).join("")}</tr>`).join("")}</table></div></div>
    <div id="compare-charts" class="charts"></div>`;
  const table = $("#compare-table");
  table.dataset.show = "differing";
  body.querySelectorAll("input[name=compare-show]").forEach(radio => { radio.onchange = () => { table.dataset.show = radio.value; }; });
  const code = document.createElement("div");
  body.appendChild(code);
  await Promise.all([compareCurves($("#compare-charts"), result), renderCodeDiff(code, result.runs)]);
}

// One chart per metric with a line per run: each run's own curve (a group of one) from the curves API.
async function compareCurves(container, result) {
  const metrics = result.default_metrics;
  if (!metrics.length) return;
  const curves = await Promise.all(result.runs.map(index =>
    apiJson("api/curves", {filter: state.filter, indices: [index], metrics, band: "none"}).catch(() => null)));
  window.rlaCharts = {};
  for (const metric of metrics) {
    const groups = curves.flatMap((c, i) => c && c.metrics[metric] && c.metrics[metric].length
      ? [{...c.metrics[metric][0], legend: result.labels[i], runs: undefined}] : []);
    if (groups.length) drawMetric(container, metric, groups, {});
  }
}

// -- routing ------------------------------------------------------------------------------------------
function page() { return (location.hash.slice(2) || "runs").split("/")[0]; }

async function route() {
  const name = page();
  document.querySelectorAll(".page").forEach(p => { p.hidden = p.id !== "page-" + name; });
  document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.page === name));
  try {
    if (name === "runs") await loadRuns();
    else if (name === "curves") await openCurves();
    else if (name === "compare") await openCompare();
    else if (name === "results") await openResults();
    else if (name === "run") await openRun(decodeURIComponent(location.hash.slice("#/run/".length)));
  } catch (e) { showError(e); }
}

$("#filter-form").onsubmit = e => { e.preventDefault(); state.filter = $("#filter").value; state.selected.clear(); route(); };
$("#add-column").onchange = e => {
  const value = e.target.value;
  if (!value) return;
  const column = value.startsWith("metric:") ? `${$("#metric-value").value}:${value.slice(7)}` : value;
  if (!state.columns.includes(column)) state.columns.push(column);
  loadRuns().catch(showError);
};
$("#runs-scroll").addEventListener("scroll", () => requestAnimationFrame(renderBody), {passive: true});
$("#btn-curves").onclick = () => { location.hash = "#/curves"; };
$("#btn-compare").onclick = () => { location.hash = "#/compare"; };
$("#btn-delete").onclick = () => planAction("delete");
$("#btn-archive").onclick = () => planAction("archive");
$("#btn-move").onclick = () => planAction("move");
$("#btn-tag").onclick = () => tagTicked(false);
$("#btn-untag").onclick = () => tagTicked(true);
$("#plan-cancel").onclick = () => { $("#plan-dialog").hidden = true; };
$("#btn-draw").onclick = draw;
$("#curve-controls").addEventListener("change", e => {  // a ticked metric or key, a band: drawn at once
  if (e.target.matches(".metric, .split, #band, #smoothing, #x-range, #log-y, #show-runs")) draw();
});
$("#btn-results").onclick = drawResults;
$("#dl-png").onclick = () => download("api/figure?format=png", curveBody(), "curves.png");
$("#dl-pdf").onclick = () => download("api/figure?format=pdf", curveBody(), "curves.pdf");
$("#dl-csv").onclick = () => download("api/curves.csv", curveBody(), "curves.csv");
window.addEventListener("hashchange", route);
route();
