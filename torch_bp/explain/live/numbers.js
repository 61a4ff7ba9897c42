// Numbers as the page prints them, and as it reads them from a field.

// As torch_bp.viz.draw.num: 9 decimals, trailing zeros dropped (0.15, 0.3775, 0.593269992);
// under 1e-4 in e-notation with 4 decimals (4.3857e-04), so the digits are not lost.
function num(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-4) {
    const [mantissa, exp] = v.toExponential(4).split("e");
    const e = Number(exp);
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const text = v.toFixed(9).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" || text === "" ? "0" : text;
}

// A factor in a product: negative numbers in parentheses.
const factor = (v) => (v < 0 ? `(${num(v)})` : num(v));

// Every digit: the shortest text that reads back as the same float64 (as Python's repr).
const full = (v) => String(v);

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

// A field's text -> {value} or {error}: one line saying what is wrong.
function readNumber(text) {
  const t = text.trim().replace(/\u2212/g, "-");   // a typographic minus reads as "-"
  if (t === "") return {error: "empty: type a number"};
  if (/^[+-]?nan$/i.test(t)) return {error: "NaN is not a number: type one"};
  if (!DECIMAL.test(t)) return {error: `“${t}” is not a number`};
  const v = Number(t);
  if (!Number.isFinite(v)) return {error: `${t} is too large for float64 (at most ±1.8e308)`};
  return {value: v};
}
