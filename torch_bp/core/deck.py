"""The deck's worked example: its data, its learning rate, and every number it prints.

Printed numbers are kept as the text the slide shows (so the precision is the slide's), with
the slide they come from; tests and the report compare them with what torch_bp computes.
"""
import json
from pathlib import Path

import torch

DECK_INPUTS = torch.tensor([[0.05, 0.10]], dtype=torch.float64)   # (1, 2): i1, i2
DECK_TARGETS = torch.tensor([[0.01, 0.99]], dtype=torch.float64)  # (1, 2): target_o1, target_o2
DECK_LR = 0.5                                                     # η
DECK_SIZES = (2, 2, 2)                                            # i1, i2 -> h1, h2 -> o1, o2
# The deck's fixed initial weights, in nn.Linear's (out, in) layout: [[w1, w2], [w3, w4]], b1,
# [[w5, w6], [w7, w8]], b2. Shipped as a file so `train.py --init` takes it like any other.
DECK_WEIGHTS_FILE = Path(__file__).with_name("deck_weights.json")
DECK_WEIGHTS = json.loads(DECK_WEIGHTS_FILE.read_text())


def is_deck_setting(model, inputs: torch.Tensor, targets: torch.Tensor, lr: float, train_bias: bool = False) -> bool:
    """The one setting the deck works through (and its error table describes): the 2-2-2
    network with shared biases and w1..w8, b1, b2 as printed, its one sample, η = 0.5, and
    b1, b2 fixed. The only definition of "the deck's setting"; model: a BackpropNet."""
    if lr != DECK_LR or train_bias or getattr(model, "sizes", None) != DECK_SIZES or not model.shared_bias:
        return False
    same = lambda a, b: a.shape == b.shape and torch.equal(a.detach().cpu().to(b.dtype), b)  # noqa: E731
    return (same(inputs, DECK_INPUTS) and same(targets, DECK_TARGETS)
            and all(same(p, torch.tensor(DECK_WEIGHTS[n], dtype=torch.float64)) for n, p in model.named_parameters()))

# Every number the deck prints, as printed, with its slide ("quantity": (text, slide)).
# Slide N is the N-th slide of the deck's source, counting the blocks between `---` lines from
# the title slide (= 1) and ignoring remark.js's incremental `--` steps; titles are the slides' own.
DECK_PRINTED = {
    # Forward pass ("Foward Calculation", slides 14-18)
    "net_h1": ("0.37750", "14 Foward Calculation"),
    "net_h2": ("0.39250", "14 Foward Calculation"),
    "out_h1": ("0.59327", "15 Foward Calculation"),
    "out_h2": ("0.59688", "15 Foward Calculation"),
    "net_o1": ("1.1059", "17 Foward Calculation"),
    "net_o2": ("1.2249", "17 Foward Calculation"),
    "out_o1": ("0.75136", "18 Foward Calculation"),
    "out_o2": ("0.77292", "18 Foward Calculation"),
    # Cost ("Cost Function", slide 22)
    "E_o1": ("0.27481", "22 Cost Function"),
    "E_o2": ("0.023562", "22 Cost Function"),
    "E_total": ("0.29837", "22 Cost Function"),
    # Backward pass, output layer ("Backpropagation", slides 29-30)
    "dE_total/dout_o1": ("0.74136", "29 Backpropagation"),
    "dout_o1/dnet_o1": ("0.1868", "29 Backpropagation"),
    "dnet_o1/dw5": ("0.59327", "29 Backpropagation"),
    "dE_total/dw5": ("0.081267", "29-30 Backpropagation"),
    "dE_total/dw6": ("0.082668", "30 Backpropagation"),
    "dE_total/dw7": ("-0.022603", "30 Backpropagation"),
    "dE_total/dw8": ("-0.022740", "30 Backpropagation"),
    # One SGD step of the output weights (slides 31-32); slide 31 works w5 out by hand.
    "w5+ (slide 31)": ("0.35937", "31 Backpropagation"),
    "w5+": ("0.35892", "32 Backpropagation"),
    "w6+": ("0.40867", "32 Backpropagation"),
    "w7+": ("0.51130", "32 Backpropagation"),
    "w8+": ("0.56137", "32 Backpropagation"),
    # Backward pass, hidden layer (slides 34-36)
    "dE_total/dout_h1": ("0.036350", "34-35 Backpropagation"),
    "dE_total/dw1": ("0.000439", "35-36 Backpropagation"),
    "dE_total/dw2": ("0.000877", "36 Backpropagation"),
    "dE_total/dw3": ("0.000498", "36 Backpropagation"),
    "dE_total/dw4": ("0.000995", "36 Backpropagation"),
    # One SGD step of the hidden weights (slide 37)
    "w1+": ("0.149781", "37 Backpropagation"),
    "w2+": ("0.199561", "37 Backpropagation"),
    "w3+": ("0.249751", "37 Backpropagation"),
    "w4+": ("0.299502", "37 Backpropagation"),
}

# The "Backpropagation-Error" table (slide 40): round -> error, as printed. Round r's error is
# E_total before the r-th update (round 1 is the untrained network), biases fixed.
DECK_ERROR_TABLE = {
    1: "0.298371", 300: "0.005057", 600: "0.002135", 900: "0.001277",
    1200: "0.000881", 1500: "0.000656", 1800: "0.000514", 2100: "0.000416",
    2400: "0.000346", 2700: "0.000293", 3000: "0.000252", 3300: "0.000219",
}
DECK_ERROR_TABLE_SLIDE = "40 Backpropagation-Error"

# The article the deck follows (Matt Mazur, "A Step by Step Backpropagation Example", 2015):
# the figures it publishes for the same network, as printed, with where ("quantity": (text, where)).
# "after n rounds" is the article's wording; torch_bp.explain.report finds which update rule and which
# count of updates reproduces each figure.
ARTICLE_PRINTED = {
    "w5+": ("0.35891648", "The Backwards Pass, Output Layer"),
    "w6+": ("0.408666186", "The Backwards Pass, Output Layer"),
    "w7+": ("0.511301270", "The Backwards Pass, Output Layer"),
    "w8+": ("0.561370121", "The Backwards Pass, Output Layer"),
    "w1+": ("0.149780716", "The Backwards Pass, Hidden Layer"),
    "w2+": ("0.19956143", "The Backwards Pass, Hidden Layer"),
    "w3+": ("0.24975114", "The Backwards Pass, Hidden Layer"),
    "w4+": ("0.29950229", "The Backwards Pass, Hidden Layer"),
    "E_total after 1 round": ("0.291027924", "closing paragraph"),
    "E_total after 10000 rounds": ("0.0000351085", "closing paragraph"),
    "out_o1 after 10000 rounds": ("0.015912196", "closing paragraph"),
    "out_o2 after 10000 rounds": ("0.984065734", "closing paragraph"),
}
