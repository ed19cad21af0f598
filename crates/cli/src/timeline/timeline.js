// The timeline's model and its page: the data (see timeline/page.rs) unpacked into what the
// drawing needs, the rows, lanes, marker, filters and legend built, and the view (the time
// range shown). page.rs runs this, draw.js and interact.js as one script, in that order, in
// one function's scope.
const D = JSON.parse(document.getElementById("data").textContent);
const ROLES = ["follower", "pre-candidate", "candidate", "leader"];
const STATUSES = ["up", "paused", "crashed"];
const ROLE_FILL = ["#dde5ef", "#fde68a", "#f59e0b", "#16a34a"];
const ROLE_INK = ["#475569", "#713f12", "#ffffff", "#ffffff"];
const CRASHED_FILL = "#475569";
const MESSAGE_COLORS = {
  "vote-request": "#7c3aed", "vote-response": "#a78bfa",
  "prevote-request": "#c026d3", "prevote-response": "#e879f9",
  "append": "#2563eb", "append-response": "#60a5fa",
  "heartbeat": "#0891b2", "heartbeat-response": "#67e8f9",
  "snapshot": "#b45309", "snapshot-response": "#f59e0b",
  "timeout-now": "#be123c", "other": "#64748b",
};
const EVENT_COLORS = {
  "tick": "#cbd5e1", "deliver": "#3b82f6", "process": "#94a3b8", "client-arrive": "#0d9488",
  "fsync": "#a16207", "client-send": "#0d9488", "client-reply": "#14b8a6",
  "client-timeout": "#f97316", "fault-start": "#ea580c", "fault-end": "#ea580c",
  "burst-send": "#f97316", "heal": "#0f766e", "deadline": "#e11d48",
  "request-frame": "#0d9488", "reply-frame": "#14b8a6",
};
const FAULT_FILL = "rgba(234, 88, 12, 0.10)";
const FAULT_EDGE = "#ea580c";
const HEAL_COLOR = "#0f766e";
const BAD = "#e11d48";
const LABEL_WIDTH = 132, AXIS_H = 28, CLUSTER_H = 48, LANE_H = 64;
const BAND_TOP = 18, BAND_H = 22, EVENT_Y = 44, APPLY_Y = 56;
const FATES = ["delivered", "lost in the network as it was sent", "cut in flight by a partition", "dropped on arrival (the recipient was down, or its inbox full)"];
const ARROWS_DRAWN_MAX = 6000;
const AF = D.arrowFields;

const N = D.nodes, first = D.first, ev = D.ev, E = ev.t.length;
const stepIndex = (step) => step - first;
const stepTime = (step) => {
  if (step < first) return D.start;
  const i = step - first;
  return i < E ? ev.t[i] : D.end;
};
const laneTop = (node) => AXIS_H + CLUSTER_H + (node - 1) * LANE_H;
const plotHeight = AXIS_H + CLUSTER_H + N * LANE_H;

// Per node: state changes as rows [step, role, term, status, commit, applied], role bands
// (merged where only commit or applied moved), and applies.
const states = D.states.map((flat) => {
  const rows = [];
  for (let i = 0; i < flat.length; i += 6) rows.push(flat.slice(i, i + 6));
  return rows;
});
const bands = states.map((rows) => {
  const out = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (last && last.role === row[1] && last.term === row[2] && last.status === row[3]) continue;
    if (last) last.t1 = stepTime(row[0]);
    out.push({ t0: stepTime(row[0]), t1: D.end, role: row[1], term: row[2], status: row[3] });
  }
  return out;
});
const applies = states.map((rows) => {
  const out = [];
  for (let i = 1; i < rows.length; i++) {
    if (rows[i][5] > rows[i - 1][5]) out.push({ step: rows[i][0], t: stepTime(rows[i][0]), index: rows[i][5] });
  }
  return out;
});
const commits = [];
for (let i = 2; i < D.committed.length; i += 2) {
  commits.push({ step: D.committed[i], t: stepTime(D.committed[i]), index: D.committed[i + 1] });
}
const arrowCount = D.arrows.length / AF;
const arrow = (j) => {
  const a = D.arrows, o = j * AF;
  return {
    j, from: a[o], to: a[o + 1], kind: D.msgKinds[a[o + 2]], term: a[o + 3], sendStep: a[o + 4],
    sendUs: a[o + 5], deliverUs: a[o + 6], deliverStep: a[o + 7], text: a[o + 8],
    damage: a[o + 9], duplicate: a[o + 10], fate: a[o + 11],
  };
};
let arrowSpanMax = 0;
for (let j = 0; j < arrowCount; j++) {
  const o = j * AF;
  if (D.arrows[o + 6] >= 0) arrowSpanMax = Math.max(arrowSpanMax, D.arrows[o + 6] - D.arrows[o + 5]);
}
// Fault bars in the cluster row: two slots, the later of two overlapping faults below.
const faults = D.faults.map((fault) => ({ ...fault, t0: fault.st, t1: fault.et === null ? D.end : fault.et }));
const slotEnds = [-Infinity, -Infinity];
const slotLast = [null, null];
for (const fault of faults) {
  fault.slot = slotEnds[0] <= fault.t0 ? 0 : 1;
  slotEnds[fault.slot] = Math.max(slotEnds[fault.slot], fault.t1);
  if (slotLast[fault.slot]) slotLast[fault.slot].next = fault.t0;
  slotLast[fault.slot] = fault;
  fault.next = Infinity;
}
const violation = D.violation;

