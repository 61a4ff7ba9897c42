"""The outcome of a run: the equivalents list, the per-file table, survivors and stale entries."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from mutation import ROOT

EQUIVALENT_FILE = ROOT / "tests" / "mutants_equivalent.txt"


def read_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """{mutant key: reason} from lines `file | where | before -> after | reason` (# comments)."""
    out = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, reason = line.rpartition(" | ")
            out[key.strip()] = reason.strip()
    return out




def _row(name: str, c: Counter) -> str:
    return (f"{name:<16}{c['mutants']:>8}{c['killed']:>8}{c['timeout']:>8}{c['survived']:>9}"
            f"{c['equivalent']:>7}{c['unexplained']:>8}")


def table(files: list[str], items: list, results: dict, equivalent: dict[str, str]) -> tuple[Counter, list]:
    """Print the per-file table; return the totals and the surviving mutants."""
    totals = Counter()
    print(f"\n{'file':<16}{'mutants':>8}{'killed':>8}{'timeout':>8}{'survived':>9}{'equiv.':>7}{'unexpl.':>8}")
    survivors = []
    for f in files:
        c = Counter()
        for n, m in enumerate(items):
            if m.file != f:
                continue
            outcome = results[n][0]
            c["mutants"] += 1
            c[outcome] += 1
            if outcome == "survived":
                c["equivalent" if m.key in equivalent else "unexplained"] += 1
                survivors.append(m)
        totals.update(c)
        print(_row(Path(f).name, c))
    print(_row("all", totals))
    return totals, survivors


def report(files: list[str], items: list, results: dict, equivalent: dict[str, str], names: list[str],
           complete: bool) -> Counter:
    """Print the table, the survivors with their reasons and, on a `complete` run of the files
    `names`, the listed equivalents no survivor matches any more; return the totals."""
    totals, survivors = table(files, items, results, equivalent)
    if survivors:
        print("\nsurvivors (file:line | where | before -> after | reason):")
        for m in survivors:
            print(f"  {m.file}:{m.line} | {m.where} | {m.before} -> {m.after} | "
                  f"{equivalent.get(m.key, 'UNEXPLAINED')}")
    outcome = {m.key: results[n][0] for n, m in enumerate(items)}
    stale = [k for k in equivalent if k.split(" | ")[0] in names and outcome.get(k, "killed") != "survived"]
    if stale and complete:
        print(f"\n{len(stale)} listed equivalent(s) no surviving mutant matches any more (update {EQUIVALENT_FILE.name}):")
        for k in stale:
            print(f"  {k}")
    return totals
