// The page's state in the address, so a link opens on the same numbers: the run's starting
// numbers, the round reached, the view. Every round after the first is recomputed from the start
// by the same arithmetic, so it comes back bit for bit.
//   #sizes=2,2,2&w=0.15,…,0.55&b=0.35,0.6&i=0.05,0.1&t=0.01,0.99&lr=0.5&train_bias=0&round=1&view=forward&row=1
// w: the weights in the deck's order (w1, w2, … layer by layer, unit by unit); i, t: the rows.

const DATA = JSON.parse(document.getElementById("torch-bp-data").textContent);
const MAX_ROWS = 16;
const VIEWS = ["forward", "backward", "update"];

const flat = (rows) => rows.flat();
function chunk(xs, n, what) {   // [a, b, c, d], 2 -> [[a, b], [c, d]]
  if (xs.length % n) throw new Error(`the link's ${what}: ${xs.length} numbers, not rows of ${n}`);
  return Array.from({length: xs.length / n}, (_, r) => xs.slice(r * n, r * n + n));
}

// Throws an Error saying what is wrong with a setting {sizes, W, b, inputs, targets, lr, trainBias}.
function checkSetting(s) {
  const shape = (s.sizes || []).join(",");
  if (!DATA.shapes.some((t) => t.join(",") === shape)) {
    throw new Error(`sizes ${shape || "missing"}: the page draws ${DATA.shapes.map((t) => t.join("-")).join(" and ")}`);
  }
  const L = s.sizes.length - 1, n0 = s.sizes[0], nL = s.sizes[L];
  const finite = (x) => typeof x === "number" && Number.isFinite(x);
  const matrix = (m, rows, cols) => Array.isArray(m) && m.length === rows &&
    m.every((r) => Array.isArray(r) && r.length === cols && r.every(finite));
  if (!Array.isArray(s.W) || s.W.length !== L || !s.W.every((W, l) => matrix(W, s.sizes[l + 1], s.sizes[l]))) {
    throw new Error(`weights: not ${L} finite matrices of sizes ${shape}`);
  }
  if (!Array.isArray(s.b) || s.b.length !== L || !s.b.every(finite)) throw new Error(`biases: not ${L} finite numbers`);
  const B = Array.isArray(s.inputs) ? s.inputs.length : 0;
  if (B < 1 || B > MAX_ROWS || !matrix(s.inputs, B, n0)) throw new Error(`inputs: 1 to ${MAX_ROWS} rows of ${n0} finite numbers`);
  if (!matrix(s.targets, B, nL)) throw new Error(`targets: ${B} rows of ${nL} finite numbers`);
  if (!finite(s.lr) || s.lr <= 0) throw new Error("η: a finite number > 0");
  if (typeof s.trainBias !== "boolean") throw new Error("train_bias: true or false");
  return s;
}

function toFragment(setting, round, view, row) {
  const s = setting;
  const parts = {sizes: s.sizes.join(","), w: s.W.map(flat).flat().map(full).join(","), b: s.b.map(full).join(","),
                 i: flat(s.inputs).map(full).join(","), t: flat(s.targets).map(full).join(","), lr: full(s.lr),
                 train_bias: s.trainBias ? 1 : 0, round, view, row: row + 1};
  return "#" + Object.entries(parts).map(([k, v]) => `${k}=${v}`).join("&");
}

function numbersOf(params, key) {
  const text = params.get(key);
  if (text === null) throw new Error(`the link has no ${key}=`);
  return text.split(",").map((x, n) => {
    const read = readNumber(x);
    if (read.error) throw new Error(`the link's ${key}, number ${n + 1}: ${read.error}`);
    return read.value;
  });
}

// "#sizes=…" -> {setting, round, view, row}; throws an Error naming the first bad part.
function fromFragment(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const sizes = numbersOf(p, "sizes");
  if (!DATA.shapes.some((t) => t.join(",") === sizes.join(","))) checkSetting({sizes});
  const w = numbersOf(p, "w"), i = numbersOf(p, "i"), t = numbersOf(p, "t");
  const counts = sizes.slice(1).map((n, l) => n * sizes[l]);
  if (w.length !== sum(counts)) throw new Error(`the link's w: ${w.length} numbers, a ${sizes.join("-")} network has ${sum(counts)}`);
  let at = 0;
  const W = counts.map((n, l) => chunk(w.slice(at, (at += n)), sizes[l], "w"));
  const setting = checkSetting({sizes, W, b: numbersOf(p, "b"), inputs: chunk(i, sizes[0], "i"),
                                targets: chunk(t, sizes[sizes.length - 1], "t"), lr: numbersOf(p, "lr")[0],
                                trainBias: p.get("train_bias") === "1"});
  const round = Number(p.get("round") || "1");
  if (!Number.isInteger(round) || round < 1 || round > MAX_ROUNDS) throw new Error(`the link's round: 1 to ${MAX_ROUNDS}`);
  const view = VIEWS.includes(p.get("view")) ? p.get("view") : "forward";
  const row = Math.min(Math.max(Number(p.get("row")) || 1, 1), setting.inputs.length) - 1;
  return {setting, round, view, row};
}
