#!/usr/bin/env python3
"""Compare runs: one loss curve per run on one log-y chart.

The command is torch_bp/cli/plot.py (installed as `torch-bp-plot`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("plot"))
