"""The deck's error: E = 1/2 Σ_k (target_k − out_k)², averaged over the rows of a batch."""
import torch

from .batches import check_pair


def half_sse_terms(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """E_ok = 1/2 (target_ok − out_ok)², mean over the batch: shape (n_out,), (E_o1, E_o2).
    outputs and targets: (B, n_out), one dtype (batches.check_pair)."""
    check_pair(outputs, targets)
    return 0.5 * (targets - outputs).square().mean(0)  # (B, n_out) -> (n_out,)


def half_sse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """E_total = Σ_k E_ok = 1/B Σ_b 1/2 Σ_k (target_bk − out_bk)²; one row: the slides' E_total."""
    return half_sse_terms(outputs, targets).sum()
