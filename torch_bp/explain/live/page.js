// The page itself: a run (run.js) of a setting, every control wired to it, everything redrawn
// from it. Edits start a new run from the edited numbers; Step, Run N, Step back and Reset move
// along it. window.torchBp is the tests' way in: the same Run and arithmetic as the buttons.

const $ = (id) => document.getElementById(id);
const STEPS_LIMIT = 50000;            // updates per "Run N" press
let run, view = "forward", row = 0, shape = "", written = "", note = "";
let pageStart = DATA.start;

function deckDiff(s) {                // why s is not the deck's setting, or null
  const d = DATA.deck;
  if (s.sizes.join(",") !== d.sizes.join(",")) return `this is a ${s.sizes.join("-")} network (the deck's is 2-2-2)`;
  if (s.inputs.length !== 1) return `this has ${s.inputs.length} data rows (the deck's has one)`;
  const Wn = weightNames(s.sizes).flat(2), named = [...Wn, "b1", "b2", "i1", "i2", "target_o1", "target_o2"];
  const ours = [...s.W.flat(2), ...s.b, ...s.inputs[0], ...s.targets[0]];
  const deck = [...d.W.flat(2), ...d.b, ...d.inputs[0], ...d.targets[0]];
  const n = ours.findIndex((v, k) => v !== deck[k]);
  if (n >= 0) return `${named[n]} is ${num(ours[n])} here, ${num(deck[n])} in the deck`;
  if (s.lr !== d.lr) return `η is ${num(s.lr)} here, ${num(d.lr)} in the deck`;
  if (s.trainBias) return "the biases are trained here (the deck keeps them fixed)";
  return null;
}

function load(setting, round = 1) {
  run = new Run(setting);
  run.steps(round - 1);
  row = Math.min(row, setting.inputs.length - 1);
  render();
}

function rebuild(s, qs) {            // the fields, the table and the row choice follow the shape
  const key = `${s.sizes.join(",")}/${s.inputs.length}`;
  if (key === shape) return;
  shape = key;
  buildFields($("fields"), s);
  buildTable($("table"), qs);
  const rows = $("rows");
  rows.textContent = "";
  rows.hidden = s.inputs.length < 2;
  s.inputs.forEach((_, r) => {
    const label = h("label");
    label.append(h("input", {type: "radio", name: "row", value: r}), ` row ${r + 1}`);
    rows.append(label);
  });
  const box = $("decision");
  box.textContent = "";
  const U = unitNames(s.sizes);
  U[U.length - 1].forEach((u) => {
    const fig = h("figure");
    fig.append(h("canvas", {width: 192, height: 192, role: "img", "data-unit": u}), h("figcaption"));
    box.append(fig);
  });
}

function render() {
  const s = run.current, tr = run.trace, next = sgdStep(s, tr, s.lr, s.trainBias);
  const qs = quantities(s, tr, next), Q = Object.fromEntries(qs.map((q) => [q.key, q]));
  rebuild(s, qs);
  const startWhy = deckDiff(run.start);
  const why = startWhy ?? (run.round > 1 ? `it is round ${run.round}: the deck prints round 1 (step back or reset)` : null);
  showTable($("table"), qs, why);
  showFigures($("figures"), run, startWhy);
  showFields($("fields"), s);
  drawNetwork($("net"), s, tr, next, view, row, Q);
  const marks = startWhy ? [] : DATA.figures.filter((f) => f.what === "E_total")
    .map((f) => ({round: f.round, value: Number(f.printed), label: `${f.quantity}: ${f.printed} (${f.source})`,
                   article: f.source.startsWith("article")}));
  drawLoss($("loss"), run.losses, marks);
  drawCanvases(s);
  document.querySelectorAll("input[name=view]").forEach((r) => { r.checked = r.value === view; });
  document.querySelectorAll("input[name=row]").forEach((r) => { r.checked = Number(r.value) === row; });
  $("round").textContent = `Round ${run.round}, E_total = ${num(tr.loss)}${note}`;
  $("back").disabled = run.round === 1;
  $("deck-note").textContent = why ? `The deck's columns are empty: ${why}.` :
    "The deck's setting, round 1: each number the deck prints, and the static report's verdict at its precision.";
  writeAddress();
}

function drawCanvases(s) {
  const canvases = [...document.querySelectorAll("#decision canvas")];
  const [[x0, x1], [y0, y1]] = drawDecision(canvases, s, row);
  const U = unitNames(s.sizes), out = run.trace.outputs;
  canvases.forEach((c, k) => {
    const u = U[U.length - 1][k];
    const text = `out_${u} over i1 from ${num(x0)} to ${num(x1)} (→) and i2 from ${num(y0)} to ${num(y1)} (↑); ` +
      `dots: the rows, filled with target_${u}`;
    c.nextSibling.textContent = text;
    c.setAttribute("aria-label", `${text}. At the rows: ` + out.map((o, r) => `${num(o[k])} (target ${num(s.targets[r][k])})`).join(", "));
  });
}

function writeAddress() {
  written = toFragment(run.start, run.round, view, row);
  $("link").href = written;
  if (location.hash !== written) {
    try { history.replaceState(null, "", written); } catch (e) { /* a browser that refuses: the link still has it */ }
  }
}

function openAddress() {              // the state in the address, or the page's start
  if (!location.hash || location.hash === written) return false;
  try {
    const got = fromFragment(location.hash);
    view = got.view;
    row = got.row;
    pageStart = got.setting;
    $("banner").textContent = "";
    load(got.setting, got.round);
  } catch (e) {
    $("banner").textContent = `The address could not be read (${e.message}); showing the page's start instead.`;
    load(pageStart);
  }
  return true;
}
