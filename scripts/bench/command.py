"""Speed and memory of torch_bp, side by side in one run, with the targets they must meet.

    python scripts/benchmark.py                  # train and scale: about 1.5 minutes on 2 quiet cores
    python scripts/benchmark.py --section all    # every section, the sweep too: minutes more
    python scripts/benchmark.py --quick          # a smoke test: smaller counts, a few seconds
    python scripts/benchmark.py --section train  # the 10,000-round run against the plain loop
    python scripts/benchmark.py --section scale --json bench.json

The sections and how they measure: scripts/bench/ (docs/speed.md).
"""
import json
import os
import sys
from pathlib import Path

import bench
from torch_bp.cli.args import ArgumentParser, fail, path_arg, count, counts

PROG = "benchmark.py"


def build_parser() -> ArgumentParser:
    d = bench.Settings()
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=[*bench.SECTIONS, "all"], default=None,
                   help=f"which figures; all: every section, the sweep too (minutes); "
                        f"default: {', '.join(bench.DEFAULT_SECTIONS)}")
    p.add_argument("--quick", action="store_true",
                   help="smaller counts, a smoke test of a few seconds (figures indicative only)")
    p.add_argument("--repeats", type=count, default=d.repeats,
                   help=f"timed repeats per figure, the median reported (--quick: {bench.QUICK['repeats']})")
    p.add_argument("--run-repeats", type=count, default=d.run_repeats,
                   help=f"repeats of the whole 10,000-round runs (--quick: {bench.QUICK['run_repeats']})")
    p.add_argument("--batch-sizes", type=counts, default=d.batch_sizes,
                   help="section scale: batch sizes, e.g. 16,256 (--quick: 16,256)")
    p.add_argument("--threads", type=count, default=d.threads,
                   help="torch.set_num_threads; default: the cores this process may use")
    p.add_argument("--json", type=path_arg, metavar="FILE", default=None, help="also write every figure to this JSON file")
    return p


def sections(section: str | None) -> list[str]:
    """The sections --section names: none given, the default ones; "all", every one."""
    if section is None:
        return list(bench.DEFAULT_SECTIONS)
    return list(bench.SECTIONS) if section == "all" else [section]


def main(argv=None) -> int:
    # A run hands its pictures to a child process as it ends (torch_bp.training.pictures: ~10 ms in
    # the run, then seconds of CPU beside it); here they would load the cores under the next
    # repeats. What they cost is measured on its own (docs/pictures.md).
    os.environ["TORCH_BP_FIGURES"] = "0"
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    section, out_json = args.pop("section"), args.pop("json")
    if args["quick"]:
        given = parser.explicit(argv)
        args.update({k: v for k, v in bench.QUICK.items() if k not in given})
    if out_json is not None:  # checked now, not after minutes of measuring
        target = Path(out_json)
        if target.is_dir() or not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
            return fail(PROG, f"--json {target}: cannot write a file there")
    figures = bench.run(bench.Settings(**args), sections(section))
    if out_json is not None:
        Path(out_json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"figures: {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
