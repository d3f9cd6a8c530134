"""Wrong answers to every exercise of lesson 04, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "lstm_step_forward": '''\
def lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    H = h_prev.shape[1]
    a = x @ kernel + h_prev @ recurrent_kernel + bias
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    o, g = sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])    # CS231n's order i, f, o, g
    c = f * c_prev + i * g
    return o * np.tanh(c), c
''',
    "forget_bias_for": '''\
def forget_bias_for(keep, steps):
    return keep ** (1.0 / steps)             # the gate's value, not its bias
''',
    "gru_gates_backward": '''\
def gru_gates_backward(dh, h_prev, z, r, hh, u_h):
    d_pre_z = dh * (hh - h_prev) * z * (1 - z)      # the sign of dh/dz flipped
    d_pre_h = dh * (1 - z) * (1 - hh ** 2)
    d_pre_r = d_pre_h * u_h * r * (1 - r)
    return (np.concatenate([d_pre_z, d_pre_r, d_pre_h], axis=1),
            np.concatenate([d_pre_z, d_pre_r, d_pre_h * r], axis=1))
''',
}
