// Every quantity of one round, in the deck's notation, with its formula and this round's numbers
// plugged in:  ∂E/∂w5 = delta_o1 · out_h1 = 0.138498562 · 0.593269992 = 0.082167041.
// Keys are the static report's (torch_bp.explain.report): net_h1, dE_total/dw5, w5+, …; with
// several data rows, the per-row ones end in " row 2". E is E_total.

const SECTIONS = {forward: "Forward pass", cost: "Cost"};
const sectionOf = (what, l, L) => `${what}: ${l === L ? "output layer" : "hidden layer"}`;

// Units as the deck names them: i1, i2 (inputs), h1, h2 (hidden), o1, o2 (outputs).
function unitNames(sizes) {
  const L = sizes.length - 1;
  return sizes.map((n, l) => Array.from({length: n}, (_, j) => `${l === 0 ? "i" : l === L ? "o" : "h"}${j + 1}`));
}

// Weights w1, w2, … layer by layer, unit by unit, input by input (the deck's w5: h1 -> o1): [l][j][k].
function weightNames(sizes) {
  let n = 0;
  return sizes.slice(1).map((m, l) => Array.from({length: m}, () => Array.from({length: sizes[l]}, () => `w${++n}`)));
}

function quantities(s, tr, next) {
  const U = unitNames(s.sizes), Wn = weightNames(s.sizes), B = s.inputs.length, L = s.W.length;
  const rows = [], rowsOf = Array.from({length: B}, (_, r) => r);
  const key = (q, r) => (B > 1 ? `${q} row ${r + 1}` : q);
  const add = (section, k, text, value) => {
    const row = k.match(/ row (\d+)$/);                          // several rows: say which
    rows.push({section, key: k, formula: `${row ? `row ${row[1]}: ` : ""}${text} = ${num(value)}`, value});
  };
  const outName = (l, j) => (l === 0 ? U[0][j] : `out_${U[l][j]}`);
  const outValue = (l, r, j) => (l === 0 ? s.inputs[r][j] : tr.layers[l - 1].out[r][j]);

  for (let l = 1; l <= L; l++) rowsOf.forEach((r) => {
    const W = s.W[l - 1], layer = tr.layers[l - 1];
    U[l].forEach((u, j) => {
      const terms = W[j].map((_, k) => `${Wn[l - 1][j][k]}·${outName(l - 1, k)}`).join(" + ");
      const nums = W[j].map((w, k) => `${factor(w)}·${factor(outValue(l - 1, r, k))}`).join(" + ");
      add(SECTIONS.forward, key(`net_${u}`, r), `net_${u} = ${terms} + b${l} = ${nums} + ${factor(s.b[l - 1])}`, layer.net[r][j]);
    });
    U[l].forEach((u, j) => add(SECTIONS.forward, key(`out_${u}`, r), `out_${u} = σ(net_${u}) = σ(${num(layer.net[r][j])})`, layer.out[r][j]));
  });
  costRows(s, tr, U[L], add);
  for (let l = L; l >= 1; l--) {
    backwardRows(s, tr, l, {U, Wn, key, add, outName, outValue, rowsOf});
    stepRows(s, tr, next, l, Wn, add);
  }
  return rows;
}

function costRows(s, tr, outs, add) {
  const B = s.inputs.length, out = tr.outputs;
  outs.forEach((u, k) => {
    const half = (r) => `½(${num(s.targets[r][k])} − ${num(out[r][k])})²`;
    const text = B > 1
      ? `E_${u} = 1/${B} Σ_rows ½(target_${u} − out_${u})² = (${s.inputs.map((_, r) => half(r)).join(" + ")})/${B}`
      : `E_${u} = ½(target_${u} − out_${u})² = ${half(0)}`;
    add(SECTIONS.cost, `E_${u}`, text, tr.lossTerms[k]);
  });
  add(SECTIONS.cost, "E_total", `E_total = ${outs.map((u) => `E_${u}`).join(" + ")} = ${tr.lossTerms.map(num).join(" + ")}`, tr.loss);
}

