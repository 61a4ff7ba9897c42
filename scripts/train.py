#!/usr/bin/env python3
"""Train the deck's network (or another) with SGD, logging every round to TensorBoard.

The command is torch_bp/cli/train.py (installed as `torch-bp-train`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("train"))
