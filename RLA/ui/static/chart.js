// Grouped curves drawn with uPlot from the aggregated series the server sends (rla ui).
"use strict";
const PALETTE = ["#2f6fde", "#e8743b", "#19a979", "#d64550", "#945ecf", "#13a4b4", "#c9a400", "#6c8893", "#ee6868", "#525df4"];

function alpha(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${v >> 16},${(v >> 8) & 255},${v & 255},${a})`;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : +v.toPrecision(4) + "";
}

function compact(v) {  // axis ticks and steps: 1.2M, 250k
  const a = Math.abs(v);
  if (a >= 1e9) return +(v / 1e9).toPrecision(3) + "G";
  if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
  if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
  return String(+v.toPrecision(4));  // 0.0005, not uPlot's 0.001 beside 0.001
}

function nearest(xs, x) {  // index of the x closest to x in a sorted array
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}

// One card per metric: mean line and band per group, optional thin per-run lines.
// The uPlot instance is kept in window.rlaCharts[metric] (the tests read its data).
function drawMetric(container, metric, groups, opts) {
  const card = document.createElement("div");
  card.className = "card chart";
  card.dataset.metric = metric;
  card.innerHTML = `<h3></h3><div class="plot"></div><div class="legend"></div>`;
  card.querySelector("h3").textContent = metric;
  container.appendChild(card);
  const tables = [], series = [{label: opts.xLabel || "time-step"}], bands = [];
  groups.forEach((g, gi) => {
    const color = PALETTE[gi % PALETTE.length];
    const base = series.length;
    const table = [g.x, g.mean];
    series.push({label: g.legend, stroke: color, width: 2, spanGaps: true});
    if (g.low) {
      table.push(g.low, g.high);
      series.push({label: g.legend + " low", stroke: "transparent", width: 0, spanGaps: true, points: {show: false}},
                  {label: g.legend + " high", stroke: "transparent", width: 0, spanGaps: true, points: {show: false}});
      bands.push({series: [base + 2, base + 1], fill: alpha(color, 0.16)});
    }
    (g.lines || []).forEach(line => {
      table.push(line.y);
      series.push({label: line.index, stroke: alpha(color, 0.35), width: 1, spanGaps: true, points: {show: false}});
    });
    tables.push(table);
  });
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const plotDiv = card.querySelector(".plot");
  const tooltip = document.getElementById("tooltip");
  const width = Math.max(plotDiv.clientWidth || 520, 320);
  const u = new uPlot({
    width, height: 320, series, bands, legend: {show: false},
    scales: {x: {time: false}, y: opts.logY ? {distr: 3} : {}},
    axes: [{label: opts.xLabel || "time-step", grid: {stroke: "#eef0f4"}, values: (u, splits) => splits.map(compact)},
           {grid: {stroke: "#eef0f4"}, size: 60, values: (u, splits) => splits.map(compact)}],
    cursor: {points: {show: false}},
    hooks: {setCursor: [u => showTooltip(u, groups, tooltip, metric)]},
  }, data, plotDiv);
  u.over.addEventListener("mouseleave", () => { tooltip.hidden = true; });
  const legend = card.querySelector(".legend");
  if (opts.legend === false) legend.remove();
  else groups.forEach((g, gi) => {
    const item = document.createElement("span");
    item.innerHTML = `<span class="swatch"></span>`;
    item.querySelector(".swatch").style.background = PALETTE[gi % PALETTE.length];
    item.appendChild(document.createTextNode(g.runs === undefined ? g.legend : `${g.legend} (${g.runs} run${g.runs === 1 ? "" : "s"})`));
    legend.appendChild(item);
  });
  window.rlaCharts[metric] = u;
  return u;
}

// One card per system metric of a run (system.csv): one line against the seconds since it started.
function drawSeries(container, name, x, y, xLabel) {
  const card = document.createElement("div");
  card.className = "card chart";
  card.dataset.metric = name;
  card.innerHTML = `<h3></h3><div class="plot"></div>`;
  card.querySelector("h3").textContent = name;
  container.appendChild(card);
  const plotDiv = card.querySelector(".plot");
  const u = new uPlot({
    width: Math.max(plotDiv.clientWidth || 360, 280), height: 200, legend: {show: false},
    series: [{label: xLabel}, {label: name, stroke: PALETTE[0], width: 2, spanGaps: true}],
    scales: {x: {time: false}},
    axes: [{label: xLabel, grid: {stroke: "#eef0f4"}, values: (u, splits) => splits.map(compact)},
           {grid: {stroke: "#eef0f4"}, size: 60, values: (u, splits) => splits.map(compact)}],
  }, [x, y], plotDiv);
  window.rlaCharts[name] = u;
  return u;
}

function showTooltip(u, groups, tooltip, metric) {
  const idx = u.cursor.idx;
  if (idx === null || idx === undefined) { tooltip.hidden = true; return; }
  const x = u.data[0][idx];
  const rows = groups.map((g, gi) => {
    const i = nearest(g.x, x);
    const band = g.low ? `[${fmt(g.low[i])}, ${fmt(g.high[i])}]` : "";
    return `<tr><td><span class="swatch" style="background:${PALETTE[gi % PALETTE.length]}"></span>${escapeHtml(g.legend)}</td>` +
           `<td>${fmt(g.mean[i])}</td><td>${band}</td><td>n=${g.n[i]}</td></tr>`;
  }).join("");
  tooltip.innerHTML = `<div><b>${escapeHtml(metric)}</b> · step ${compact(x)}</div><table>` +
    `<tr><td></td><td>mean</td><td>band</td><td></td></tr>${rows}</table>`;
  const box = u.over.getBoundingClientRect();
  tooltip.hidden = false;
  const right = box.left + u.cursor.left + 16;  // on the cursor's left in the right half, to keep the curves visible
  tooltip.style.left = (u.cursor.left > box.width / 2 ? right - 32 - tooltip.offsetWidth : right) + "px";
  tooltip.style.top = (box.top + u.cursor.top + 16) + "px";
}

// An element with its properties and children (strings become text nodes, never markup).
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

window.rlaCharts = {};
