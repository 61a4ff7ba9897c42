#!/usr/bin/env python3
"""The edge of stability: a small tanh network's sharpness λ_max rising to 2/η, and a larger η diverging.

The command is torch_bp/cli/edge.py; `--help` lists its flags. docs/second-order.md shows its figure.
"""
import sys

import torch_bp_launch

if __name__ == "__main__":
    sys.exit(torch_bp_launch.launch("edge", "edge_of_stability.py"))
