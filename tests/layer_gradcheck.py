"""Gradient checking of whole recurrent layers with every flag, shared by the layer tests."""

import numpy as np

from rnnlesson.gradcheck import numerical_gradient, rel_error


def richardson_errors(layer, x, forward_kwargs=None, seed=0, eps=1e-3):
    """Relative errors of ``layer.backward`` against numerical gradients, by name.

    Like ``rnnlesson.gradcheck.check_layer_gradients`` (loss = sum(out * dout), random
    dout, carried states held fixed), but the numerical gradient is the Richardson
    extrapolation (4 g(eps) - g(2 eps)) / 3 of two central differences from
    ``rnnlesson.gradcheck.numerical_gradient``: its error is O(eps^4) instead of
    O(eps^2), so a large eps keeps rounding noise near 1e-12 and even gradient
    entries of 1e-5 are checked to a relative 1e-7 (plain central differences bottom
    out near 2e-11 absolute, which is 1e-7 of an entry of 2e-4; gated layers have such
    entries).
    """
    x = np.array(x, dtype=np.float64)
    kw = dict(forward_kwargs or {})
    if kw.get("initial_state") is not None:
        kw["initial_state"] = [np.array(s, dtype=np.float64) for s in kw["initial_state"]]
    saved = [s.copy() for s in layer.states] if layer.states is not None else None

    def run():
        if layer.stateful:
            layer.states = None if saved is None else [s.copy() for s in saved]
        out = layer.forward(x, **kw)
        return out if isinstance(out, list) else [out]

    outs = run()
    rng = np.random.default_rng(seed)
    douts = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(douts if layer.return_state else douts[0])
    checked = {"input": (dx, x)}
    checked.update({k: (layer.grads[k].copy(), p) for k, p in layer.params.items()})
    for i, s in enumerate(kw.get("initial_state") or []):
        checked[f"initial_state[{i}]"] = (layer.initial_state_grads[i].copy(), s)

    def loss():
        return float(sum(np.sum(o * d) for o, d in zip(run(), douts, strict=True)))

    errors = {}
    for name, (analytic, arr) in checked.items():
        g1 = numerical_gradient(loss, arr, eps)
        g2 = numerical_gradient(loss, arr, 2 * eps)
        errors[name] = rel_error(analytic, (4 * g1 - g2) / 3)
    if layer.stateful:
        layer.states = None if saved is None else [s.copy() for s in saved]
    return errors
