#!/usr/bin/env python3
"""The deck's worked example, line by line, checked against the numbers the deck prints.

The command is torch_bp/cli/explain.py (installed as `torch-bp-explain`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("explain"))
