// What a reader does with the timeline: a click picks what is under it and the details panel
// describes it; the wheel zooms, a drag pans; a link may name the view and a step.
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
