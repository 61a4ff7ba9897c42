"""The deck's worked example: its data, its learning rate, and every number it prints.

Printed numbers are kept as the text the slide shows (so the precision is the slide's), with
the slide they come from; tests and the report compare them with what torch_bp computes.
"""
import torch

SEED_INPUTS = torch.tensor([[0.05, 0.10]], dtype=torch.float64)   # (1, 2): i1, i2
SEED_TARGETS = torch.tensor([[0.01, 0.99]], dtype=torch.float64)  # (1, 2): target_o1, target_o2
SEED_LR = 0.5                                                     # η

# Every number the deck prints, as printed, with its slide ("quantity": (text, slide)).
# Slides are numbered as remark.js counts them (1 = title); the titles are the slides' own.
DECK_PRINTED = {
    # Forward pass ("Foward Calculation", slides 16-20)
    "net_h1": ("0.37750", "16 Foward Calculation"),
    "net_h2": ("0.39250", "16 Foward Calculation"),
    "out_h1": ("0.59327", "17 Foward Calculation"),
    "out_h2": ("0.59688", "17 Foward Calculation"),
    "net_o1": ("1.1059", "19 Foward Calculation"),
    "net_o2": ("1.2249", "19 Foward Calculation"),
    "out_o1": ("0.75136", "20 Foward Calculation"),
    "out_o2": ("0.77292", "20 Foward Calculation"),
    # Cost ("Cost Function", slide 24)
    "E_o1": ("0.27481", "24 Cost Function"),
    "E_o2": ("0.023562", "24 Cost Function"),
    "E_total": ("0.29837", "24 Cost Function"),
    # Backward pass, output layer ("Backpropagation", slides 31-32)
    "dE_total/dout_o1": ("0.74136", "31 Backpropagation"),
    "dout_o1/dnet_o1": ("0.1868", "31 Backpropagation"),
    "dnet_o1/dw5": ("0.59327", "31 Backpropagation"),
    "dE_total/dw5": ("0.081267", "31-32 Backpropagation"),
    "dE_total/dw6": ("0.082668", "32 Backpropagation"),
    "dE_total/dw7": ("-0.022603", "32 Backpropagation"),
    "dE_total/dw8": ("-0.022740", "32 Backpropagation"),
    # One SGD step of the output weights (slides 33-34); slide 33 works w5 out by hand.
    "w5+ (slide 33)": ("0.35937", "33 Backpropagation"),
    "w5+": ("0.35892", "34 Backpropagation"),
    "w6+": ("0.40867", "34 Backpropagation"),
    "w7+": ("0.51130", "34 Backpropagation"),
    "w8+": ("0.56137", "34 Backpropagation"),
    # Backward pass, hidden layer (slides 36-38)
    "dE_total/dout_h1": ("0.036350", "36-37 Backpropagation"),
    "dE_total/dw1": ("0.000439", "37-38 Backpropagation"),
    "dE_total/dw2": ("0.000877", "38 Backpropagation"),
    "dE_total/dw3": ("0.000498", "38 Backpropagation"),
    "dE_total/dw4": ("0.000995", "38 Backpropagation"),
    # One SGD step of the hidden weights (slide 39)
    "w1+": ("0.149781", "39 Backpropagation"),
    "w2+": ("0.199561", "39 Backpropagation"),
    "w3+": ("0.249751", "39 Backpropagation"),
    "w4+": ("0.299502", "39 Backpropagation"),
}

# The "Backpropagation-Error" table (slide 42): round -> error, as printed. Round r's error is
# E_total before the r-th update (round 1 is the untrained network), biases fixed.
DECK_ERROR_TABLE = {
    1: "0.298371", 300: "0.005057", 600: "0.002135", 900: "0.001277",
    1200: "0.000881", 1500: "0.000656", 1800: "0.000514", 2100: "0.000416",
    2400: "0.000346", 2700: "0.000293", 3000: "0.000252", 3300: "0.000219",
}
DECK_ERROR_TABLE_SLIDE = "42 Backpropagation-Error"
