// The OncoMesh console page: no framework, no network beyond this console's own API.
// State lives in `state`; each render function redraws one panel from it.
"use strict";

const state = {
  session: null,            // GET /v1/session
  catalogue: null,          // GET /v1/catalogue
  groups: [],               // attribute names to GROUP BY, in click order
  codeFilters: {},          // attribute -> Set of codes kept (IN)
  rangeFilters: {},         // numeric attribute -> {min, max} (BETWEEN)
  providers: {},            // node id -> {outcome, reason}
  result: null,             // the last ConsoleResult
  queryID: null,
};
const MAX_CATEGORICAL_GROUPS = 3;
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem("oncomesh-console-token");

// ---- API ---------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers["Authorization"] = "Bearer " + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new Error("This console needs its bearer token: enter it at the top.");
  }
  return response;
}

async function apiJSON(path, options) {
  const response = await api(path, options);
  const body = await response.json();
  if (!response.ok) { const error = new Error(body.detail || body.title); error.problem = body; throw error; }
  return body;
}

// Reads `text/event-stream` with fetch (EventSource cannot send the bearer token).
async function followEvents(id, onEvent) {
  const response = await api(`/v1/queries/${id}/events`);
  if (!response.ok) throw new Error((await response.json()).detail);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}

// ---- catalogue tree ----------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function providersText(list) {
  const total = state.catalogue.providers.length;
  return `${list.length} of ${total} provider${total === 1 ? "" : "s"}`;
}

function renderCatalogue() {
  const root = $("catalogue");
  root.textContent = "";
  for (const attribute of state.catalogue.attributes) {
    const grouped = state.groups.includes(attribute.name);
    const toggle = el("button", {
      type: "button", class: "group-toggle" + (grouped ? " on" : ""), "data-testid": "group-" + attribute.name,
      title: grouped ? "Stop grouping by " + attribute.name : "Split the result by " + attribute.name,
      onclick: (event) => { event.preventDefault(); toggleGroup(attribute); },
    }, grouped ? "grouped ✓" : "group by");
    const summary = el("summary", {}, el("span", { class: "name" }, attribute.name),
      el("span", { class: "meta" }, `${attribute.type}${attribute.unit ? ", " + attribute.unit : ""}${attribute.coding ? ", " + attribute.coding : ""} · ${providersText(attribute.providers)}`));
    if (attribute.type === "categorical") summary.append(toggle);
    const details = el("details", { "data-attribute": attribute.name }, summary);
    if (attribute.codes) {
      const list = el("ul", { class: "codes" });
      const kept = state.codeFilters[attribute.name] || new Set();
      for (const code of attribute.codes) {
        const box = el("input", { type: "checkbox", "data-testid": `code-${attribute.name}-${code.code}`,
          onchange: (event) => toggleCode(attribute.name, code.code, event.target.checked) });
        box.checked = kept.has(code.code);
        list.append(el("li", { title: "held by " + code.providers.join(", ") },
          el("label", {}, box, ` ${code.code} `, el("span", { class: "meta" }, `(${code.providers.length})`))));
      }
      details.append(list);
    }
    if (attribute.type === "numeric") {
      const range = attribute.range;
      details.append(el("p", { class: "meta" }, range ? `published range ${range.min} to ${range.max}` : "no values published"));
      const filter = state.rangeFilters[attribute.name] || {};
      const min = el("input", { type: "number", step: "any", placeholder: "from", size: 6, onchange: () => setRange(attribute.name, min.value, max.value) });
      const max = el("input", { type: "number", step: "any", placeholder: "to", size: 6, onchange: () => setRange(attribute.name, min.value, max.value) });
      if (filter.min !== undefined) min.value = filter.min;
      if (filter.max !== undefined) max.value = filter.max;
      details.append(el("label", {}, "keep values between ", min, " and ", max));
      details.append(el("button", { type: "button", "data-testid": "histogram-" + attribute.name,
        onclick: () => { $("measure").value = "histogram:" + attribute.name; measureChanged(); } }, "histogram of " + attribute.name),
        " ",
        el("button", { type: "button", onclick: () => { $("measure").value = "mean:" + attribute.name; measureChanged(); } }, "mean ± SD of " + attribute.name));
    }
    root.append(details);
  }
  const measure = $("measure");
  if (measure.options.length === 2) {
    for (const attribute of state.catalogue.attributes.filter((a) => a.type === "numeric")) {
      measure.append(el("option", { value: "mean:" + attribute.name }, `Mean ± SD of ${attribute.name}`));
      measure.append(el("option", { value: "histogram:" + attribute.name }, `Histogram of ${attribute.name}`));
    }
  }
}

