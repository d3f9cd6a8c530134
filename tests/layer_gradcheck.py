"""Gradient checking of whole recurrent layers with every flag, shared by the layer tests."""

from rnnlesson.gradcheck import check_layer_gradients


def richardson_errors(layer, x, forward_kwargs=None, seed=0):
    """Relative errors of ``layer.backward`` against numerical gradients, by name.

    ``rnnlesson.gradcheck.check_layer_gradients`` with its default estimate: the
    Richardson extrapolation (4 g(eps) - g(2 eps)) / 3 of two central differences,
    whose error is O(eps^4) instead of O(eps^2), so even gradient entries of 1e-5 are
    checked to a relative 1e-7 (plain central differences bottom out near 2e-11
    absolute, which is 1e-7 of an entry of 2e-4; gated layers have such entries).
    Carried states and the layer's random generator are held fixed.
    """
    return check_layer_gradients(layer, x, forward_kwargs=forward_kwargs, seed=seed,
                                 verbose=False)
