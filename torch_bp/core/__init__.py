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

The second derivative (docs/second-order.md):
    activations.py  φ, ∂out/∂net, ∂²out/∂net² for sigmoid, tanh, identity
    passes.py       the chain rule for any activation, its backward pass as a linear map
    hessian.py      H v by hand (Pearlmutter's R-operator) and the Hessian, each split into
                    its Gauss-Newton and residual parts
    sharpness.py    λ_max by power iteration on H v, for one network or N stacked ones
    curve.py        a tanh network with a linear output, and a curve to fit
    edge.py         gradient descent on it at several η: the edge of stability
"""