function backwardRows(s, tr, l, {U, Wn, key, add, outName, outValue, rowsOf}) {
  const L = s.W.length, B = s.inputs.length, layer = tr.layers[l - 1], section = sectionOf("Backward pass", l, L);
  rowsOf.forEach((r) => U[l].forEach((u, j) => {
    if (l === L) {
      const per = B > 1 ? `/${B}` : "";
      add(section, key(`dE_total/dout_${u}`, r), `∂E/∂out_${u} = −(target_${u} − out_${u})${per} = ` +
          `−(${num(s.targets[r][j])} − ${num(layer.out[r][j])})${per}`, layer.dE_dout[r][j]);
    } else {
      const above = tr.layers[l], W = s.W[l];
      U[l + 1].forEach((o, k) => add(section, key(`dE_${o}/dout_${u}`, r),
        `∂E_${o}/∂out_${u} = delta_${o} · ${Wn[l][k][j]} = ${factor(above.delta[r][k])} · ${factor(W[k][j])}`,
        above.delta[r][k] * W[k][j]));
      add(section, key(`dE_total/dout_${u}`, r), `∂E/∂out_${u} = ${U[l + 1].map((o) => `∂E_${o}/∂out_${u}`).join(" + ")} = ` +
          U[l + 1].map((_, k) => factor(above.delta[r][k] * W[k][j])).join(" + "), layer.dE_dout[r][j]);
    }
    const o = layer.out[r][j];
    add(section, key(`dout_${u}/dnet_${u}`, r), `∂out_${u}/∂net_${u} = out_${u}(1 − out_${u}) = ${num(o)}·(1 − ${num(o)})`, layer.dout_dnet[r][j]);
    add(section, key(`delta_${u}`, r), `delta_${u} = ∂E/∂out_${u} · ∂out_${u}/∂net_${u} = ` +
        `${factor(layer.dE_dout[r][j])} · ${factor(layer.dout_dnet[r][j])}`, layer.delta[r][j]);
  }));
  U[l].forEach((u, j) => U[l - 1].forEach((_, k) => {
    const w = Wn[l - 1][j][k];
    rowsOf.forEach((r) => add(section, key(`dnet_${u}/d${w}`, r), `∂net_${u}/∂${w} = ${outName(l - 1, k)}`, outValue(l - 1, r, k)));
    const products = rowsOf.map((r) => `${factor(layer.delta[r][j])} · ${factor(outValue(l - 1, r, k))}`).join(" + ");
    add(section, `dE_total/d${w}`, `∂E/∂${w} = ${B > 1 ? "Σ_rows " : ""}delta_${u} · ${outName(l - 1, k)} = ${products}`,
        tr.gradW[l - 1][j][k]);
  }));
  const deltas = rowsOf.map((r) => layer.delta[r].map(factor).join(" + "));
  const names = U[l].map((u) => `delta_${u}`).join(" + ");
  add(section, `dE_total/db${l}`, B > 1 ? `∂E/∂b${l} = Σ_rows (${names}) = (${deltas.join(") + (")})`
                                        : `∂E/∂b${l} = ${names} = ${deltas[0]}`, tr.gradb[l - 1]);
}

function stepRows(s, tr, next, l, Wn, add) {
  const section = sectionOf("One SGD step", l, s.W.length);
  s.W[l - 1].forEach((row, j) => row.forEach((w, k) => {
    const name = Wn[l - 1][j][k];
    add(section, `${name}+`, `${name}+ = ${name} − η·∂E/∂${name} = ${num(w)} − ${num(s.lr)}·${factor(tr.gradW[l - 1][j][k])}`,
        next.W[l - 1][j][k]);
  }));
  const b = `b${l}`;
  add(section, `${b}+`, s.trainBias ? `${b}+ = ${b} − η·∂E/∂${b} = ${num(s.b[l - 1])} − ${num(s.lr)}·${factor(tr.gradb[l - 1])}`
                                    : `${b}+ = ${b} (fixed, as in the deck)`, next.b[l - 1]);
}