function toggleGroup(attribute) {
  if (state.groups.includes(attribute.name)) state.groups = state.groups.filter((name) => name !== attribute.name);
  else if (state.groups.length < MAX_CATEGORICAL_GROUPS) state.groups.push(attribute.name);
  else { showProblem({ detail: `At most ${MAX_CATEGORICAL_GROUPS} attributes can be grouped by; remove one first.` }); return; }
  rebuild();
}

function toggleCode(name, code, on) {
  const kept = state.codeFilters[name] || new Set();
  if (on) kept.add(code); else kept.delete(code);
  if (kept.size) state.codeFilters[name] = kept; else delete state.codeFilters[name];
  rebuild();
}

function setRange(name, min, max) {
  const filter = {};
  if (min !== "") filter.min = Number(min);
  if (max !== "") filter.max = Number(max);
  if (filter.min === undefined && filter.max === undefined) delete state.rangeFilters[name]; else state.rangeFilters[name] = filter;
  rebuild();
}

// ---- query builder -----------------------------------------------------------------

function quote(code) { return "'" + code.replaceAll("'", "''") + "'"; }

function measureChanged() {
  const [kind, name] = $("measure").value.split(":");
  const options = $("measure-options");
  options.textContent = "";
  if (kind === "histogram") {
    const attribute = state.catalogue.attributes.find((a) => a.name === name);
    const range = attribute.range || { min: 0, max: 100 };
    const field = (id, label, value) => el("label", {}, label + " ", el("input", { id, type: "number", step: "any", value, size: 6, onchange: rebuild }));
    options.append(field("bin-low", "from", Math.floor(range.min)), field("bin-high", "to", Math.ceil(range.max)), field("bin-count", "bins", 10));
  }
  rebuild();
}

function buildSQL() {
  const [kind, name] = $("measure").value.split(":");
  let select;
  if (kind === "count_rows") select = "COUNT(*)";
  else if (kind === "mean") select = `COUNT(DISTINCT subject), AVG(${name}), STDDEV(${name})`;
  else if (kind === "histogram") select = `HISTOGRAM(${name}, ${$("bin-low").value}, ${$("bin-high").value}, ${$("bin-count").value})`;
  else select = "COUNT(DISTINCT subject)";
  const conditions = [];
  for (const [attribute, codes] of Object.entries(state.codeFilters)) {
    const list = [...codes].sort();
    conditions.push(list.length === 1 ? `${attribute} = ${quote(list[0])}` : `${attribute} IN (${list.map(quote).join(", ")})`);
  }
  for (const [attribute, range] of Object.entries(state.rangeFilters)) {
    if (range.min !== undefined && range.max !== undefined) conditions.push(`${attribute} BETWEEN ${range.min} AND ${range.max}`);
    else if (range.min !== undefined) conditions.push(`${attribute} >= ${range.min}`);
    else conditions.push(`${attribute} <= ${range.max}`);
  }
  let sql = `SELECT ${select} FROM ${state.catalogue ? state.catalogue.table : "cases"}`;
  if (conditions.length) sql += "\nWHERE " + conditions.join("\n  AND ");
  if (state.groups.length) sql += "\nGROUP BY " + state.groups.join(", ");
  return sql;
}

function rebuild() {
  $("sql").value = buildSQL();
  $("groups").textContent = state.groups.length ? state.groups.join(", ") : "nothing (one total)";
  const filters = [...Object.entries(state.codeFilters).map(([a, c]) => `${a} ∈ {${[...c].join(", ")}}`),
    ...Object.entries(state.rangeFilters).map(([a, r]) => `${a} ${r.min ?? "…"}–${r.max ?? "…"}`)];
  $("filters").textContent = filters.length ? filters.join("; ") : "none";
  $("sql-error").hidden = true;
  renderCatalogue();
}

