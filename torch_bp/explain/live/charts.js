// Two pictures of the run: the error over the rounds (log y), with the deck's error table
// (slide 40) marked when the run starts on the deck's setting, and, for two inputs, each output
// over the input square with the data rows on it (redrawn every round).

const CHART = {width: 440, height: 230, left: 62, right: 16, top: 14, bottom: 42};

function niceTicks(hi) {             // up to ~5 round whole numbers in [0, hi]
  const step0 = hi / 4, mag = 10 ** Math.floor(Math.log10(step0));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0));
  return Array.from({length: Math.floor(hi / step) + 1}, (_, n) => n * step);
}

// losses: E_total of rounds 1..R; marks: [{round, value, label}] from the deck's table, or [].
function drawLoss(svg, losses, marks) {
  svg.textContent = "";
  const {width, height, left, right, top, bottom} = CHART;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const R = losses.length, xMax = Math.max(R, 2, ...marks.map((m) => m.round));
  const seen = [...losses, ...marks.map((m) => m.value)].filter((v) => v > 0 && Number.isFinite(v));
  if (!seen.length) seen.push(1);                    // nothing to draw on a log axis
  let lo = Math.floor(Math.log10(Math.min(...seen))), hi = Math.ceil(Math.log10(Math.max(...seen)));
  if (hi <= lo) hi = lo + 1;
  const X = (r) => left + (width - left - right) * (r - 1) / (xMax - 1);
  const Y = (v) => top + (height - top - bottom) * (hi - Math.log10(v)) / (hi - lo);
  const text = (x, y, t, cls) => { const e = el("text", {x, y, class: cls}, svg); e.textContent = t; return e; };
  for (let d = lo; d <= hi; d++) {
    el("line", {x1: left, x2: width - right, y1: Y(10 ** d), y2: Y(10 ** d), class: "grid"}, svg);
    text(left - 6, Y(10 ** d) + 4, `1e${d}`, "tick y");
  }
  new Set(niceTicks(xMax).map((r) => Math.max(r, 1))).forEach((r) => {   // rounds count from 1
    el("line", {x1: X(r), x2: X(r), y1: height - bottom, y2: height - bottom + 4, class: "axis"}, svg);
    text(X(r), height - bottom + 16, String(r), "tick x");
  });
  el("path", {d: `M${left},${top}V${height - bottom}H${width - right}`, class: "axis"}, svg);
  text((left + width - right) / 2, height - 6, "round", "axis-label");
  text(14, (top + height - bottom) / 2, "E_total (log)", "axis-label vertical");
  const every = Math.ceil(R / 800), points = [];
  for (let r = 1; r <= R; r += every) points.push(r);
  if (points[points.length - 1] !== R) points.push(R);
  const finite = points.filter((r) => losses[r - 1] > 0 && Number.isFinite(losses[r - 1]));
  el("polyline", {points: finite.map((r) => `${X(r).toFixed(1)},${Y(losses[r - 1]).toFixed(1)}`).join(" "), class: "loss"}, svg);
  if (finite.includes(R)) el("circle", {cx: X(R), cy: Y(losses[R - 1]), r: 4, class: "now"}, svg);
  marks.forEach((m) => {
    const c = el("circle", {cx: X(m.round), cy: Y(m.value), r: 4.5, class: `deck-mark ${m.article ? "article" : ""}`}, svg);
    el("title", {}, c).textContent = m.label;
  });
  const legend = ["— E_total here", ...(marks.length ? ["○ the deck's table (slide 40)", "◌ the article"] : [])];
  legend.forEach((t, n) => text(width - right - 150, top + 12 + 14 * n, t, "legend"));
}

const mix = (a, b, t) => a.map((x, n) => Math.round(x + (b[n] - x) * t));
function outputColour(v) {           // 1 blue, ½ white, 0 orange: the picture's colours
  const t = Math.min(Math.max(v, 0), 1);
  return t >= 0.5 ? mix([255, 255, 255], [33, 102, 172], 2 * t - 1) : mix([255, 255, 255], [217, 95, 2], 1 - 2 * t);
}

function squareOf(inputs) {          // [lo, hi] per input: [0, 1] and every data row, padded
  return [0, 1].map((k) => {
    const xs = inputs.map((r) => r[k]), lo = Math.min(0, ...xs), hi = Math.max(1, ...xs), pad = 0.06 * (hi - lo);
    return [lo - pad, hi + pad];
  });
}

// One canvas per output unit: out over the square, n × n cells of the same arithmetic (drawn
// small, then scaled up smoothly), and the data rows as dots filled with their targets.
function drawDecision(canvases, s, row) {
  const [[x0, x1], [y0, y1]] = squareOf(s.inputs), n = 40;
  const grid = [];
  for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) grid.push([x0 + (c + 0.5) * (x1 - x0) / n, y1 - (a + 0.5) * (y1 - y0) / n]);
  const out = backprop(s, grid, grid.map(() => s.targets[0])).outputs;   // (n·n × n_L)
  const cells = document.createElement("canvas");
  cells.width = cells.height = n;
  canvases.forEach((canvas, k) => {
    const image = cells.getContext("2d").createImageData(n, n);
    out.forEach((o, m) => image.data.set([...outputColour(o[k]), 255], 4 * m));
    cells.getContext("2d").putImageData(image, 0, 0);
    const ctx = canvas.getContext("2d"), size = canvas.width;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cells, 0, 0, size, size);
    s.inputs.forEach((x, r) => {
      ctx.beginPath();
      ctx.arc((x[0] - x0) / (x1 - x0) * size, (y1 - x[1]) / (y1 - y0) * size, r === row ? 8 : 6, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${outputColour(s.targets[r][k]).join(",")})`;
      ctx.fill();
      ctx.lineWidth = r === row ? 3 : 1.5;
      ctx.strokeStyle = "#1b1b1b";
      ctx.stroke();
    });
  });
  return [[x0, x1], [y0, y1]];
}
