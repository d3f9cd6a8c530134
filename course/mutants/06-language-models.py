"""Wrong answers to every exercise of lesson 06, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "perplexity_from_losses": '''\
def perplexity_from_losses(losses, counts):
    losses = np.asarray(losses, dtype=np.float64)
    return float(np.mean(np.exp(losses))), float(np.mean(losses)) / math.log(2)  # unweighted
''',
    "masked_softmax_loss": '''\
def masked_softmax_loss(logits, y, mask):
    N, T, V = logits.shape
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    loss = -(mask * np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]).sum() / (N * T)
    grad = np.exp(logp)
    grad[np.arange(N)[:, None], np.arange(T)[None, :], y] -= 1.0
    return float(loss), grad * mask[..., None] / (N * T)      # divided by N*T, not mask.sum()
''',
    "sample_next": '''\
def sample_next(logits, temperature, top_k, rng):
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0 or top_k == 1:
        return int(np.argmax(z))
    z = z * temperature                                # multiplied, not divided
    if top_k is not None:
        z = np.where(z >= np.sort(z)[-top_k], z, -np.inf)
    p = np.exp(z - z.max())
    return int(rng.choice(len(z), p=p / p.sum()))
''',
    "lm_positions": '''\
def lm_positions(L, batch_size, seq_len):
    W = ((L - 1) // batch_size) // seq_len
    return np.arange(W * batch_size * seq_len).reshape(W, batch_size, seq_len)  # consecutive
''',
}