function showProblem(problem) {
  const box = $("sql-error");
  let text = problem.detail || problem.title || String(problem);
  if (problem.line && problem.column) {
    const line = $("sql").value.split("\n")[problem.line - 1] || "";
    text += `\n\n${line}\n${" ".repeat(Math.max(0, problem.column - 1))}^`;
    if (problem.suggestion) text += ` did you mean ${problem.suggestion}?`;
  }
  box.textContent = text;
  box.hidden = false;
}

// ---- running and the provider board -------------------------------------------------

function renderProviders() {
  const list = $("providers");
  list.textContent = "";
  for (const provider of state.catalogue ? state.catalogue.providers : []) {
    const entry = state.providers[provider.node_id] || { outcome: provider.live ? "idle" : "not alive" };
    const chip = el("span", { class: "chip " + entry.outcome }, entry.outcome.replace("_", " "));
    const item = el("li", { "data-node": provider.node_id, "data-outcome": entry.outcome }, chip, " ", el("b", {}, provider.node_id),
      el("span", { class: "meta" }, ` ${provider.site_name} · k=${provider.policy.k} · ${provider.subjects} persons${provider.policy.answers_you ? "" : " · does not answer you"}`));
    if (entry.reason) item.append(el("div", { class: "reason" }, entry.reason));
    list.append(item);
  }
}

async function run() {
  const sql = $("sql").value.trim();
  $("sql-error").hidden = true;
  $("run").disabled = true;
  $("result-status").textContent = "Planning…";
  state.providers = {};
  state.result = null;
  renderResult();
  try {
    const accepted = await apiJSON("/v1/queries", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sql }) });
    state.queryID = accepted.id;
    $("result-status").textContent = "Asking the federation…";
    await followEvents(accepted.id, onEvent);
  } catch (error) {
    if (error.problem) showProblem(error.problem); else showProblem({ detail: error.message });
    $("result-status").textContent = "The query did not run.";
  } finally {
    $("run").disabled = false;
  }
}

function onEvent(name, data) {
  if (name === "planned") {
    for (const node of data.targets) state.providers[node] = { outcome: "target", reason: "asked; waiting for the answer" };
    for (const [node, reason] of Object.entries(data.pruned)) state.providers[node] = { outcome: "pruned", reason };
    for (const [node, reason] of Object.entries(data.refused)) state.providers[node] = { outcome: "refused", reason };
    $("result-status").textContent = `Planned: ${data.targets.length} providers asked, ${data.cells} cells, K = ${data.k}. Waiting for the answers…`;
  } else if (name === "provider") {
    state.providers[data.node_id] = { outcome: data.outcome, reason: data.reason };
  } else if (name === "result") {
    state.result = data;
    const coverage = data.coverage;
    $("result-status").textContent = `Answered by ${coverage.answered.length} provider${coverage.answered.length === 1 ? "" : "s"}` +
      `; cells with fewer than ${data.k} persons show <${data.k}.`;
    renderResult();
  } else if (name === "failed") {
    showProblem(data);
    $("result-status").textContent = "The mesh did not answer: " + data.detail;
  }
  renderProviders();
}

// ---- result table and charts ---------------------------------------------------------

function isMeasure(result, column) {
  return result.rows.some((row, r) => typeof row[column] === "number" || result.suppressed[r][column]);
}

function renderResult() {
  const table = $("result");
  table.textContent = "";
  $("chart").textContent = "";
  $("result-notes").textContent = "";
  const result = state.result;
  $("export-csv").disabled = $("export-json").disabled = !result;
  if (!result) return;
  const measures = result.columns.map((_, c) => isMeasure(result, c));
  const head = el("tr");
  result.columns.forEach((name, c) => head.append(el("th", {}, name + (measures[c] && result.perturbed ? " *" : ""))));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  result.rows.forEach((row, r) => {
    const tr = el("tr");
    row.forEach((value, c) => {
      if (result.suppressed[r][c]) tr.append(el("td", { class: "suppressed", title: `fewer than ${result.k} persons: withheld` }, String(value)));
      else if (typeof value === "number") tr.append(el("td", { class: "number" }, formatNumber(value)));
      else tr.append(el("td", {}, value === null ? "—" : String(value)));
    });
    body.append(tr);
  });
  table.append(body);
  const notes = [`Grey cells stand for fewer than ${result.k} persons (<${result.k}) and are withheld.`];
  if (result.perturbed) notes.push("* " + result.perturbation_note);
  $("result-notes").textContent = notes.join(" ");
  drawChart(result, measures);
}