// The node's row of `states` in force after `step`.
function stateAt(node, step) {
  const rows = states[node - 1];
  let lo = 0, hi = rows.length - 1, found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid][0] <= step) { found = rows[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}
// The last step at or before time `t` (the state a lane shows there).
function stepAtTime(t) {
  const i = upperBound(ev.t, t) - 1;
  return i < 0 ? first - 1 : first + i;
}
function lowerBound(array, value) {
  let lo = 0, hi = array.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (array[mid] < value) lo = mid + 1; else hi = mid; }
  return lo;
}
function upperBound(array, value) {
  let lo = 0, hi = array.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (array[mid] <= value) lo = mid + 1; else hi = mid; }
  return lo;
}
function arrowLowerBound(t) {
  let lo = 0, hi = arrowCount;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (D.arrows[mid * AF + 5] < t) lo = mid + 1; else hi = mid; }
  return lo;
}

// ---- Formatting ----
function formatTime(us) {
  if (Math.abs(us) >= 1e6) return (us / 1e6).toFixed(6).replace(/0{1,3}$/, "") + " s";
  if (Math.abs(us) >= 1e3) return (us / 1e3).toFixed(3) + " ms";
  return us + " µs";
}
function formatSpan(us) {
  if (us >= 1e6) return (us / 1e6).toFixed(us >= 1e7 ? 1 : 3) + " s";
  if (us >= 1e3) return (us / 1e3).toFixed(us >= 1e4 ? 1 : 2) + " ms";
  return Math.round(us) + " µs";
}
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// ---- DOM: rows, lanes, marker, filters, legend ----
const chart = document.getElementById("chart");
const rowsBox = document.getElementById("rows");
const canvas = document.getElementById("plot");
const context = canvas.getContext("2d");
const detailBody = document.getElementById("detail-body");
const cursorLabel = document.getElementById("cursor-time");
const axisRow = document.createElement("div");
axisRow.className = "row axis";
axisRow.innerHTML = '<div class="label">time</div>';
const clusterRow = document.createElement("div");
clusterRow.className = "row cluster";
clusterRow.innerHTML = '<div class="label">faults<br>commits</div>';
rowsBox.append(axisRow, clusterRow);
const laneStates = [];
for (let node = 1; node <= N; node++) {
  const lane = document.createElement("div");
  lane.className = "lane";
  lane.dataset.node = String(node);
  lane.innerHTML = '<div class="label"><span class="name">n' + node + '</span><span class="state"></span></div>';
  rowsBox.append(lane);
  laneStates.push(lane.querySelector(".state"));
}
let marker = null;
if (violation) {
  marker = document.createElement("div");
  marker.id = "violation-marker";
  marker.dataset.step = String(violation.step);
  marker.title = violation.property + ": " + violation.detail;
  marker.innerHTML = '<span class="flag">✖ ' + escapeHtml(violation.property) + " · step " + violation.step +
    '</span><span class="detail">' + escapeHtml(violation.detail) + "</span>";
  marker.addEventListener("click", (event) => { event.stopPropagation(); select({ type: "violation" }); });
  chart.append(marker);
}
const notice = document.createElement("div");
notice.id = "notice";
chart.append(notice);

