"""Wrong answers to every exercise of lesson 02, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "initial_state_grad": '''\
def initial_state_grad(dlogits, x, hs, params):
    W_xh, W_hh, b_h, W_hy, b_y = params
    dh = dlogits @ W_hy.T
    for t in range(x.shape[1], 0, -1):
        dh = dh @ W_hh.T                      # the tanh derivative is missing
    return dh.sum(axis=0)
''',
    "masked_cross_entropy": '''\
def masked_cross_entropy(logits, labels, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    losses = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    n = labels.size                          # counts the padded steps too
    dlogits = np.exp(log_p) - np.eye(logits.shape[-1])[labels]
    return (mask * losses).sum() / n, dlogits * mask[..., None] / n
''',
    "rms_growth": '''\
def rms_growth(s, H):
    return s * H                             # standard deviations added
''',
}
