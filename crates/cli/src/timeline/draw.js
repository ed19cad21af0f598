// Drawing the timeline on its canvas: only what is in the view, the dense parts (events,
// arrows) thinned to what the pixels can show.

// A repeating diagonal stroke, for bands that must not hide what lies under them.
function stripes(size, colour, width) {
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const c = tile.getContext("2d");
  c.strokeStyle = colour;
  c.lineWidth = width;
  c.beginPath(); c.moveTo(0, size); c.lineTo(size, 0); c.stroke();
  return context.createPattern(tile, "repeat");
}
const hatch = stripes(8, "rgba(234, 88, 12, 0.35)", 1);
const pauseHatch = stripes(6, "rgba(71, 85, 105, 0.55)", 1.5);
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
    // A fault of a fraction of a pixel still shows, three pixels wide.
    const x0 = clampX(x(fault.t0)), x1 = Math.max(clampX(x(fault.t1)), x0 + 3);
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
    // The state a node ends in shows a little past the end, even if it began at the last step.
    const x0 = clampX(x(band.t0)), x1 = clampX(x(band.t1) + (band.t1 >= D.end ? 8 : 0));
    const least = band.status === 0 ? 1 : 3; // A brief crash or pause still shows.
    each(band, x0, Math.max(least, x1 - x0 - 1), laneTop(node) + BAND_TOP);
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
  // Where arrows crowd (more than one per pixel of width), they fade, so that the lanes
  // under them still read.
  const density = drawnArrows.length / Math.max(1, width);
  const alpha = Math.min(0.85, Math.max(0.15, 0.85 / Math.max(1, density)));
  for (const { kind, style, lines } of paths.values()) {
    const color = MESSAGE_COLORS[kind] || MESSAGE_COLORS.other;
    context.strokeStyle = color;
    context.fillStyle = color;
    context.lineWidth = 1.2;
    context.globalAlpha = alpha;
    context.setLineDash(style === "plain" ? [] : [4, 3]);
    if (style === "lost") context.globalAlpha = alpha * 0.6;
    context.beginPath();
    for (const [x0, y0, x1, y1] of lines) { context.moveTo(x0, y0); context.lineTo(x1, y1); }
    context.stroke();
    context.setLineDash([]);
    if (style === "lost" || style === "cut") {
      context.strokeStyle = BAD;
      context.lineWidth = 1.3;
      context.globalAlpha = Math.min(0.7, alpha);
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
