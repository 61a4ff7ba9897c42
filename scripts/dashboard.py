#!/usr/bin/env python3
"""TensorBoard on the training runs (runs/), or with --sweeps on the sweeps (sweeps/).

The command is torch_bp/cli/dashboard.py (installed as `torch-bp-dashboard`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("dashboard"))
