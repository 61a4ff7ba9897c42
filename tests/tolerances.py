"""Every tolerance the gradient checks use, stated once (float64 throughout).

EXACT_ISH: two float64 computations of the same formula in a different order (autograd
against the hand-written chain rule, or the deck's scalar code), a few ulps apart.
FINITE_DIFF: central differences with step FD_EPS; their truncation error is O(eps²) and
rounding error O(ulp/eps), about 1e-10 here, so 1e-7 leaves room without hiding a wrong factor
(the smallest mutation of the chain rule moves gradients by far more than that).
"""
import torch

DTYPE = torch.float64
EXACT_ISH = dict(rtol=1e-10, atol=1e-13)
FD_EPS = 1e-6
FINITE_DIFF = dict(rtol=1e-6, atol=1e-9)

# The two backends' trajectories over thousands of rounds: gradients a few ulps apart each
# round, carried through every later update, stay within 1e-9 relative of each other.
TRAJECTORY = dict(rtol=1e-9, atol=1e-13)
# TensorBoard stores scalars as float32: a float64 value read back is within half an ulp.
FLOAT32 = dict(rtol=2**-24, atol=0.0)
# The live page's JavaScript against torch_bp (both float64, sums in another order, another exp):
# 1e-12 relative, as the issue asks; the floor covers values that cancel to near zero.
LIVE_PAGE = dict(rtol=1e-12, atol=1e-15)