function formatNumber(value) { return Number.isInteger(value) ? String(value) : value.toFixed(2); }

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawChart(result, measures) {
  const labels = result.columns.map((_, c) => c).filter((c) => !measures[c]);
  const values = result.columns.map((_, c) => c).filter((c) => measures[c]);
  if (!values.length || !labels.length) return;
  const mean = values.find((c) => result.columns[c].startsWith("avg"));
  const sd = values.find((c) => result.columns[c].startsWith("stddev"));
  let chart;
  if (labels.length === 2) chart = heatMap(result, labels, values[0]);
  else if (labels.length === 1 && mean !== undefined && sd !== undefined) chart = meanSD(result, labels[0], mean, sd);
  else chart = bars(result, labels, values[0]);
  $("chart").append(chart);
}

function labelOf(row, labels) { return labels.map((c) => row[c] === null ? "NULL" : String(row[c])).join(" · "); }

function bars(result, labels, column) {
  const rows = result.rows.map((row, r) => ({ label: labelOf(row, labels), value: result.suppressed[r][column] ? null : row[column], marker: row[column] }));
  const max = Math.max(1, ...rows.map((row) => row.value || 0));
  const barHeight = 18, left = 170, width = 720;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * barHeight + 30}`, width, "data-chart": "bars", role: "img" });
  chart.append(svg("title", {}, `${result.columns[column]} by ${labels.map((c) => result.columns[c]).join(", ")}`));
  rows.forEach((row, i) => {
    const y = 10 + i * barHeight;
    chart.append(svg("text", { x: left - 6, y: y + 12, "text-anchor": "end" }, row.label));
    if (row.value === null) {
      chart.append(svg("rect", { x: left, y: y + 2, width: 30, height: barHeight - 5, fill: "#eceff1" }));
      chart.append(svg("text", { x: left + 36, y: y + 12, fill: "#90a4ae" }, String(row.marker)));
    } else {
      const w = (width - left - 60) * row.value / max;
      chart.append(svg("rect", { x: left, y: y + 2, width: Math.max(1, w), height: barHeight - 5, fill: "#0b6e8a" }));
      chart.append(svg("text", { x: left + w + 4, y: y + 12 }, formatNumber(row.value)));
    }
  });
  return chart;
}

function heatMap(result, labels, column) {
  const rowsOf = [...new Set(result.rows.map((row) => String(row[labels[0]])))];
  const columnsOf = [...new Set(result.rows.map((row) => String(row[labels[1]])))];
  const cell = 34, left = 90, top = 70;
  const max = Math.max(1, ...result.rows.map((row, r) => result.suppressed[r][column] ? 0 : row[column] || 0));
  const chart = svg("svg", { viewBox: `0 0 ${left + columnsOf.length * cell + 10} ${top + rowsOf.length * cell + 10}`,
    width: left + columnsOf.length * cell + 10, "data-chart": "heatmap", role: "img" });
  chart.append(svg("title", {}, `${result.columns[column]}: ${result.columns[labels[0]]} by ${result.columns[labels[1]]}`));
  columnsOf.forEach((name, j) => chart.append(svg("text", { x: left + j * cell + cell / 2, y: top - 6, transform: `rotate(-50 ${left + j * cell + cell / 2} ${top - 6})` }, name)));
  rowsOf.forEach((name, i) => chart.append(svg("text", { x: left - 6, y: top + i * cell + cell / 2 + 4, "text-anchor": "end" }, name)));
  result.rows.forEach((row, r) => {
    const i = rowsOf.indexOf(String(row[labels[0]])), j = columnsOf.indexOf(String(row[labels[1]]));
    const x = left + j * cell, y = top + i * cell;
    const withheld = result.suppressed[r][column];
    const share = withheld ? 0 : (row[column] || 0) / max;
    const fill = withheld ? "#eceff1" : `rgba(11, 110, 138, ${0.12 + 0.88 * share})`;
    const rect = svg("rect", { x, y, width: cell - 2, height: cell - 2, fill });
    rect.append(svg("title", {}, `${row[labels[0]]} · ${row[labels[1]]}: ${row[column]}`));
    chart.append(rect);
    chart.append(svg("text", { x: x + cell / 2 - 1, y: y + cell / 2 + 3, "text-anchor": "middle", fill: withheld ? "#90a4ae" : share > 0.55 ? "#fff" : "#1d2733" },
      withheld ? String(row[column]) : formatNumber(row[column])));
  });
  return chart;
}

function meanSD(result, label, mean, sd) {
  const rows = result.rows.map((row, r) => ({ label: String(row[label]), mean: result.suppressed[r][mean] ? null : row[mean], sd: result.suppressed[r][sd] ? 0 : row[sd] || 0 }))
    .filter((row) => typeof row.mean === "number");
  if (!rows.length) return svg("svg");
  const low = Math.min(...rows.map((row) => row.mean - row.sd)), high = Math.max(...rows.map((row) => row.mean + row.sd));
  const left = 170, width = 720, rowHeight = 20;
  const x = (value) => left + (width - left - 30) * (value - low) / Math.max(1e-9, high - low);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowHeight + 30}`, width, "data-chart": "mean-sd", role: "img" });
  chart.append(svg("title", {}, `${result.columns[mean]} ± ${result.columns[sd]} by ${result.columns[label]}`));
  rows.forEach((row, i) => {
    const y = 14 + i * rowHeight;
    chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, row.label));
    chart.append(svg("line", { x1: x(row.mean - row.sd), x2: x(row.mean + row.sd), y1: y, y2: y, stroke: "#5b6775" }));
    chart.append(svg("circle", { cx: x(row.mean), cy: y, r: 4, fill: "#0b6e8a" }));
    chart.append(svg("text", { x: x(row.mean + row.sd) + 6, y: y + 4 }, `${formatNumber(row.mean)} ± ${formatNumber(row.sd)}`));
  });
  return chart;
}

