// The page's text: the fields that edit a setting (each with its inline message), and the table
// of every quantity with the deck's printed number and the static report's verdict beside it.

const h = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
  if (text !== undefined) e.textContent = text;
  return e;
};

// A field's place in a setting: "W.1.0.0" (w5), "b.0" (b1), "inputs.0.1" (i2), "targets.0.0", "lr".
const getAt = (s, path) => path.split(".").reduce((o, p) => o[p], s);
function setAt(s, path, value) {
  const copy = structuredClone(s), parts = path.split(".");
  parts.slice(0, -1).reduce((o, p) => o[p], copy)[parts[parts.length - 1]] = value;
  return copy;
}

function field(label, path, id) {
  const wrap = h("div", {class: "field"});
  wrap.append(h("label", {for: `f-${id}`}, label));
  wrap.append(h("input", {id: `f-${id}`, type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
                          "data-path": path, "aria-describedby": `m-${id}`}));
  wrap.append(h("span", {class: "msg", id: `m-${id}`, "aria-live": "polite"}));
  return wrap;
}

function buildFields(box, s) {
  box.textContent = "";
  const U = unitNames(s.sizes), Wn = weightNames(s.sizes), B = s.inputs.length, L = s.W.length;
  const data = h("fieldset", {class: "data"});
  data.append(h("legend", {}, B > 1 ? `Data: ${B} rows (batch gradient descent: E is their mean)` : "Data: one row"));
  s.inputs.forEach((x, r) => {
    const line = h("div", {class: "row-fields"}), tail = B > 1 ? `-r${r + 1}` : "", on = B > 1 ? ` (row ${r + 1})` : "";
    x.forEach((_, k) => line.append(field(U[0][k], `inputs.${r}.${k}`, `${U[0][k]}${tail}`)));
    U[L].forEach((u, k) => line.append(field(`target_${u}`, `targets.${r}.${k}`, `target_${u}${tail}`)));
    line.setAttribute("aria-label", `row ${r + 1}${on}`);
    data.append(line);
  });
  const params = h("fieldset", {class: "params"});
  params.append(h("legend", {}, "Weights and biases (or drag an edge; ↑ ↓)"));
  s.W.forEach((W, l) => {
    const line = h("div", {class: "row-fields"});
    W.forEach((w, j) => w.forEach((_, k) => line.append(field(Wn[l][j][k], `W.${l}.${j}.${k}`, Wn[l][j][k]))));
    line.append(field(`b${l + 1}`, `b.${l}`, `b${l + 1}`));
    params.append(line);
  });
  const options = h("fieldset", {class: "options"});
  options.append(h("legend", {}, "Learning"));
  options.append(field("η", "lr", "lr"));
  const check = h("label", {class: "check"});
  check.append(h("input", {type: "checkbox", id: "f-train-bias"}), " update the biases too (the deck keeps them fixed)");
  options.append(check);
  box.append(data, params, options);
}

// The fields show the current numbers; the one being typed in and any holding a bad edit keep theirs.
function showFields(box, s) {
  box.querySelectorAll("input[data-path]").forEach((input) => {
    if (input === document.activeElement && input.getAttribute("aria-invalid") === "true") return;
    if (input === document.activeElement && readNumber(input.value).value === getAt(s, input.dataset.path)) return;
    input.value = full(getAt(s, input.dataset.path));
    markField(input, null);
  });
  box.querySelector("#f-train-bias").checked = s.trainBias;
}

function markField(input, message) {   // message: what is wrong, or null
  input.setAttribute("aria-invalid", message ? "true" : "false");
  document.getElementById(input.getAttribute("aria-describedby")).textContent = message || "";
}

const HEAD = ["formula, with this round's numbers", "value (float64, every digit)", "the deck prints", "verdict"];

function buildTable(box, qs) {
  box.textContent = "";
  let body = null, section = null;
  qs.forEach((q) => {
    if (q.section !== section) {
      section = q.section;
      box.append(h("h3", {}, section));
      const table = h("table", {class: "quantities"}), head = h("tr");
      HEAD.forEach((t, n) => head.append(h("th", {class: ["formula", "value", "deck", "verdict"][n], scope: "col"}, t)));
      table.append(h("thead"), (body = h("tbody")));
      table.tHead.append(head);
      box.append(table);
    }
    const tr = h("tr", {"data-q": q.key});
    ["formula", "value", "deck", "verdict"].forEach((c, n) => tr.append(h("td", {class: c, "data-label": HEAD[n]})));
    body.append(tr);
  });
}

// why: null on the deck's setting (its columns filled), else why the deck's columns are empty.
function showTable(box, qs, why) {
  const rows = new Map([...box.querySelectorAll("tr[data-q]")].map((tr) => [tr.dataset.q, tr]));
  qs.forEach((q) => {
    const tr = rows.get(q.key), [formula, value, deck, verdict] = tr.cells;
    formula.textContent = q.formula;
    value.textContent = full(q.value);
    const printings = why ? [] : DATA.printed[q.key] || [];
    deck.textContent = "";
    verdict.textContent = "";
    printings.forEach((p) => {
      const line = h("div", {class: "printing", "data-source": p.source}, p.printed);
      line.append(h("span", {class: "source"}, ` ${p.source}`));
      deck.append(line);
      const v = h("div", {class: `verdict ${p.verdict}`}, p.verdict);
      if (p.note) v.append(h("span", {class: "note"}, p.note));
      verdict.append(v);
    });
    tr.className = printings.some((p) => p.verdict === "differs") ? "differs" :
                   printings.some((p) => p.verdict === "agrees-truncated") ? "agrees-truncated" : "";
  });
  box.querySelectorAll("th.deck").forEach((th) => { th.textContent = why ? `the deck prints: empty, ${why}` : HEAD[2]; });
  box.querySelectorAll("th.verdict").forEach((th) => { th.textContent = why ? "verdict: none (nothing to compare)" : HEAD[3]; });
}

// The deck's figures for later rounds (slide 40's error table, the article's closing figures).
function showFigures(box, run, why) {
  box.textContent = "";
  if (why) {
    box.append(h("p", {class: "why"}, `The deck's error table (slide 40) is for its own setting; ${why}.`));
    return;
  }
  const table = h("table", {class: "figures"}), head = h("tr");
  ["round", "", "this page", "printed", "verdict"].forEach((t) => head.append(h("th", {scope: "col"}, t)));
  table.append(h("thead"), h("tbody"));
  table.tHead.append(head);
  [...DATA.figures].sort((a, b) => a.round - b.round).forEach((f) => {
    const value = f.round > run.round ? "not reached" :
      full(f.what === "E_total" ? run.losses[f.round - 1] : outputAt(run, f.round, f.what));
    const tr = h("tr", {"data-figure": f.quantity, class: f.verdict, title: f.note || f.quantity});
    [String(f.round), f.what, value, f.printed, f.verdict].forEach((t) => tr.append(h("td", {}, t)));
    tr.cells[3].append(h("span", {class: "source"}, f.source.startsWith("article") ? "the article" : "slide 40"));
    table.tBodies[0].append(tr);
  });
  box.append(table);
}

function outputAt(run, round, what) {   // out_ok of the single row at an earlier round (from the history)
  const s = round === run.round ? run.current : run.saved[round - 1];
  const k = Number(what.slice(-1)) - 1;
  return backprop(s, s.inputs, s.targets).outputs[0][k];
}
