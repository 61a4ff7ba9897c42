#!/usr/bin/env python3
"""A class set: a different worked example for every student, and their working marked.

The command is torch_bp/cli/worksheet.py (installed as `torch-bp-worksheet`); `--help` lists its flags.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("worksheet"))
