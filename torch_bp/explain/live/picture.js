// The network drawn with this round's numbers, as torch_bp.viz.draw draws it: a box per unit,
// a line per weight, colour the sign (blue +, orange −), width the size relative to the largest
// in the view. Three views: forward (net, out; w), backward (∂E/∂out, delta; ∂E/∂w) and update
// (w+ = w − η·∂E/∂w). Every unit and edge can take the focus: its formula, numbers plugged in,
// is its data-tip. Labels are placed where they overlap no box and no other label.

const SVG_NS = "http://www.w3.org/2000/svg";
const POSITIVE = "#2166ac", NEGATIVE = "#d95f02", ZERO = "#999999";
const GEOMETRY = {columns: [70, 400, 790], top: 16, gap: 104, biasGap: 70};   // the box fits the drawing
const colour = (v) => (v > 0 ? POSITIVE : v < 0 ? NEGATIVE : ZERO);

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVG_NS, tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
  if (parent) parent.appendChild(e);
  return e;
}

function unitLayout(sizes) {       // unit "h1" -> {x, y}; bias "b1" under layer 0's column
  const {columns, top, biasGap} = GEOMETRY, n = Math.max(...sizes), U = unitNames(sizes), pos = {};
  const gap = Math.max(GEOMETRY.gap, 260 / n);                      // two units a column: more room
  U.forEach((col, l) => col.forEach((u, j) => { pos[u] = {x: columns[l], y: top + gap * (j + 0.5 + (n - col.length) / 2)}; }));
  sizes.slice(1).forEach((_, l) => { pos[`b${l + 1}`] = {x: columns[l], y: top + gap * n + biasGap / 2}; });
  return pos;
}

// What each unit says in each view; tips: the lines of the table it stands for.
function unitText(s, tr, view, row, l, j, u, Q) {
  const q = (k) => Q[s.inputs.length > 1 ? `${k} row ${row + 1}` : k];
  if (l === 0) return {lines: [`${u} = ${num(s.inputs[row][j])}`], tip: [`${u} = ${num(s.inputs[row][j])} (an input)`]};
  const layer = tr.layers[l - 1], last = l === s.W.length;
  if (view === "backward") {
    const keys = [`dE_total/dout_${u}`, `dout_${u}/dnet_${u}`, `delta_${u}`];
    return {lines: [`∂E/∂out_${u} = ${num(layer.dE_dout[row][j])}`, `delta_${u} = ${num(layer.delta[row][j])}`],
            tip: keys.map((k) => q(k).formula)};
  }
  const lines = [`net_${u} = ${num(layer.net[row][j])}`, `out_${u} = ${num(layer.out[row][j])}`];
  if (last) lines.push(`target_${u} = ${num(s.targets[row][j])}`);
  return {lines, tip: [q(`net_${u}`).formula, q(`out_${u}`).formula]};
}

function edgeList(s, tr, next, view, row, Q) {   // {from, to, value, label, tip, l, j, k} per weight and bias
  const U = unitNames(s.sizes), Wn = weightNames(s.sizes), edges = [];
  s.W.forEach((W, l) => W.forEach((ws, j) => ws.forEach((w, k) => {
    const name = Wn[l][j][k], src = l ? `out_${U[l][k]}` : U[l][k], x = l ? tr.layers[l - 1].out[row][k] : s.inputs[row][k];
    const [value, label, tip] = {
      forward: [w, `${name} = ${num(w)}`,
                `${name} = ${num(w)}; its term of net_${U[l + 1][j]}: ${name}·${src} = ${factor(w)} · ${factor(x)} = ${num(w * x)}`],
      backward: [tr.gradW[l][j][k], `∂E/∂${name} = ${num(tr.gradW[l][j][k])}`, Q[`dE_total/d${name}`].formula],
      update: [next.W[l][j][k], `${name}+ = ${num(next.W[l][j][k])}`, Q[`${name}+`].formula],
    }[view];
    edges.push({from: U[l][k], to: U[l + 1][j], value, label, tip, l, j, k});
  })));
  s.b.forEach((b, l) => {
    const value = {forward: b, backward: tr.gradb[l], update: next.b[l]}[view];
    U[l + 1].forEach((u) => edges.push({from: `b${l + 1}`, to: u, value, bias: true}));
  });
  return edges;
}

function biasText(s, tr, next, view, l, Q) {
  const b = `b${l + 1}`;
  return {
    forward: {lines: [`${b} = ${num(s.b[l])}`], tip: [`${b} = ${num(s.b[l])}: one bias, in every net of its layer`]},
    backward: {lines: [`∂E/∂${b} = ${num(tr.gradb[l])}`], tip: [Q[`dE_total/d${b}`].formula]},
    update: {lines: [`${b}+ = ${num(next.b[l])}`], tip: [Q[`${b}+`].formula]},
  }[view];
}

