#!/usr/bin/env python3
"""Train many copies of a network side by side, one per learning rate and seed, in one batch.

The command is torch_bp/cli/sweep.py (installed as `torch-bp-sweep`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("sweep"))
