"""The lesson, in the order the slides teach it; imports only torch and numpy.

    deck.py        the deck's data, η, initial weights and every number it prints
    model.py       BackpropNet: sigmoid layers with one bias shared by each layer
    loss.py        E = ½ Σ (target − out)²
    chain_rule.py  backpropagation by hand, in the slides' notation (net, out, delta)
    sgd.py         θ ← θ − η ∂E/∂θ, with the hand-written chain rule or with autograd
    data.py        data sets and the order in which a run visits them
    numbers.py     what counts as a number in a file

And the same derivatives by two other routes, to check the chain rule to the last digit:
    complex_step.py  every ∂E/∂θ as Im E(θ + ih)/h, with no subtraction to lose digits
    forward_mode.py  a Jacobian-vector product by hand: tangents carried forward beside net and out
"""