function unitBox(g, {x, y}, lines) {     // the text now; its box once every text is measured
  const text = el("text", {x, y, class: "unit-text"}, g);
  lines.forEach((line, n) => {
    el("tspan", {x, dy: n ? "1.35em" : `${-(lines.length - 1) * 0.675 + 0.35}em`}, text).textContent = line;
  });
  return text;
}

const overlap = (a, b) => Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) *
                          Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
const grow = (r, dx, dy) => ({x: r.x - dx, y: r.y - dy, width: r.width + 2 * dx, height: r.height + 2 * dy});

// A label at the first place along its edge (from the middle outwards, then just above or below
// the line) where it covers no box and no other label; failing that, where it covers the least.
// size: its text's box drawn at (0, 0), measured once.
const SPOTS = [0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75].flatMap((t) => [[t, 0], [t, -11], [t, 11]]);

function placeLabel(text, size, a, b, taken) {
  let best = null;
  for (const [t, dy] of SPOTS) {
    const x = a.x + t * (b.x - a.x), y = a.y + t * (b.y - a.y) + 4.5 + dy;
    const box = grow({x: x + size.x, y: y + size.y, width: size.width, height: size.height}, 3, 1);
    const cost = taken.reduce((c, o) => c + overlap(box, o), 0);
    if (!best || cost < best.cost) best = {x, y, cost, box};
    if (!cost) break;
  }
  text.setAttribute("x", best.x);
  text.setAttribute("y", best.y);
  taken.push(best.box);
  text.parentNode.insertBefore(el("rect", {...best.box, rx: 3, class: "label-bg"}), text);
}

function drawNetwork(svg, s, tr, next, view, row, Q) {
  svg.textContent = "";
  const pos = unitLayout(s.sizes), U = unitNames(s.sizes);
  const edgesLayer = el("g", {}, svg), unitsLayer = el("g", {}, svg), labelsLayer = el("g", {}, svg);
  const edges = edgeList(s, tr, next, view, row, Q), units = [];
  const focusable = (cls, tip, extra) => ({class: `${cls} focusable`, tabindex: 0, role: "img", "data-tip": tip,
                                           "aria-label": tip.replace(/\n/g, "; "), ...extra});
  U.forEach((col, l) => col.forEach((u, j) => {
    const {lines, tip} = unitText(s, tr, view, row, l, j, u, Q);
    const stroke = view === "backward" && l ? colour(tr.layers[l - 1].delta[row][j]) : "#333333";
    const g = el("g", focusable("unit", tip.join("\n"), {"data-unit": u}), unitsLayer);
    units.push({g, stroke, text: unitBox(g, pos[u], lines)});
  }));
  s.b.forEach((_, l) => {
    const {lines, tip} = biasText(s, tr, next, view, l, Q);
    const g = el("g", focusable("unit bias", tip.join("\n"), {"data-unit": `b${l + 1}`}), unitsLayer);
    units.push({g, stroke: "#888888", text: unitBox(g, pos[`b${l + 1}`], lines)});
  });
  const largest = Math.max(...edges.map((e) => Math.abs(e.value)));
  const labels = edges.filter((e) => !e.bias).map((e) => {
    const text = el("text", {x: 0, y: 0, class: "edge-label", fill: colour(e.value), "data-tip": e.tip}, labelsLayer);
    text.textContent = e.label;
    return {e, text};
  });
  edges.forEach((e) => {
    const a = pos[e.from], b = pos[e.to], line = {x1: a.x, y1: a.y, x2: b.x, y2: b.y};
    const width = largest > 0 ? 1 + 6 * Math.abs(e.value) / largest : 1;
    const g = el("g", e.bias ? {class: "edge bias"} : focusable("edge", e.tip, {"data-weight": `${e.l},${e.j},${e.k}`}), edgesLayer);
    el("line", {...line, stroke: colour(e.value), "stroke-width": width.toFixed(2), class: "stroke"}, g);
    if (!e.bias) el("line", {...line, class: "hit"}, g);
  });
  // Measure every text at once (one layout), then place the boxes and the labels.
  const unitSizes = units.map((u) => u.text.getBBox()), labelSizes = labels.map((l) => l.text.getBBox());
  const taken = units.map((u, n) => {
    const box = grow(unitSizes[n], 7, 4.7);
    u.g.insertBefore(el("rect", {...box, rx: 8, stroke: u.stroke}), u.text);
    return box;
  });
  labels.forEach(({e, text}, n) => placeLabel(text, labelSizes[n], pos[e.from], pos[e.to], taken));
  const x0 = Math.min(...taken.map((r) => r.x)), y0 = Math.min(...taken.map((r) => r.y)), m = 6;
  const x1 = Math.max(...taken.map((r) => r.x + r.width)), y1 = Math.max(...taken.map((r) => r.y + r.height));
  svg.setAttribute("viewBox", `${x0 - m} ${y0 - m} ${x1 - x0 + 2 * m} ${y1 - y0 + 2 * m}`);   // all of it, no more
}
