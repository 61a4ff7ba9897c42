#!/usr/bin/env bash
# Writes what the scripts print and save for a fixed set of commands into OUT, so that two
# versions of torch_bp can be compared byte for byte:
#     scripts/same_outputs.sh /tmp/before   # on the old commit (a git worktree of it)
#     scripts/same_outputs.sh /tmp/after    # on the new one
#     diff -r /tmp/before /tmp/after && echo "outputs unchanged"
# Compared: train.py's history.csv (bitwise), explain.py in every format (and --check),
# sweep.py's results.csv and plot.py's chart. Run from the checkout's root; PYTHON overrides
# the interpreter (default: .venv/bin/python).
set -euo pipefail
OUT=${1:?usage: scripts/same_outputs.sh OUT_DIR}
PY=${PYTHON:-.venv/bin/python}
export TORCH_BP_FIGURES=0 PYTHONHASHSEED=0 SOURCE_DATE_EPOCH=0  # SVGs carry no date
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's torch_bp, whichever one pip installed
rm -rf "$OUT"; mkdir -p "$OUT"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

train() {  # name, flags...
  local name=$1; shift
  "$PY" scripts/train.py --logdir "$work/$name" "$@" > /dev/null
  cp "$work/$name/history.csv" "$OUT/train-$name.csv"
}
train deck
train deck-autograd --backend autograd
train deck-bias --train-bias --steps 2000 --check-grads
train xor --dataset xor --sizes 2,3,1 --batch-size 1 --shuffle --seed 3 --steps 3000
train xor-unitbias --dataset xor --sizes 2,4,1 --per-unit-bias --steps 2000 --log-interval 7
train wide --sizes 2,30,2 --steps 500

for fmt in text markdown json html; do
  "$PY" scripts/explain.py --format "$fmt" > "$OUT/explain.$fmt"
done
"$PY" scripts/explain.py --format markdown --only-differences > "$OUT/explain-differences.md"
"$PY" scripts/explain.py --inputs 0.1,0.2 --targets 0.3,0.7 --lr 0.1 --rounds 1,10,100 > "$OUT/explain-other.txt"
cat > "$work/mine.json" <<'JSON'
{"net_h1": "0.3775", "out_h1": "0.59327", "net_o1": "1.1059", "out_o1": "0.75136",
 "dE_total/dout_o1": "-0.74136", "dE_total/dw5": "-0.082167"}
JSON
cat > "$work/right.json" <<'JSON'
{"net_h1": 0.3775, "out_h1": "0.593270", "E_total": "0.298371", "dE_total/dw5": "0.0821670"}
JSON
for fmt in text markdown json; do
  "$PY" scripts/explain.py --check "$work/mine.json" --format "$fmt" > "$OUT/check-mine.$fmt"
  "$PY" scripts/explain.py --check "$work/right.json" --format "$fmt" > "$OUT/check-right.$fmt"
done

"$PY" scripts/sweep.py --lr 0.1,0.5,2,8 --seeds 0:2 --steps 600 --target-loss 0.01 \
  --logdir "$work/sweep" > /dev/null
cp "$work/sweep/results.csv" "$OUT/sweep-results.csv"
"$PY" scripts/sweep.py --dataset xor --sizes 2,3,1 --lr 0.5,4 --seeds 0:3 --batch-size 2 --shuffle \
  --steps 400 --logdir "$work/sweep-xor" > /dev/null
cp "$work/sweep-xor/results.csv" "$OUT/sweep-xor-results.csv"

"$PY" scripts/plot.py "$work/deck" "$work/deck-bias" -o "$OUT/plot.svg" > /dev/null
"$PY" scripts/plot.py "$work/xor" "$work/xor-unitbias" -o "$OUT/plot.png" > /dev/null
echo "outputs written to $OUT"
