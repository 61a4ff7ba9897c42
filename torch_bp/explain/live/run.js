// A training run: its start, the round reached, and a history stack for an exact step back.
// Round r's numbers are the ones before the r-th update (round 1: the start), as the deck's
// error table counts. Stepping back pops the setting saved before the last update: the very same
// float64 values (sgdStep makes new arrays, nothing is changed in place), not an update undone by
// arithmetic, which would drift.

const MAX_ROUNDS = 100000;     // the history stack holds one setting per round

class Run {
  constructor(start) {
    this.start = start;
    this.current = start;
    this.trace = backprop(start, start.inputs, start.targets);
    this.saved = [];                    // the settings of rounds 1 .. round − 1
    this.losses = [this.trace.loss];    // E_total of rounds 1 .. round
  }

  get round() { return this.saved.length + 1; }

  step() {                              // the round's update: θ+ = θ − η·∂E/∂θ
    const s = this.current;
    this.saved.push(s);
    this.current = sgdStep(s, this.trace, s.lr, s.trainBias);
    this.trace = backprop(this.current, s.inputs, s.targets);
    this.losses.push(this.trace.loss);
  }

  steps(n) {                            // n updates, as many as the history has room for
    const todo = Math.min(n, MAX_ROUNDS - this.round);
    for (let k = 0; k < todo; k++) this.step();
    return todo;
  }

  back() {                              // exact: the saved setting, then its own trace
    if (!this.saved.length) return false;
    this.current = this.saved.pop();
    this.trace = backprop(this.current, this.current.inputs, this.current.targets);
    this.losses.pop();
    return true;
  }
}
