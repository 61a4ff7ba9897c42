// The page's arithmetic: backpropagation by hand in the deck's notation, as
// torch_bp/core/chain_rule.py does it. JavaScript numbers are float64, as torch_bp's tensors,
// so this is one more oracle: tests/test_explain_live.py holds it to torch_bp to 1e-12.
//
// A network: sizes [n_0, …, n_L]; W[l] the n_{l+1} × n_l weights into layer l + 1 (row j: the
// weights into unit j, as nn.Linear), b[l] its one bias, shared by the layer's units.
// Data: inputs (B rows × n_0), targets (B rows × n_L).
//
// Forward, layer by layer, out_0 = the inputs:
//   net_l = out_{l−1} W_lᵀ + b_l                       net_h1 = w1·i1 + w2·i2 + b1
//   out_l = σ(net_l) = 1/(1 + e^(−net_l))
// Error, the mean over the rows:  E = 1/B Σ_rows ½ Σ_k (target_k − out_k)²
// Backward, from the output layer down:
//   ∂E/∂out_L = −(target − out_L)/B                    ∂out/∂net = out(1 − out)
//   delta = ∂E/∂net = ∂E/∂out · ∂out/∂net
//   ∂E/∂w = Σ_rows delta · out of the unit w leaves     ∂E/∂w5 = delta_o1 · out_h1
//   ∂E/∂b_l = Σ_rows Σ_units delta_l                    one bias for every unit: its deltas add up
//   ∂E/∂out_{l−1} = delta_l W_l                         ∂E/∂out_h1 = delta_o1·w5 + delta_o2·w7
// One SGD step: θ+ = θ − η·∂E/∂θ; the biases stay fixed unless trained (the deck keeps them).

const sigma = (x) => 1 / (1 + Math.exp(-x));
const sum = (xs) => xs.reduce((s, x) => s + x, 0);
const sumOver = (n, term) => { let s = 0; for (let m = 0; m < n; m++) s += term(m); return s; };   // Σ_m term(m)

function backprop(net, inputs, targets) {
  const B = inputs.length, layers = [];
  let out = inputs;                                                   // out_0 = i  (B × n_0)
  net.W.forEach((W, l) => {
    const n = out.map((o) => W.map((w) => sumOver(w.length, (k) => w[k] * o[k]) + net.b[l]));
    out = n.map((row) => row.map(sigma));                             // (B × n_l)
    layers.push({net: n, out});
  });
  const err = out.map((o, r) => o.map((ok, k) => ok - targets[r][k]));           // −(target − out)
  const lossTerms = err[0].map((_, k) => 0.5 * (sumOver(B, (r) => err[r][k] * err[r][k]) / B));
  let dE_dout = err.map((e) => e.map((ek) => ek / B));                           // ∂E/∂out_L
  const gradW = [], gradb = [];
  for (let l = net.W.length - 1; l >= 0; l--) {
    const layer = layers[l], W = net.W[l], prev = l > 0 ? layers[l - 1].out : inputs;
    layer.dE_dout = dE_dout;
    layer.dout_dnet = layer.out.map((row) => row.map((o) => o * (1 - o)));        // out(1 − out)
    layer.delta = dE_dout.map((row, r) => row.map((g, j) => g * layer.dout_dnet[r][j]));
    gradW[l] = W.map((w, j) => w.map((_, k) => sumOver(B, (r) => layer.delta[r][j] * prev[r][k])));
    gradb[l] = sumOver(B, (r) => sum(layer.delta[r]));
    dE_dout = layer.delta.map((d) => W[0].map((_, k) => sumOver(d.length, (j) => d[j] * W[j][k])));
  }
  return {layers, outputs: out, lossTerms, loss: sum(lossTerms), gradW, gradb};
}

function sgdStep(net, trace, lr, trainBias) {
  return {
    ...net,
    W: net.W.map((W, l) => W.map((w, j) => w.map((wk, k) => wk - lr * trace.gradW[l][j][k]))),
    b: net.b.map((b, l) => (trainBias ? b - lr * trace.gradb[l] : b)),
  };
}
