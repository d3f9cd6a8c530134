"""Wrong answers to every exercise of lesson 01, for the autograding test."""

MUTANTS = {
    'rnn_step': '''\
def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh + h_prev @ W_hh + b_h   # no tanh
''',

    'rnn_forward': '''\
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    return np.stack([rnn_step(x[:, t], h0, W_xh, W_hh, b_h) for t in range(x.shape[1])], axis=1)
''',

    'param_count': '''\
def param_count(D, H, C, T):
    return T * (D * H + H * H + H) + H * C + C
''',
}
