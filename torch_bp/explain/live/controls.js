// Every control, wired: the fields (a bad edit shows its message and changes nothing), the
// buttons, the views, the formula shown for whatever the pointer or the focus is on, and
// dragging an edge (or ↑ ↓ on a focused one) to change its weight.

function edit(s) {                    // an edit starts a new run from the edited numbers
  note = run.round > 1 ? " (your edit starts a new run here)" : "";
  load(s);
}

function onField(event) {
  const input = event.target;
  if (!input.dataset.path) return;
  const read = readNumber(input.value), path = input.dataset.path;
  const kept = `the page keeps ${full(getAt(run.current, path))}`;
  if (read.error) return markField(input, `${read.error}: ${kept}`);
  if (path === "lr" && read.value <= 0) return markField(input, `η must be > 0: ${kept}`);
  markField(input, null);
  if (read.value !== getAt(run.current, path)) edit(setAt(run.current, path, read.value));
}

function nudge(input, event) {        // ↑ ↓ in a field: ±0.01 (with Shift ±0.1)
  const read = readNumber(input.value);
  if (read.error || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
  event.preventDefault();
  const d = (event.key === "ArrowUp" ? 1 : -1) * (event.shiftKey ? 0.1 : 0.01);
  const v = Number((read.value + d).toPrecision(12));
  if (input.dataset.path === "lr" && v <= 0) return;
  input.value = full(v);
  onField({target: input});
}

function setWeight(l, j, k, value) {
  edit(setAt(run.current, `W.${l}.${j}.${k}`, Number(value.toPrecision(12))));
}

function showTip(target) {
  const holder = target && target.closest ? target.closest("[data-tip]") : null;
  $("formula").textContent = holder ? holder.dataset.tip : $("formula").dataset.hint;
  document.querySelectorAll(".focusable.on").forEach((e) => e.classList.remove("on"));
  if (holder) holder.classList.add("on");
}

function focusAgain(selector) {       // the picture is redrawn: the focus goes back to the same edge
  const e = selector && document.querySelector(selector);
  if (e) { e.focus(); showTip(e); }
}

function onPictureKey(event) {
  const edge = event.target.closest("[data-weight]");
  if (!edge || (event.key !== "ArrowUp" && event.key !== "ArrowDown") || view !== "forward") return;
  event.preventDefault();
  const [l, j, k] = edge.dataset.weight.split(",").map(Number);
  setWeight(l, j, k, run.current.W[l][j][k] + (event.key === "ArrowUp" ? 1 : -1) * (event.shiftKey ? 0.1 : 0.01));
  focusAgain(`[data-weight="${l},${j},${k}"]`);
}

function onDrag(event) {              // drag an edge up or down: 0.01 per pixel of the picture's box
  const edge = event.target.closest("[data-weight]");
  if (!edge || view !== "forward") return;
  const [l, j, k] = edge.dataset.weight.split(",").map(Number), y0 = event.clientY, w0 = run.current.W[l][j][k];
  const move = (e) => setWeight(l, j, k, w0 - 0.01 * Math.round(e.clientY - y0));
  const stop = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", stop); };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", stop);
  event.preventDefault();
}

function runSteps() {
  const input = $("n"), n = Number(input.value.trim());
  if (!/^\d+$/.test(input.value.trim()) || n < 1 || n > STEPS_LIMIT) {
    return markField(input, `N: a whole number from 1 to ${STEPS_LIMIT.toLocaleString("en")}`);
  }
  markField(input, null);
  note = run.steps(n) < n ? ` (the history holds ${MAX_ROUNDS.toLocaleString("en")} rounds)` : "";
  render();
}

function wire() {
  const fields = $("fields");
  fields.addEventListener("input", onField);
  fields.addEventListener("keydown", (e) => { if (e.target.dataset.path) nudge(e.target, e); });
  fields.addEventListener("change", (e) => {
    if (e.target.id === "f-train-bias") edit({...run.current, trainBias: e.target.checked});
  });
  $("step").addEventListener("click", () => { note = ""; run.steps(1); render(); });
  $("run").addEventListener("click", runSteps);
  $("n").addEventListener("keydown", (e) => { if (e.key === "Enter") runSteps(); });
  $("back").addEventListener("click", () => { note = ""; run.back(); render(); if (run.round === 1) $("step").focus(); });
  $("reset").addEventListener("click", () => { note = ""; load(pageStart); });
  document.querySelectorAll("[data-preset]").forEach((b) => b.addEventListener("click", () => {
    note = "";
    row = 0;
    load(DATA.presets[b.dataset.preset]);
  }));
  document.addEventListener("change", (e) => {
    if (e.target.name === "view") { view = e.target.value; render(); }
    if (e.target.name === "row") { row = Number(e.target.value); render(); }
  });
  const picture = $("net");
  ["mouseover", "focusin"].forEach((type) => picture.addEventListener(type, (e) => showTip(e.target)));
  picture.addEventListener("mouseleave", () => showTip(document.activeElement));
  picture.addEventListener("keydown", onPictureKey);
  picture.addEventListener("pointerdown", onDrag);
  window.addEventListener("hashchange", openAddress);
}

window.torchBp = {
  // settings -> for each: its round-1 trace and its parameters after each count of updates.
  run(settings, counts) {
    return settings.map((s) => {
      const r = new Run(checkSetting(s)), trace = r.trace, after = {};
      counts.forEach((n) => { r.steps(n - (r.round - 1)); after[n] = {W: r.current.W, b: r.current.b}; });
      return {trace, after};
    });
  },
  state: () => ({start: run.start, current: run.current, round: run.round}),
};

wire();
$("formula").textContent = $("formula").dataset.hint;
if (!openAddress()) load(pageStart);
