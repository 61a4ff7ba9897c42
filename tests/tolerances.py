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

# The complex step against the hand-written chain rule (tests/test_complex_step.py): both are float64
# evaluations of one derivative, so they may differ by rounding only, and rounding is measured against
# ĝ = torch_bp.core.complex_step.rounding_scale, the chain rule with every cancellation undone (the
# scale of the classic running-error bound): |g_cs − g_bp| ≤ COMPLEX_STEP_UNITS · u · ĝ, u = 2^-53.
# Each evaluation rounds once per step, ~10-90 steps on a path here; errors of random sign add like
# √steps (Higham & Mary 2019), not like steps, and the worst of 10,000 drawn networks is 3.7 u ĝ.
# 8 covers that with room, and on the deck 8 u ĝ is 2e-13 of ∂E/∂w1..w4 and b1, 8e-15 of ∂E/∂w5, w6:
# a gradient off by a relative 1e-12 is caught, where central differences' best is 2e-10.
UNIT_ROUNDOFF = 2.0 ** -53
COMPLEX_STEP_UNITS = 8
# The complex step's h: h²/6·|E'''| is ~1e-40 of any ∂E/∂θ here, far below one rounding.
COMPLEX_STEP_H = 1e-20
PLANTED_ERROR = 1e-12  # the one-ulp-scale mistake the complex step must catch: a relative 1e-12

# Forward mode by hand against torch.func.jvp (tests/test_forward_mode.py): the same products in a
# different order, componentwise within 1e-12 relative; a component that cancels to near zero is
# held to 1e-12 of the largest one instead (a norm-wise relative error, JVP_RTOL · max|J u|).
JVP_RTOL = 1e-12

# The live page's JavaScript against torch_bp (both float64, sums in another order, another exp):
# 1e-12 relative, as the issue asks; the floor covers values that cancel to near zero.
LIVE_PAGE = dict(rtol=1e-12, atol=1e-15)
