"""Wrong answers to every exercise of lesson 01, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "rnn_step": '''\
def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh + h_prev @ W_hh + b_h     # no tanh
''',
    "latch_weights": '''\
def latch_weights(V, not_id):
    W_xh = np.zeros((V, 1))
    W_xh[not_id] = 10.0
    return W_xh, np.array([[1.0]]), np.array([-2.5])   # W_hh too small: the memory fades
''',
    "linear_rnn_filter": '''\
def linear_rnn_filter(W_xh, W_hh, b_h, T):
    powers = [np.linalg.matrix_power(W_hh, k) for k in range(T)]
    return np.stack([W_xh @ powers[t] for t in range(T)]), b_h @ sum(powers)   # reversed
''',
}
