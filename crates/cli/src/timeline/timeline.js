"use strict";
// raftsim's timeline of one replayed trace. The data (see timeline/page.rs) are columns of
// numbers; everything dense (role bands, events, arrows, bands) is drawn on one canvas, and
// only what is in view. The lanes and the violation marker are DOM elements, so that a test
// (or a reader's find-in-page) can reach them.
window.addEventListener("error", (event) => {
  document.body.dataset.error = String(event.message || event);
});
(function () {
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
    marker.innerHTML = '<span class="flag">✖ ' + escapeHtml(violation.property) + " · step " + violation.step + "</span>";
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

  // ---- Drawing ----
  const hatch = (() => {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const c = tile.getContext("2d");
    c.strokeStyle = "rgba(234, 88, 12, 0.35)";
    c.lineWidth = 1;
    c.beginPath(); c.moveTo(0, 8); c.lineTo(8, 0); c.stroke();
    return context.createPattern(tile, "repeat");
  })();
  const pauseHatch = (() => {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 6;
    const c = tile.getContext("2d");
    c.strokeStyle = "rgba(71, 85, 105, 0.55)";
    c.lineWidth = 1.5;
    c.beginPath(); c.moveTo(0, 6); c.lineTo(6, 0); c.stroke();
    return context.createPattern(tile, "repeat");
  })();
  let drawnArrows = [];
  let selected = null;
  let hoverX = null;

  function layout() {
    width = Math.max(200, chart.clientWidth - LABEL_WIDTH);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(plotHeight * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = plotHeight + "px";
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  let drawPending = false;
  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    window.requestAnimationFrame(() => { drawPending = false; draw(); });
  }
  function draw() {
    context.clearRect(0, 0, width, plotHeight);
    drawAxis();
    if (layers.faults) drawFaults();
    drawLanes();
    drawHeal();
    if (layers.commits) drawCommits();
    drawEvents();
    if (layers.applies) drawApplies();
    drawArrows();
    drawLaneLabels();
    drawViolation();
    drawSelection();
    drawHover();
    placeMarker();
    updateLabels();
    document.getElementById("range").textContent = formatTime(Math.max(0, Math.round(view.t0))) + " – " + formatTime(Math.round(view.t1)) + "  (" + formatSpan(view.t1 - view.t0) + ")";
  }

  function niceStep(span) {
    const raw = span / Math.max(1, width / 95);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }
  function tickLabel(t, step) {
    if (step >= 1e5) return (t / 1e6).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e6)))) + " s";
    if (step >= 100) return (t / 1e3).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e3)))) + " ms";
    return Math.round(t) + " µs";
  }
  function drawAxis() {
    const step = niceStep(view.t1 - view.t0);
    context.font = "11px system-ui, sans-serif";
    context.textBaseline = "middle";
    context.textAlign = "center";
    for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      const px = Math.round(x(t)) + 0.5;
      context.fillStyle = "#eef1f5";
      context.fillRect(px - 0.5, AXIS_H, 1, plotHeight - AXIS_H);
      context.fillStyle = "#94a3b8";
      context.fillRect(px - 0.5, AXIS_H - 6, 1, 6);
      if (t >= 0) {
        const label = tickLabel(t, step), half = context.measureText(label).width / 2;
        context.fillStyle = "#475569";
        context.fillText(label, Math.max(half + 2, px), 11);
      }
    }
    context.fillStyle = "#e5e7eb";
    context.fillRect(0, AXIS_H - 1, width, 1);
  }

  function visible(t0, t1) { return t1 >= view.t0 && t0 <= view.t1; }
  function clampX(px) { return Math.max(-10, Math.min(width + 10, px)); }

  function drawFaults() {
    context.font = "11px system-ui, sans-serif";
    context.textBaseline = "middle";
    context.textAlign = "left";
    for (const fault of faults) {
      if (!visible(fault.t0, fault.t1)) continue;
      const x0 = clampX(x(fault.t0)), x1 = clampX(x(fault.t1));
      const nodes = fault.nodes.length ? fault.nodes : Array.from({ length: N }, (_, i) => i + 1);
      if (!fault.skipped) {
        for (const node of nodes) {
          const y = laneTop(node);
          context.fillStyle = FAULT_FILL;
          context.fillRect(x0, y, Math.max(1, x1 - x0), LANE_H - 1);
          context.fillStyle = hatch;
          context.fillRect(x0, y, Math.max(1, x1 - x0), LANE_H - 1);
        }
      }
      const y = AXIS_H + 3 + fault.slot * 15;
      context.fillStyle = fault.skipped ? "rgba(234, 88, 12, 0.06)" : "rgba(234, 88, 12, 0.16)";
      context.fillRect(x0, y, Math.max(2, x1 - x0), 13);
      context.fillStyle = FAULT_EDGE;
      context.fillRect(x0, y, 2, 13);
      if (fault.et !== null && x1 <= width) context.fillRect(x1 - 1, y, 1.5, 13);
      // The label runs on past a short bar, up to the next fault in its slot.
      const label = "f" + fault.fault + " " + fault.text + (fault.nodes.length ? " [" + fault.nodes.map((n) => "n" + n).join(",") + "]" : "");
      const left = Math.max(x0, 0), right = Math.min(width, fault.next === Infinity ? width : x(fault.next)) - 4;
      if (right - left > 24) {
        context.fillStyle = "#9a3412";
        context.save();
        context.beginPath();
        context.rect(left, y, right - left, 13);
        context.clip();
        context.fillText(label, left + 5, y + 7);
        context.restore();
      }
    }
  }

  // Each node's role bands; their labels are drawn after the arrows, over them.
  function visibleBands(node, each) {
    for (const band of bands[node - 1]) {
      if (!visible(band.t0, band.t1)) continue;
      const x0 = clampX(x(band.t0)), x1 = clampX(x(band.t1));
      each(band, x0, Math.max(1, x1 - x0 - 1), laneTop(node) + BAND_TOP);
    }
  }
  function drawLanes() {
    for (let node = 1; node <= N; node++) {
      visibleBands(node, (band, x0, w, y) => {
        context.fillStyle = band.status === 2 ? CRASHED_FILL : ROLE_FILL[band.role];
        context.fillRect(x0, y, w, BAND_H);
        if (band.status === 1) { context.fillStyle = pauseHatch; context.fillRect(x0, y, w, BAND_H); }
      });
    }
  }
  function drawLaneLabels() {
    context.font = "600 11.5px system-ui, sans-serif";
    context.textBaseline = "middle";
    context.textAlign = "center";
    context.lineJoin = "round";
    context.lineWidth = 3;
    for (let node = 1; node <= N; node++) {
      visibleBands(node, (band, x0, w, y) => {
        const crashed = band.status === 2;
        const text = crashed ? "crashed" : (band.status === 1 ? "paused · " : "") + ROLES[band.role] + " · term " + band.term;
        const short = crashed ? "✕" : "T" + band.term;
        const left = Math.max(x0, 0), right = Math.min(x0 + w, width);
        const room = right - left;
        const label = room > context.measureText(text).width + 10 ? text : room > context.measureText(short).width + 6 ? short : null;
        if (!label) return;
        const fill = crashed ? CRASHED_FILL : ROLE_FILL[band.role];
        context.strokeStyle = fill;
        context.strokeText(label, (left + right) / 2, y + BAND_H / 2 + 0.5);
        context.fillStyle = crashed ? "#ffffff" : ROLE_INK[band.role];
        context.fillText(label, (left + right) / 2, y + BAND_H / 2 + 0.5);
      });
    }
  }

  function drawHeal() {
    if (!D.heal) return;
    const px = Math.round(x(D.heal[1])) + 0.5;
    if (px < 0 || px > width) return;
    context.strokeStyle = HEAL_COLOR;
    context.lineWidth = 1.5;
    context.setLineDash([5, 3]);
    context.beginPath(); context.moveTo(px, AXIS_H); context.lineTo(px, plotHeight); context.stroke();
    context.setLineDash([]);
    context.font = "600 11px system-ui, sans-serif";
    context.textAlign = "left";
    context.fillStyle = HEAL_COLOR;
    context.fillText("heal", px + 4, AXIS_H + CLUSTER_H - 9);
  }

  function drawCommits() {
    const y = AXIS_H + 40;
    context.font = "10.5px system-ui, sans-serif";
    context.textAlign = "left";
    context.textBaseline = "middle";
    let lastLabel = -Infinity;
    const i0 = lowerBoundBy(commits, view.t0);
    for (let i = i0; i < commits.length && commits[i].t <= view.t1; i++) {
      const px = x(commits[i].t);
      context.fillStyle = "#15803d";
      context.beginPath();
      context.moveTo(px, y - 5); context.lineTo(px + 4, y); context.lineTo(px, y + 5); context.lineTo(px - 4, y);
      context.fill();
      if (px - lastLabel > 34) {
        context.fillText(String(commits[i].index), px + 6, y);
        lastLabel = px;
      }
    }
  }
  function lowerBoundBy(items, t) {
    let lo = 0, hi = items.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (items[mid].t < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function drawEvents() {
    if (!layers.ticks && !layers.events) return;
    const i0 = lowerBound(ev.t, view.t0), i1 = upperBound(ev.t, view.t1);
    const lastX = new Float64Array(N + 1).fill(-Infinity);
    const lastTickX = new Float64Array(N + 1).fill(-Infinity);
    for (let i = i0; i < i1; i++) {
      const kind = D.kinds[ev.k[i]];
      const isTick = kind === "tick";
      if (isTick ? !layers.ticks : !layers.events) continue;
      const node = ev.n[i];
      const px = Math.round(x(ev.t[i]));
      const seen = isTick ? lastTickX : lastX;
      if (px === seen[node]) continue;
      seen[node] = px;
      context.fillStyle = EVENT_COLORS[kind] || "#64748b";
      if (node === 0) context.fillRect(px - 0.75, AXIS_H + CLUSTER_H - 7, 1.5, 6);
      else if (isTick) context.fillRect(px - 0.5, laneTop(node) + EVENT_Y + 2, 1, 4);
      else context.fillRect(px - 0.75, laneTop(node) + EVENT_Y, 1.5, 7);
    }
  }

  function drawApplies() {
    context.font = "10px system-ui, sans-serif";
    context.textAlign = "left";
    context.textBaseline = "middle";
    for (let node = 1; node <= N; node++) {
      const list = applies[node - 1];
      const y = laneTop(node) + APPLY_Y;
      let lastLabel = -Infinity;
      for (let i = lowerBoundBy(list, view.t0); i < list.length && list[i].t <= view.t1; i++) {
        const px = x(list[i].t);
        context.fillStyle = "#15803d";
        context.beginPath();
        context.moveTo(px, y - 4); context.lineTo(px + 4, y + 3); context.lineTo(px - 4, y + 3);
        context.fill();
        if (px - lastLabel > 30) {
          context.fillStyle = "#166534";
          context.fillText(String(list[i].index), px + 5, y);
          lastLabel = px;
        }
      }
    }
  }

  // Where an arrow between two lanes leaves and lands: in the gaps between role bands.
  function arrowEnds(a) {
    const down = a.to > a.from;
    const y0 = laneTop(a.from) + BAND_TOP + (down ? BAND_H + 1 : -1);
    const y1 = laneTop(a.to) + BAND_TOP + (down ? -1 : BAND_H + 1);
    return [y0, y1];
  }
  // The arrows in view, or, when there are more than can be told apart, an even sample of them.
  function arrowsInView(each) {
    const start = arrowLowerBound(view.t0 - arrowSpanMax);
    for (let j = start; j < arrowCount; j++) {
      const o = j * AF;
      if (D.arrows[o + 5] > view.t1) break;
      const deliverUs = D.arrows[o + 6];
      if (deliverUs >= 0 && deliverUs < view.t0) continue;
      if (hiddenKinds.has(D.msgKinds[D.arrows[o + 2]])) continue;
      each(j);
    }
  }
  function drawArrows() {
    drawnArrows = [];
    let inView = 0;
    arrowsInView(() => inView++);
    const stride = Math.ceil(inView / ARROWS_DRAWN_MAX);
    const paths = new Map();
    let seen = 0;
    arrowsInView((j) => {
      if (seen++ % stride !== 0) return;
      const a = arrow(j), kind = a.kind, sendUs = a.sendUs, deliverUs = a.deliverUs;
      const [y0, y1] = arrowEnds(a);
      const x0 = x(sendUs);
      let x1, y2;
      if (deliverUs < 0) { x1 = x0 + 14; y2 = y0 + (y1 - y0) * 0.3; } else { x1 = x(deliverUs); y2 = y1; }
      drawnArrows.push([j, x0, y0, x1, y2]);
      const style = a.fate === 1 ? "lost" : a.fate > 1 ? "cut" : a.damage ? "damaged" : "plain";
      const key = kind + "|" + style;
      if (!paths.has(key)) paths.set(key, { kind, style, lines: [] });
      paths.get(key).lines.push([x0, y0, x1, y2]);
    });
    for (const { kind, style, lines } of paths.values()) {
      const color = MESSAGE_COLORS[kind] || MESSAGE_COLORS.other;
      context.strokeStyle = color;
      context.fillStyle = color;
      context.lineWidth = 1.2;
      context.globalAlpha = 0.85;
      context.setLineDash(style === "plain" ? [] : [4, 3]);
      if (style === "lost") context.globalAlpha = 0.5;
      context.beginPath();
      for (const [x0, y0, x1, y1] of lines) { context.moveTo(x0, y0); context.lineTo(x1, y1); }
      context.stroke();
      context.setLineDash([]);
      if (style === "lost" || style === "cut") {
        context.strokeStyle = BAD;
        context.lineWidth = 1.3;
        context.globalAlpha = 0.7;
        context.beginPath();
        for (const [, , x1, y1] of lines) {
          context.moveTo(x1 - 2.5, y1 - 2.5); context.lineTo(x1 + 2.5, y1 + 2.5);
          context.moveTo(x1 + 2.5, y1 - 2.5); context.lineTo(x1 - 2.5, y1 + 2.5);
        }
        context.stroke();
      } else {
        context.beginPath();
        for (const [x0, y0, x1, y1] of lines) arrowHead(x0, y0, x1, y1);
        context.fill();
      }
      context.globalAlpha = 1;
    }
    notice.textContent = stride > 1 ? "showing one in " + stride + " of the " + inView + " messages in view: zoom in to see them all" : "";
  }
  function arrowHead(x0, y0, x1, y1) {
    const angle = Math.atan2(y1 - y0, x1 - x0), size = 6;
    context.moveTo(x1, y1);
    context.lineTo(x1 - size * Math.cos(angle - 0.4), y1 - size * Math.sin(angle - 0.4));
    context.lineTo(x1 - size * Math.cos(angle + 0.4), y1 - size * Math.sin(angle + 0.4));
    context.closePath();
  }

  function drawViolation() {
    if (!violation) return;
    const px = Math.round(x(violation.t)) + 0.5;
    if (px < 0 || px > width) return;
    context.strokeStyle = BAD;
    context.lineWidth = 1;
    context.setLineDash([3, 3]);
    context.beginPath(); context.moveTo(px, AXIS_H); context.lineTo(px, plotHeight); context.stroke();
    context.setLineDash([]);
  }
  function violationNodes() {
    const nodes = (violation.nodes || []).filter((node) => node >= 1 && node <= N);
    return nodes.length ? nodes : Array.from({ length: N }, (_, i) => i + 1);
  }
  function placeMarker() {
    if (!marker) return;
    const px = x(violation.t);
    const nodes = violationNodes();
    const top = laneTop(Math.min(...nodes)) + 1;
    const bottom = laneTop(Math.max(...nodes)) + LANE_H - 2;
    marker.style.left = LABEL_WIDTH + px - 1 + "px";
    marker.style.top = top + "px";
    marker.style.height = bottom - top + "px";
    marker.classList.toggle("off", px < -2 || px > width + 2);
    marker.classList.toggle("flip", px > width - 190);
  }

  function drawSelection() {
    if (!selected) return;
    context.strokeStyle = "#111827";
    context.lineWidth = 2;
    if (selected.type === "arrow") {
      const a = arrow(selected.j);
      const [y0, y1] = arrowEnds(a);
      const x0 = x(a.sendUs);
      const x1 = a.deliverUs < 0 ? x0 + 14 : x(a.deliverUs);
      const y2 = a.deliverUs < 0 ? y0 + (y1 - y0) * 0.3 : y1;
      context.beginPath(); context.moveTo(x0, y0); context.lineTo(x1, y2); context.stroke();
      context.fillStyle = "#111827";
      context.beginPath(); arrowHead(x0, y0, x1, y2); context.fill();
    } else if (selected.type === "event") {
      const i = selected.i, node = ev.n[i];
      const px = x(ev.t[i]);
      const y = node === 0 ? AXIS_H + CLUSTER_H - 4 : laneTop(node) + EVENT_Y + 3;
      context.beginPath(); context.arc(px, y, 6, 0, 2 * Math.PI); context.stroke();
    } else if (selected.type === "fault") {
      const fault = faults[selected.k];
      const x0 = clampX(x(fault.t0)), x1 = clampX(x(fault.t1));
      const y = AXIS_H + 3 + fault.slot * 15;
      context.strokeRect(x0, y, Math.max(2, x1 - x0), 13);
    } else if (selected.type === "commit") {
      const px = x(commits[selected.k].t);
      context.beginPath(); context.arc(px, AXIS_H + 40, 7, 0, 2 * Math.PI); context.stroke();
    } else if (selected.type === "apply") {
      const px = x(applies[selected.node - 1][selected.k].t);
      context.beginPath(); context.arc(px, laneTop(selected.node) + APPLY_Y, 7, 0, 2 * Math.PI); context.stroke();
    } else if (selected.type === "lane") {
      context.strokeRect(0.5, laneTop(selected.node) + 0.5, width - 1, LANE_H - 2);
    }
  }

  function drawHover() {
    if (hoverX === null) { cursorLabel.style.display = "none"; return; }
    context.fillStyle = "rgba(17, 24, 39, 0.35)";
    context.fillRect(Math.round(hoverX), AXIS_H, 1, plotHeight - AXIS_H);
    cursorLabel.style.display = "block";
    cursorLabel.style.left = LABEL_WIDTH + hoverX + "px";
    cursorLabel.textContent = formatTime(Math.round(timeAt(hoverX)));
  }

  // Lane labels say each node's state at the cursor, or at the right edge of the view.
  function updateLabels() {
    const t = hoverX !== null ? timeAt(hoverX) : Math.min(view.t1, D.end);
    const step = stepAtTime(t);
    for (let node = 1; node <= N; node++) {
      const row = stateAt(node, step);
      if (!row) { laneStates[node - 1].textContent = ""; continue; }
      laneStates[node - 1].textContent = row[3] === 2 ? "crashed" : (row[3] === 1 ? "paused " : "") + ROLES[row[1]] + " · term " + row[2];
    }
  }

  // ---- Picking: what a click at (px, py) on the canvas hit ----
  function pick(px, py) {
    let best = null, bestDistance = 6;
    const consider = (item, distance) => { if (distance < bestDistance) { best = item; bestDistance = distance; } };
    for (const [j, x0, y0, x1, y1] of drawnArrows) consider({ type: "arrow", j }, segmentDistance(px, py, x0, y0, x1, y1));
    const inCluster = py >= AXIS_H && py < AXIS_H + CLUSTER_H;
    const node = inCluster || py < AXIS_H ? 0 : Math.floor((py - AXIS_H - CLUSTER_H) / LANE_H) + 1;
    const t = timeAt(px), slack = (view.t1 - view.t0) * (8 / width);
    const i0 = lowerBound(ev.t, t - slack), i1 = upperBound(ev.t, t + slack);
    const laneY = node > 0 ? py - laneTop(node) : 0;
    for (let i = i0; i < i1; i++) {
      if (ev.n[i] !== node) continue;
      const kind = D.kinds[ev.k[i]];
      if (kind === "tick" ? !layers.ticks : !layers.events) continue;
      const penalty = node === 0 ? (py > AXIS_H + 30 ? 0 : 4) : (laneY >= EVENT_Y - 4 && laneY < APPLY_Y - 4 ? 0 : 4);
      consider({ type: "event", i }, Math.abs(x(ev.t[i]) - px) + penalty);
    }
    if (node > 0 && layers.applies && laneY >= APPLY_Y - 6) {
      const list = applies[node - 1];
      for (let k = lowerBoundBy(list, t - slack); k < list.length && list[k].t <= t + slack; k++) {
        consider({ type: "apply", node, k }, Math.abs(x(list[k].t) - px));
      }
    }
    if (inCluster && layers.commits && py > AXIS_H + 32) {
      for (let k = lowerBoundBy(commits, t - slack); k < commits.length && commits[k].t <= t + slack; k++) {
        consider({ type: "commit", k }, Math.abs(x(commits[k].t) - px));
      }
    }
    if (violation) consider({ type: "violation" }, node > 0 && violationNodes().includes(node) ? Math.abs(x(violation.t) - px) + 1 : Infinity);
    if (best) return best;
    if (D.heal && inCluster && Math.abs(x(D.heal[1]) - px) < 5) return { type: "heal" };
    if (layers.faults) {
      for (let k = faults.length - 1; k >= 0; k--) {
        const fault = faults[k];
        if (t < fault.t0 || t > fault.t1) continue;
        const slotY = AXIS_H + 3 + fault.slot * 15;
        const onBar = inCluster && py >= slotY && py < slotY + 13;
        const onLane = node > 0 && !fault.skipped && (fault.nodes.length === 0 || fault.nodes.includes(node));
        if (onBar || onLane) return { type: "fault", k };
      }
    }
    if (node > 0) return { type: "lane", node, t };
    return null;
  }
  function segmentDistance(px, py, x0, y0, x1, y1) {
    const dx = x1 - x0, dy = y1 - y0, length = dx * dx + dy * dy;
    const u = length === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length));
    return Math.hypot(px - (x0 + u * dx), py - (y0 + u * dy));
  }

  // ---- Details ----
  function select(item) {
    selected = item;
    detailBody.innerHTML = item ? describe(item) : "";
    for (const button of detailBody.querySelectorAll("button[data-step]")) {
      button.addEventListener("click", () => goToStep(Number(button.dataset.step)));
    }
    draw();
  }
  function goToStep(step) {
    const i = stepIndex(step);
    if (i < 0 || i >= E) return;
    const t = ev.t[i], span = view.t1 - view.t0;
    if (t < view.t0 || t > view.t1) { view.t0 = t - span / 2; view.t1 = t + span / 2; clampView(); }
    select({ type: "event", i });
  }
  const row = (name, value) => "<dt>" + name + "</dt><dd>" + value + "</dd>";
  const stepButton = (label, step) => stepIndex(step) >= 0 && stepIndex(step) < E ? '<button data-step="' + step + '">' + label + "</button>" : "";
  function nodeState(node, step) {
    const state = stateAt(node, step);
    if (!state) return "";
    const status = STATUSES[state[3]];
    return row("n" + node, state[3] === 2 ? "crashed" : escapeHtml(ROLES[state[1]] + ", term " + state[2] + ", commit " + state[4] + ", applied " + state[5] + (status === "up" ? "" : ", " + status)));
  }
  function describe(item) {
    if (item.type === "event") {
      const i = item.i, step = first + i, node = ev.n[i], kind = D.kinds[ev.k[i]];
      return "<h3>Step " + step + ": " + escapeHtml(kind) + "</h3><dl>" + row("time", formatTime(ev.t[i])) +
        row("node", node ? "n" + node : "—") + "</dl><div class=\"what\">" + escapeHtml(D.strings[ev.d[i]]) +
        "</div><dl>" + (node ? nodeState(node, step) : "") + row("committed", String(committedAt(step))) + "</dl>" +
        stepButton("◀ previous event", step - 1) + stepButton("next event ▶", step + 1) +
        (node ? '<p class="muted">The node\'s state after this step.</p>' : "");
    }
    if (item.type === "arrow") {
      const a = arrow(item.j);
      const delivered = a.deliverStep >= 0;
      const text = a.text >= 0 ? D.strings[a.text] : delivered && stepIndex(a.deliverStep) < E ? D.strings[ev.d[stepIndex(a.deliverStep)]] : "";
      const fate = a.deliverUs < 0 ? FATES[1] : delivered ? FATES[a.fate] + " at step " + a.deliverStep + ", " + formatTime(a.deliverUs) : "due at " + formatTime(a.deliverUs) + ", after the run ended";
      return "<h3>Message: " + escapeHtml(a.kind) + "</h3><dl>" + row("from → to", "n" + a.from + " → n" + a.to) +
        row("term", String(a.term)) + row("sent", "step " + a.sendStep + ", " + formatTime(a.sendUs)) + row("fate", escapeHtml(fate)) +
        (a.damage ? row("damage", a.damage === 1 ? "bits flipped (corrupted)" : "rewritten and resealed (tampered)") : "") +
        (a.duplicate ? row("copy", "a duplicate the network made") : "") +
        "</dl><div class=\"what\">" + escapeHtml(text) + "</div>" + stepButton("sending step", a.sendStep) + (delivered ? stepButton("delivery step", a.deliverStep) : "");
    }
    if (item.type === "fault") {
      const fault = faults[item.k];
      const nodes = fault.nodes.length ? fault.nodes.map((n) => "n" + n).join(", ") : "all";
      return "<h3>Fault " + fault.fault + ": " + escapeHtml(fault.name) + "</h3><div class=\"what\">" + escapeHtml(fault.text) + "</div><dl>" +
        row("nodes", nodes) + row("struck", "step " + fault.s + ", " + formatTime(fault.st)) +
        row("ended", fault.e === null ? "still active when the run ended" : "step " + fault.e + ", " + formatTime(fault.et)) + "</dl>" +
        (fault.skipped ? '<p class="muted">It had nothing to do (its target was already down), or it is an operator\'s action.</p>' : "") +
        stepButton("strike step", fault.s) + (fault.e !== null ? stepButton("end step", fault.e) : "");
    }
    if (item.type === "commit") {
      const commit = commits[item.k];
      return "<h3>Commit: index " + commit.index + "</h3><dl>" + row("step", String(commit.step)) + row("time", formatTime(commit.t)) +
        "</dl><p class=\"muted\">The ground-truth committed prefix (a majority holds the entry durably in its term) grew to index " + commit.index + ".</p>" +
        stepButton("that step", commit.step);
    }
    if (item.type === "apply") {
      const apply = applies[item.node - 1][item.k];
      return "<h3>n" + item.node + " applies through " + apply.index + "</h3><dl>" + row("step", String(apply.step)) + row("time", formatTime(apply.t)) +
        nodeState(item.node, apply.step) + row("committed", String(committedAt(apply.step))) + "</dl>" + stepButton("that step", apply.step);
    }
    if (item.type === "lane") {
      const step = stepAtTime(item.t);
      return "<h3>n" + item.node + " at " + formatTime(Math.round(item.t)) + "</h3><dl>" + nodeState(item.node, step) +
        row("after step", String(step)) + row("committed", String(committedAt(step))) + "</dl>";
    }
    if (item.type === "heal") {
      return "<h3>Heal</h3><dl>" + row("step", String(D.heal[0])) + row("time", formatTime(D.heal[1])) +
        "</dl><p class=\"muted\">The fault window is over: every fault still active ends, and the liveness phase begins.</p>";
    }
    if (item.type === "violation") {
      const i = stepIndex(violation.step);
      return '<h3 class="bad">' + escapeHtml(violation.property) + " violated</h3><dl>" + row("step", String(violation.step)) +
        row("time", formatTime(violation.t)) + row("nodes", violation.nodes.length ? violation.nodes.map((n) => "n" + n).join(", ") : "—") +
        (violation.index !== null ? row("index", String(violation.index)) : "") + "</dl><div class=\"what\">" + escapeHtml(violation.detail) + "</div>" +
        (i >= 0 && i < E ? "<p>The step's event:</p><div class=\"what\">" + escapeHtml(D.strings[ev.d[i]]) + "</div>" : "") +
        "<dl>" + violationNodes().map((node) => nodeState(node, violation.step)).join("") + "</dl>" + stepButton("that step", violation.step);
    }
    return "";
  }
  function committedAt(step) {
    let index = 0;
    for (let i = 0; i < D.committed.length && D.committed[i] <= step; i += 2) index = D.committed[i + 1];
    return index;
  }

  // ---- Input: wheel zooms, drag pans, click picks ----
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoom(Math.exp(event.deltaY * 0.0015), event.clientX - rect.left);
  }, { passive: false });
  let drag = null;
  canvas.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, t0: view.t0, t1: view.t1, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mousemove", (event) => {
    const rect = canvas.getBoundingClientRect();
    const inside = event.clientX >= rect.left && event.clientX <= rect.right && event.clientY >= rect.top && event.clientY <= rect.bottom;
    hoverX = inside ? event.clientX - rect.left : null;
    if (drag) {
      const dx = event.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      const shift = (dx / width) * (drag.t1 - drag.t0);
      view.t0 = drag.t0 - shift;
      view.t1 = drag.t1 - shift;
      clampView();
    }
    requestDraw();
  });
  window.addEventListener("mouseup", (event) => {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    canvas.classList.remove("dragging");
    if (!moved) {
      const rect = canvas.getBoundingClientRect();
      select(pick(event.clientX - rect.left, event.clientY - rect.top));
    }
  });
  canvas.addEventListener("mouseleave", () => { hoverX = null; requestDraw(); });
  document.getElementById("zoom-in").addEventListener("click", () => zoom(1 / 1.6, width / 2));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(1.6, width / 2));
  document.getElementById("zoom-fit").addEventListener("click", () => { fit(); draw(); });
  const violationButton = document.getElementById("zoom-violation");
  if (violation) violationButton.addEventListener("click", () => { focusViolation(); select({ type: "violation" }); });
  else violationButton.disabled = true;
  window.addEventListener("keydown", (event) => {
    if (event.key === "+" || event.key === "=") zoom(1 / 1.6, width / 2);
    else if (event.key === "-") zoom(1.6, width / 2);
    else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const shift = (event.key === "ArrowLeft" ? -0.2 : 0.2) * (view.t1 - view.t0);
      view.t0 += shift; view.t1 += shift; clampView(); draw();
    }
  });
  window.addEventListener("resize", () => { layout(); draw(); });

  // A link may name the view and the step to show: #t=FROM-TO (µs) and #step=N.
  function fromHash() {
    const parts = new URLSearchParams(window.location.hash.slice(1));
    const range = /^(-?\d+)-(\d+)$/.exec(parts.get("t") || "");
    if (range) { view.t0 = Number(range[1]); view.t1 = Number(range[2]); clampView(); }
    const step = Number(parts.get("step"));
    if (parts.has("step") && stepIndex(step) >= 0 && stepIndex(step) < E) {
      if (!range) { const t = ev.t[stepIndex(step)], span = view.t1 - view.t0; view.t0 = t - span / 2; view.t1 = t + span / 2; clampView(); }
      select({ type: "event", i: stepIndex(step) });
      return true;
    }
    return false;
  }
  layout();
  if (E <= 3000) fit(); else focusViolation();
  if (!fromHash()) { if (violation) select({ type: "violation" }); else draw(); }
  document.body.dataset.ready = "true";
})();