// ---- export and copy ------------------------------------------------------------------

function download(name, type, text) {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function csvField(value) {
  const text = value === null ? "" : String(value);
  return /[",\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
}

function shellQuote(text) { return "'" + text.replaceAll("'", "'\\''") + "'"; }

function cliCommand() {
  const session = state.session || {};
  const sql = $("sql").value.trim().replace(/\s*\n\s*/g, " ");
  return `meshnode query --node ${session.node} --identity ${shellQuote(session.identity_directory || "IDENTITY")} ` +
    `--ca ${shellQuote(session.ca_path || "CA.crt")} ${shellQuote(sql)}`;
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  try {
    state.session = await apiJSON("/v1/session");
    $("session").textContent = `Researcher ${state.session.researcher}, asking the federation through node ${state.session.node}.`;
    state.catalogue = await apiJSON("/v1/catalogue");
    $("session").textContent += ` ${state.catalogue.providers.length} providers publish catalogues.`;
    measureChanged();
    renderProviders();
  } catch (error) {
    $("catalogue").textContent = "The catalogue could not be loaded: " + error.message;
  }
}

$("run").addEventListener("click", run);
$("reset").addEventListener("click", () => { state.groups = []; state.codeFilters = {}; state.rangeFilters = {}; $("measure").value = "count_subjects"; measureChanged(); });
$("measure").addEventListener("change", measureChanged);
$("copy-cli").addEventListener("click", async () => {
  const command = cliCommand();
  $("cli").textContent = command;
  $("cli").hidden = false;
  try { await navigator.clipboard.writeText(command); $("cli").textContent += "\n(copied)"; } catch (_) { /* shown above to copy by hand */ }
});
$("export-csv").addEventListener("click", () => {
  const result = state.result;
  const lines = [result.columns.map(csvField).join(","), ...result.rows.map((row) => row.map(csvField).join(","))];
  download(`oncomesh-${result.query_id}.csv`, "text/csv", lines.join("\n") + "\n");
});
$("export-json").addEventListener("click", () => download(`oncomesh-${state.result.query_id}.json`, "application/json", JSON.stringify(state.result, null, 2)));
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("oncomesh-console-token", $("token").value.trim());
  $("token-form").hidden = true;
  start();
});
start();
