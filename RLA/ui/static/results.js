// The Results page of rla ui: the table of scores (groups x tasks and their aggregate, with confidence
// intervals and n), the probability of improvement P(X > Y), sample-efficiency curves, hyper-parameter
// importance and the configurations in parallel coordinates. Every number is computed on the server by
// RLA.easy_plot (RLA.ui.results); this file only draws it, every value as text or SVG attributes.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const results = {options: null, request: null};

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function card(id, title) {
  const box = el("div", {className: "card results-card", id});
  box.appendChild(el("h3", {}, title));
  return box;
}

// A colour of the viridis scale for t in [0, 1] (a few stops, interpolated).
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function viridis(t) {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2), f = x - i;
  const c = VIRIDIS[i].map((v, j) => Math.round(v + f * (VIRIDIS[i + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const STAT_NAMES = {iqm: "IQM", mean: "Mean", median: "Median"};

// -- controls --------------------------------------------------------------------------------------------
async function openResults() {
  const sc = scope();
  $("#results-scope").textContent = sc.indices ? `${sc.indices.length} selected runs` : `runs of the filter "${state.filter || "(all)"}"`;
  const options = await apiJson("api/results/options", sc);
  results.options = options;
  const keep = (selector, fallback) => {
    const previous = [...document.querySelectorAll(selector)].map(e => e.value);
    return previous.length ? previous : fallback;
  };
  checklist($("#results-tasks"), options.tasks, keep(".results-task:checked", options.tasks), "results-task");
  checklist($("#results-keys"), options.param_keys, keep(".results-key:checked", options.suggested_keys), "results-key");
  const metric = $("#results-metric");
  const metrics = options.metrics;  // the time-step and the wall-clock time left out by the server
  // what the runs were after, as a first guess: a return or a reward
  const chosen = metrics.includes(metric.value) ? metric.value : metrics.find(m => /return|reward/i.test(m)) || metrics[0] || "";
  metric.replaceChildren(...metrics.map(m => el("option", {value: m}, m)));
  metric.value = chosen;
}

function resultsBody() {
  return {...scope(), tasks: [...document.querySelectorAll(".results-task:checked")].map(e => e.value),
          split_keys: [...document.querySelectorAll(".results-key:checked")].map(e => e.value),
          metric: $("#results-metric").value, score: $("#results-score").value, k: +$("#results-k").value || 1,
          stat: $("#results-stat").value, x: $("#results-x").value, smooth_step: +$("#results-smooth").value || 0,
          normalize: $("#results-normalize").value.trim()};
}

// The table is asked for first (the server answers one request at a time: it is drawn while the
// curves and the importance are computed), then the other panels.
async function drawResults() {
  const body = resultsBody();
  results.request = body;
  window.rlaResultsDrawn = false;
  const out = $("#results-out");
  out.replaceChildren();
  const notes = $("#results-warnings");
  notes.hidden = true;
  const panels = [
    ["api/results/table", drawScoreTable, "results-table", "Scores"],
    ["api/results/versus", drawImprovement, "results-versus", "Probability of improvement"],
    ["api/results/curves", drawSampleEfficiency, "results-curves", "Sample efficiency"],
    ["api/results/importance", drawImportance, "results-importance", "Hyper-parameters"],
  ];
  const said = [];
  const boxes = panels.map(([, , id, title]) => out.appendChild(card(id, title)));
  const waits = boxes.map(box => box.appendChild(el("p", {className: "muted"}, "computing…")));
  const fill = async ([path, draw], i) => {
    const box = boxes[i], waiting = waits[i];
    try {
      const data = await apiJson(path, body);
      if (results.request !== body) return;  // a newer request was made meanwhile
      waiting.remove();
      draw(box, data);
      said.push(...(data.warnings || []));
      notes.textContent = [...new Set(said)].map(w => "warning: " + w).join("\n");
      notes.hidden = !notes.textContent;
    } catch (e) {
      waiting.replaceWith(el("p", {className: "panel-error"}, String(e.message || e)));
    }
  };
  await fill(panels[0], 0);
  await Promise.all(panels.slice(1).map((panel, i) => fill(panel, i + 1)));
  if (results.request === body) window.rlaResultsDrawn = true;
}

// -- the table and the probability of improvement -----------------------------------------------------------
function scoreCell(cell) {
  const td = el("td", {className: "num score-cell"});
  if (!cell || !cell.n || cell.value === null) { td.textContent = "–"; return td; }
  Object.assign(td.dataset, {group: cell.group, column: cell.column, value: cell.value, low: cell.low,
                             high: cell.high, n: cell.n});
  td.append(el(cell.bold ? "strong" : "span", {className: "score-value"}, fmt(cell.value)),
            el("span", {className: "score-ci"}, ` [${fmt(cell.low)}, ${fmt(cell.high)}]`),
            el("span", {className: "score-n"}, ` n=${cell.n}`));
  if (cell.bold) td.classList.add("best");
  return td;
}

function drawScoreTable(box, data) {
  const spec = data.spec;
  const normalized = Object.keys(spec.normalize).length ? "normalized " : "";
  box.querySelector("h3").textContent = `${STAT_NAMES[spec.stat]} of ${normalized}${spec.metric}`;
  const cells = new Map(data.cells.map(c => [c.group + "\u0000" + c.column, c]));
  const head = el("tr", {}, el("th", {}, spec.split_keys.join(", ") || "group"),
                  ...data.columns.map(c => el("th", {className: "num"}, spec.tasks.includes(c) ? c : `${c} (all tasks)`)));
  const rows = data.groups.map(group => {
    const tr = el("tr", {}, el("td", {className: "group-label"}, group));
    tr.dataset.group = group;
    data.columns.forEach(column => tr.appendChild(scoreCell(cells.get(group + "\u0000" + column))));
    return tr;
  });
  const commits = Object.entries(data.commits).map(([c, n]) => `${c.slice(0, 10)}${c.endsWith("+dirty") ? "+dirty" : ""} (${n})`).join(", ");
  box.append(
    el("div", {className: "table-wrap"}, el("table", {id: "score-table"}, el("thead", {}, head), el("tbody", {}, ...rows))),
    el("p", {className: "muted small"}, `${data.caption}. ${data.runs} runs; code: ${commits}.`),
    el("div", {className: "row downloads"}, "download ", ...["md", "latex", "csv"].map(fmt => {
      const button = el("button", {type: "button"}, {md: "Markdown", latex: "LaTeX", csv: "CSV"}[fmt]);
      button.onclick = () => download(`api/results/table-file?format=${fmt}`, results.request,
                                      `results.${fmt === "latex" ? "tex" : fmt}`);
      return button;
    })));
}

// P(X > Y) of every pair of groups, coloured by how far from an even chance, bold where the interval clears 0.5.
function drawImprovement(box, data) {
  box.querySelector("h3").textContent = "P(X > Y): how likely a run of the row's group scores above a run of the " +
    `column's (averaged over tasks, ${Math.round(data.spec.ci * 100)}% intervals)`;
  if (!data.versus) { box.appendChild(el("p", {className: "muted"}, "no matrix: it compares two groups or more")); return; }
  const versus = data.versus;
  const names = data.groups.filter(g => versus.some(p => p.x === g));
  const byPair = new Map(versus.map(p => [p.x + "\u0000" + p.y, p]));
  // a group named by the values of its keys alone ("0.01, 1" for "lr=0.01 seed=1"), the keys said once
  const keys = data.spec.split_keys;
  const values = new Map(data.cells.map(c => [c.group, keys.map(k => String(c["params." + k])).join(", ")]));
  const short = g => keys.length ? values.get(g) : g;
  const head = el("tr", {}, el("th", {}, keys.length ? `X \\ Y (${keys.join(", ")})` : "X \\ Y"),
                  ...names.map(g => el("th", {className: "num", title: g}, short(g))));
  const rows = names.map(x => {
    const tr = el("tr", {}, el("td", {className: "group-label", title: x}, short(x)));
    for (const y of names) {
      const pair = byPair.get(x + "\u0000" + y);
      const td = el("td", {className: "num poi"});
      if (!pair) { td.textContent = "–"; tr.appendChild(td); continue; }
      const p = pair.probability;
      Object.assign(td.dataset, {x, y, probability: p, low: pair.low, high: pair.high});
      td.append(el("span", {className: "poi-value"}, p.toFixed(2)),
                el("span", {className: "poi-ci"}, `[${pair.low.toFixed(2)}, ${pair.high.toFixed(2)}]`));
      const strength = Math.min(Math.abs(p - 0.5) * 2, 1);
      td.style.background = p >= 0.5 ? `rgba(47,111,222,${0.06 + 0.6 * strength})` : `rgba(214,69,80,${0.06 + 0.6 * strength})`;
      if (strength > 0.55) td.style.color = "#fff";
      if (pair.low > 0.5 || pair.high < 0.5) td.classList.add("separated");
      td.title = `P(${x} > ${y}) = ${p.toFixed(3)}, interval [${pair.low.toFixed(3)}, ${pair.high.toFixed(3)}]`;
      tr.appendChild(td);
    }
    return tr;
  });
  box.appendChild(el("div", {className: "table-wrap"}, el("table", {id: "poi-table"}, el("thead", {}, head), el("tbody", {}, ...rows))));
}

// -- sample efficiency -----------------------------------------------------------------------------------
function drawSampleEfficiency(box, data) {
  box.querySelector("h3").textContent = `Sample efficiency: ${STAT_NAMES[data.stat]} of ${data.metric} over runs × ` +
    `tasks (${data.tasks.join(", ")}), 95% stratified-bootstrap band`;
  const holder = el("div", {className: "charts"});
  box.appendChild(holder);
  if (!data.groups.length) { holder.appendChild(el("p", {className: "muted"}, "no curve")); return; }
  drawMetric(holder, "results/" + data.metric, data.groups, {xLabel: data.x_label});
  holder.querySelector("h3").remove();  // the card says it
}

// -- hyper-parameter importance and the configurations ----------------------------------------------------------
function drawImportance(box, data) {
  box.querySelector("h3").textContent = `Hyper-parameters: what explains the score of ${data.metric}`;
  box.appendChild(el("p", {className: "muted small"}, "Runs that differ only in their seed are one configuration, " +
    "scored by the mean over its seeds; importance: the drop in R² of a random forest when a parameter is shuffled " +
    "(permutation importance), with its interval over forests fitted on resampled configurations."));
  const bars = el("div", {className: "importance"}), lines = el("div", {className: "parallel"});
  box.appendChild(el("div", {className: "importance-grid"}, bars, lines));  // in the page first: they take its width
  importanceBars(bars, data.parameters);
  parallelCoordinates(lines, data.configurations, `score (${data.score})`);
}

function importanceBars(holder, importance) {
  holder.appendChild(el("h4", {}, "Importance (with its bootstrap interval)"));
  const width = Math.max(holder.clientWidth, 300), row = 26, left = 130, right = 70;
  const top = Math.max(...importance.map(d => Math.max(d.high, d.importance)), 1e-12);
  const x = v => left + (width - left - right) * Math.max(v, 0) / top;
  const svg = svgEl("svg", {width, height: row * importance.length + 24, viewBox: `0 0 ${width} ${row * importance.length + 24}`,
                            id: "importance-bars"});
  importance.forEach((d, i) => {
    const y = i * row + 4;
    const g = svgEl("g", {"data-parameter": d.parameter, "data-importance": d.importance, "data-low": d.low,
                          "data-high": d.high});
    g.append(svgEl("text", {x: left - 8, y: y + 15, "text-anchor": "end", class: "axis-label"}, d.parameter),
             svgEl("rect", {x: left, y: y + 3, width: Math.max(x(d.importance) - left, 1), height: row - 10, fill: "#2f6fde", rx: 2}),
             svgEl("line", {x1: x(d.low), x2: x(d.high), y1: y + row / 2 - 1, y2: y + row / 2 - 1, stroke: "#1d2330", "stroke-width": 1.5}),
             svgEl("text", {x: x(Math.max(d.high, d.importance)) + 6, y: y + 15, class: "value-label"}, fmt(d.importance)),
             svgEl("title", {}, `${d.parameter}: ${fmt(d.importance)} [${fmt(d.low)}, ${fmt(d.high)}], ${d.values} values`));
    svg.appendChild(g);
  });
  holder.appendChild(svg);
}

// One vertical axis per parameter and one for the score; one line per configuration, coloured by its score
// (the mean over its seeds), its seed count in its tooltip and as its width.
function parallelCoordinates(holder, conf, scoreLabel) {
  holder.appendChild(el("h4", {}, `Configurations (${conf.rows.length}), each the mean over its seeds`));
  if (!conf.rows.length) return;
  const axes = [...conf.parameters.map(p => ({name: p, key: p})), {name: scoreLabel, key: null}];
  const width = Math.max(holder.clientWidth, 110 * axes.length), height = 300, pad = {top: 24, bottom: 36, side: 60};
  const value = (row, axis) => axis.key === null ? row.score : row.values[axis.key];
  const scales = axes.map(axis => {
    const values = conf.rows.map(r => value(r, axis));
    if (values.every(v => typeof v === "number")) {
      const positive = values.every(v => v > 0), lo = Math.min(...values), hi = Math.max(...values);
      const log = positive && hi / lo >= 50;
      const f = log ? Math.log10 : v => v, inverse = log ? v => 10 ** v : v => v;
      const a = f(lo), b = f(hi);
      const distinct = [...new Set(values)].sort((p, q) => p - q);
      const ticks = distinct.length <= 6 ? distinct : [0, 0.25, 0.5, 0.75, 1].map(t => inverse(a + t * (b - a)));
      return {at: v => b === a ? 0.5 : (f(v) - a) / (b - a), ticks, label: fmt};
    }
    const levels = [...new Set(values.map(String))].sort();
    return {at: v => levels.length === 1 ? 0.5 : levels.indexOf(String(v)) / (levels.length - 1), ticks: levels, label: String};
  });
  const ax = i => pad.side + i * (width - 2 * pad.side) / Math.max(axes.length - 1, 1);
  const ay = t => height - pad.bottom - t * (height - pad.top - pad.bottom);
  const svg = svgEl("svg", {width, height, viewBox: `0 0 ${width} ${height}`, id: "parallel-coordinates"});
  const scores = conf.rows.map(r => r.score);
  const lo = Math.min(...scores), hi = Math.max(...scores);
  const order = conf.rows.map((r, i) => i).sort((a, b) => conf.rows[a].score - conf.rows[b].score);  // best drawn last
  const lines = svgEl("g", {class: "pc-lines"});
  for (const i of order) {
    const row = conf.rows[i];
    const points = axes.map((axis, j) => `${ax(j).toFixed(1)},${ay(scales[j].at(value(row, axis))).toFixed(1)}`).join(" ");
    const line = svgEl("polyline", {points, fill: "none", stroke: viridis(hi === lo ? 1 : (row.score - lo) / (hi - lo)),
                                    "stroke-width": Math.min(1.2 + 0.5 * row.seeds, 5), "stroke-opacity": 0.85,
                                    "data-score": row.score, "data-seeds": row.seeds});
    const said = conf.parameters.map(p => `${p}=${row.values[p]}`).join(", ");
    line.appendChild(svgEl("title", {}, `${said}: ${scoreLabel} ${fmt(row.score)}` +
                                        (row.std === null ? "" : ` ± ${fmt(row.std)}`) +
                                        ` over ${row.seeds} seed${row.seeds > 1 ? "s" : ""}`));
    lines.appendChild(line);
  }
  svg.appendChild(lines);
  axes.forEach((axis, j) => {
    const g = svgEl("g", {class: "pc-axis"});
    g.append(svgEl("line", {x1: ax(j), x2: ax(j), y1: ay(0), y2: ay(1), stroke: "#6b7385"}),
             svgEl("text", {x: ax(j), y: height - 12, "text-anchor": "middle", class: "axis-label"}, axis.name));
    const ticks = scales[j].ticks;
    const shown = ticks.length <= 8 ? ticks : ticks.filter((t, i) => i % Math.ceil(ticks.length / 6) === 0);
    for (const t of shown) {
      g.appendChild(svgEl("text", {x: ax(j) - 5, y: ay(scales[j].at(t)) + 4, "text-anchor": "end", class: "tick-label"},
                          scales[j].label(t)));
    }
    svg.appendChild(g);
  });
  holder.appendChild(svg);
  const legend = el("div", {className: "pc-legend muted small"}, `${scoreLabel}: ${fmt(lo)} `,
                    el("span", {className: "pc-scale"}), ` ${fmt(hi)} · line width: seeds per configuration`);
  holder.appendChild(legend);
}