const hiddenKinds = new Set();
const messageFilter = document.getElementById("message-filter");
D.msgKinds.forEach((kind) => {
  const label = document.createElement("label");
  const color = MESSAGE_COLORS[kind] || MESSAGE_COLORS.other;
  label.innerHTML = '<input type="checkbox" checked data-kind="' + escapeHtml(kind) + '"><span class="swatch" style="background:' + color + '"></span>' + escapeHtml(kind);
  label.querySelector("input").addEventListener("change", (event) => {
    if (event.target.checked) hiddenKinds.delete(kind); else hiddenKinds.add(kind);
    draw();
  });
  messageFilter.append(label);
});
if (D.msgKinds.length === 0) messageFilter.append(" none in this window");
const layers = { ticks: true, events: true, applies: true, commits: true, faults: true };
const layerNames = { ticks: "timer ticks", events: "other events", applies: "applies", commits: "commits", faults: "faults" };
const layerFilter = document.getElementById("layer-filter");
for (const layer of Object.keys(layers)) {
  const label = document.createElement("label");
  label.innerHTML = '<input type="checkbox" checked>' + layerNames[layer];
  label.querySelector("input").addEventListener("change", (event) => { layers[layer] = event.target.checked; draw(); });
  layerFilter.append(label);
}
const legend = document.getElementById("legend");
const legendItems = ROLES.map((role, i) => '<span><span class="swatch box" style="background:' + ROLE_FILL[i] + '"></span>' + role + "</span>");
legendItems.push('<span><span class="swatch box" style="background:repeating-linear-gradient(135deg,#dde5ef 0 3px,#94a3b8 3px 5px)"></span>paused</span>');
legendItems.push('<span><span class="swatch box" style="background:' + CRASHED_FILL + '"></span>crashed</span>');
legendItems.push('<span><span class="swatch box" style="background:' + FAULT_FILL + ";border-color:" + FAULT_EDGE + '"></span>fault</span>');
legendItems.push('<span><span class="swatch" style="background:' + HEAL_COLOR + '"></span>heal</span>');
legendItems.push('<span style="color:#15803d">◆</span><span>ground-truth commit</span>');
legendItems.push('<span style="color:#15803d">▲</span><span>applied</span>');
legendItems.push('<span style="color:' + BAD + '">✕</span><span>lost message</span>');
legendItems.push('<span><span class="swatch" style="background:' + BAD + '"></span>violation</span>');
legend.innerHTML = legendItems.join("");

// ---- View: the time range shown ----
const view = { t0: D.start, t1: D.end };
let width = 600;
function fit() {
  const span = Math.max(D.end - D.start, 1);
  view.t0 = D.start - span * 0.01;
  view.t1 = D.end + span * 0.05;
}
function focusViolation() {
  if (!violation) return fit();
  const i = Math.max(0, Math.min(E - 1, stepIndex(violation.step)) - 300);
  const t0 = E > 0 ? Math.min(ev.t[i], violation.t) : D.start;
  const span = Math.max(violation.t - t0, 1000);
  view.t0 = t0 - span * 0.02;
  view.t1 = violation.t + span * 0.12;
}
function clampView() {
  const full = Math.max(D.end - D.start, 1);
  let span = view.t1 - view.t0;
  span = Math.min(Math.max(span, 20), full * 1.5);
  let middle = (view.t0 + view.t1) / 2;
  middle = Math.min(Math.max(middle, D.start), D.end);
  view.t0 = middle - span / 2;
  view.t1 = middle + span / 2;
}
function zoom(factor, anchorX) {
  const anchor = view.t0 + (anchorX / width) * (view.t1 - view.t0);
  view.t0 = anchor - (anchor - view.t0) * factor;
  view.t1 = anchor + (view.t1 - anchor) * factor;
  clampView();
  requestDraw();
}
const x = (t) => ((t - view.t0) / (view.t1 - view.t0)) * width;
const timeAt = (px) => view.t0 + (px / width) * (view.t1 - view.t0);
