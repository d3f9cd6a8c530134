"""Wrong answers to every exercise of lesson 03, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "param_count": '''\
def param_count(layer, input_dim, units):
    d, h = input_dim, units
    if layer in ("simple_rnn", "lstm", "gru"):
        return h * (h + d) + h               # one gate set for every recurrent layer
    if layer == "dense":
        return d * h + h
    return d * h
''',
    "embedding_backward": '''\
def embedding_backward(ids, dout, V):
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] += dout                          # a repeated id keeps one gradient only
    return dE
''',
    "bce_with_logits": '''\
def bce_with_logits(z, y):
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))   # overflows for |z| = 50
    return loss, (p - y) / len(z)
''',
}
