"""Wrong answers to every exercise of lesson 07, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "rows_as_sequence": '''\
def rows_as_sequence(flat, height, width):
    flat = np.asarray(flat)
    return flat.reshape(len(flat), height, width).transpose(0, 2, 1)   # columns as steps
''',
    "bidirectional_outputs": '''\
def bidirectional_outputs(x, run_forward, run_backward):
    forward = run_forward(x)
    backward = run_backward(x[:, ::-1])              # never put back in time order
    return np.concatenate([forward, backward], axis=-1)
''',
    "masked_rnn_step": '''\
def masked_rnn_step(x_t, h_prev, keep, kernel, recurrent_kernel, bias):
    h_new = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return h_new * np.asarray(keep)[:, None]         # padding resets the state to zero
''',
    "masked_mean_crossentropy": '''\
def masked_mean_crossentropy(probs, targets, mask):
    p_target = np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0]
    return float((-np.log(p_target) * mask).mean())  # divides by N * T, padding included
''',
}
