"""Wrong answers to every exercise of lesson 08, for the autograding test
(tests/test_course_nbgrader.py): each replaces a solution cell, keyed by its grade_id."""

MUTANTS = {
    "teacher_forcing_pair": '''\
def teacher_forcing_pair(y_tgt):
    return y_tgt[:, :-1], y_tgt[:, :-1]      # the target is not shifted
''',
    "attention_forward": '''\
def attention_forward(query, hs):
    scores = np.einsum("nth,nh->nt", hs, query)
    e = np.exp(scores - scores.max(axis=0, keepdims=True))
    weights = e / e.sum(axis=0, keepdims=True)       # the softmax over the batch axis
    return weights, np.einsum("nt,nth->nh", weights, hs)
''',
    "attention_backward": '''\
def attention_backward(dcontext, query, hs):
    scores = np.einsum("nth,nh->nt", hs, query)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    w = e / e.sum(axis=1, keepdims=True)
    dw = np.einsum("nh,nth->nt", dcontext, hs)
    ds = w * (dw - (w * dw).sum(axis=1, keepdims=True))
    dquery = np.einsum("nt,nth->nh", ds, hs)
    dhs = ds[:, :, None] * query[:, None, :]         # the direct path into hs is missing
    return dquery, dhs
''',
    "greedy_decode": '''\
def greedy_decode(step, state, start_id, length):
    tokens = np.full(len(state), start_id)
    out = np.empty((len(state), length), dtype=np.int64)
    for t in range(length):
        logits, _ = step(tokens, state)              # the new state is dropped
        tokens = logits.argmax(axis=1)
        out[:, t] = tokens
    return out
''',
}
