"""Transfer functions phi and the derivatives the reference actually uses.

Kinds are small integers so kernels can switch on them.  phi takes a per-neuron slope and offset and
evaluates the reference's expressions in its order of operations.  The derivative ``dphi`` ignores slope and
offset, as the reference does (it looks the plain derivative up by name and calls it without them,
docs/models.md §1, quirk 22): d_hard_sigmoid lacks the 1/6, heaviside(0) = 0.
"""

import math

from .cache import kernel_jit

LINEAR, RELU, SOFT_RELU, LOGISTIC, TANH, HARD_SIGMOID = 0, 1, 2, 3, 4, 5
KIND = {"linear": LINEAR, "relu": RELU, "soft_relu": SOFT_RELU, "logistic": LOGISTIC, "tanh": TANH,
        "hard_sigmoid": HARD_SIGMOID}


@kernel_jit(inline="always")
def _max(a, b):
    # np.maximum semantics: NaN propagates
    if a != a or a > b:
        return a
    return b


@kernel_jit(inline="always")
def _min(a, b):
    if a != a or a < b:
        return a
    return b


@kernel_jit(inline="always")
def phi(kind, x, slope, offset):
    if kind == TANH:
        return math.tanh((x - offset) * slope)
    if kind == LINEAR:
        return (x - offset) * slope
    if kind == LOGISTIC:
        return 1.0 / (1.0 + math.exp(-(x - offset) * slope))
    if kind == RELU:
        return _max(x - offset, 0.0) * slope
    if kind == SOFT_RELU:
        e = math.exp(-10.0 * (x - offset))
        return math.log((1.0 + e) / e) / 10.0 * slope
    # HARD_SIGMOID
    return _max(0.0, _min(1.0, (x - offset) / 6.0 + 0.5)) * slope


@kernel_jit(inline="always")
def _heaviside0(x):
    if x != x:
        return x
    return 1.0 if x > 0.0 else 0.0


@kernel_jit(inline="always")
def dphi(kind, x):
    if kind == TANH:
        y = math.tanh(x)
        return 1.0 - y * y
    if kind == LINEAR:
        return 1.0
    if kind == LOGISTIC:
        y = 1.0 / (1.0 + math.exp(-x))
        return y * (1.0 - y)
    if kind == RELU:
        return _heaviside0(x)
    if kind == SOFT_RELU:
        return 1.0 / (1.0 + math.exp(-10.0 * x))
    s = x / 6.0 + 0.5
    return _heaviside0(s) * _heaviside0(1.0 - s)


@kernel_jit()
def phi_array(kind, x, out):
    """phi with slope 1 and offset 0 over an array (the phi' transfer task): out[i] = phi(x[i])."""
    for i in range(x.shape[0]):
        out[i] = phi(kind, x[i], 1.0, 0.0)


@kernel_jit()
def dphi_array(kind, x, out):
    """The derivative the reference uses over an array: out[i] = phi'(x[i])."""
    for i in range(x.shape[0]):
        out[i] = dphi(kind, x[i])
