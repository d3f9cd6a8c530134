"""Wrong answers to every exercise of lesson 05, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "make_windows_by_hand": '''\
def make_windows_by_hand(series, tau):
    series = np.asarray(series)
    idx = np.arange(len(series) - tau)[:, None] + np.arange(tau)
    return series[idx], series[tau - 1:-1]     # the target repeats the window's last value
''',
    "mean_predictor_mse": '''\
def mean_predictor_mse(tau, sigma, slope):
    return sigma**2 * (1 + 1 / tau)            # the lag behind the slope is missing
''',
    "rollout_fixed_point": '''\
def rollout_fixed_point(a, b):
    return float(b / (1.0 - np.mean(a)))       # a mean where the sum belongs
''',
}
