#!/usr/bin/env python3
"""Speed and memory of torch_bp, side by side in one run, with the targets they must meet.

The command is scripts/bench/command.py; `--help` lists its flags, scripts/bench/ how it measures.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("benchmark", module="bench.command"))
