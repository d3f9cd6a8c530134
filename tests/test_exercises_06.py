"""The exercises of lesson 06 (language models): right answers and typical mistakes for
every checker (run through the common tests in test_exercises_harness.py), and the
checkers' references against the package and a numerical gradient."""

import math

import numpy as np
from exercise_table import Exercise, Mistake

from rnnlesson import exercises as ex
from rnnlesson import lm
from rnnlesson.exercises import lesson06


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- perplexity
def perplexity_right(losses, counts):
    mean = np.sum(losses * counts) / np.sum(counts)
    return np.exp(mean), mean / np.log(2)


def perplexity_of_means(losses, counts):
    return np.mean(np.exp(losses)), perplexity_right(losses, counts)[1]


def perplexity_unweighted(losses, counts):
    return np.exp(np.mean(losses)), np.mean(losses) / np.log(2)


def perplexity_base2(losses, counts):
    mean = np.sum(losses * counts) / np.sum(counts)
    return 2.0 ** mean, mean / np.log(2)


def bits_times_ln2(losses, counts):
    mean = np.sum(losses * counts) / np.sum(counts)
    return np.exp(mean), mean * np.log(2)


def bits_in_nats(losses, counts):
    mean = np.sum(losses * counts) / np.sum(counts)
    return np.exp(mean), mean


# ---------------------------------------------------------------- masked loss
def masked(logits, y, mask, *, use_mask_in_grad=True, count="mask", onehot=True, sign=1.0,
           axis=-1):
    """The masked temporal softmax loss, right by default; each keyword puts in a mistake."""
    N, T, V = logits.shape
    p = softmax(logits, axis=axis)
    oh = np.eye(V)[y]
    logp = np.log(np.take_along_axis(softmax(logits), y[..., None], axis=-1)[..., 0])
    n = mask.sum() if count == "mask" else N * T
    loss = -(mask * logp).sum() / n
    g = (p - oh) if onehot else p
    if use_mask_in_grad:
        g = mask[..., None] * g
    return loss, sign * g / n


def masked_loss_unmasked_mean(logits, y, mask):
    loss, grad = masked(logits, y, mask)
    logp = np.log(np.take_along_axis(softmax(logits), y[..., None], axis=-1)[..., 0])
    return -logp.mean(), grad


# ---------------------------------------------------------------- sampling
def sample_right(logits, temperature, top_k, rng):
    if temperature == 0 or top_k == 1:
        return int(np.argmax(logits))
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None:
        cut = np.sort(z)[-top_k]
        z = np.where(z >= cut, z, -np.inf)
    p = softmax(z)
    return int(rng.choice(len(z), p=p))


def sample_multiplied(logits, temperature, top_k, rng):
    if temperature == 0 or top_k == 1:
        return int(np.argmax(logits))
    return sample_right(logits * temperature * temperature, temperature, top_k, rng)


def sample_no_temperature(logits, temperature, top_k, rng):
    if temperature == 0 or top_k == 1:
        return int(np.argmax(logits))
    return sample_right(logits, 1.0, top_k, rng)


def sample_no_top_k(logits, temperature, top_k, rng):
    return sample_right(logits, temperature, None if top_k != 1 else 1, rng)


def sample_least_k(logits, temperature, top_k, rng):
    if temperature == 0 or top_k == 1:
        return int(np.argmax(logits))
    z = logits / temperature
    if top_k is not None:
        keep = np.argsort(z)[:top_k]                 # ascending: the smallest
        z = np.where(np.isin(np.arange(len(z)), keep), z, -np.inf)
    return int(rng.choice(len(z), p=softmax(z)))


def sample_always_greedy(logits, temperature, top_k, rng):
    return int(np.argmax(logits))


def sample_zero_division(logits, temperature, top_k, rng):
    z = logits / temperature                           # temperature 0: inf and nan
    return int(rng.choice(len(z), p=softmax(z)))


# ---------------------------------------------------------------- positions
def positions_right(L, B, T):
    jump = (L - 1) // B
    W = jump // T
    return (np.arange(B)[None, :, None] * jump + np.arange(W)[:, None, None] * T
            + np.arange(T)[None, None, :])


def positions_reshape(L, B, T):
    W = ((L - 1) // B) // T
    return np.arange(W * B * T).reshape(W, B, T)


def positions_full_jump(L, B, T):
    jump = L // B
    W = ((L - 1) // B) // T
    return (np.arange(B)[None, :, None] * jump + np.arange(W)[:, None, None] * T
            + np.arange(T)[None, None, :])


def positions_partial(L, B, T):
    jump = (L - 1) // B
    W = -(-jump // T)
    return (np.arange(B)[None, :, None] * jump + np.arange(W)[:, None, None] * T
            + np.arange(T)[None, None, :])


EXERCISES = [
    Exercise(ex.check_perplexity_from_losses, "perplexity_from_losses", perplexity_right, [
        Mistake(perplexity_of_means, "mean of the windows' perplexities"),
        Mistake(perplexity_unweighted, "not weighted"),
        Mistake(perplexity_base2, "in nats"),
        Mistake(lambda losses, counts: (np.sum(losses * counts) / np.sum(counts),) * 2,
                "without the exp"),
        Mistake(bits_times_ln2, "times ln 2"),
        Mistake(bits_in_nats, "not bits"),
        Mistake(lambda losses, counts: 7.0, "should return a pair", numeric=False),
    ], float32=False),
    Exercise(ex.check_masked_softmax_loss, "masked_softmax_loss", masked, [
        Mistake(masked_loss_unmasked_mean, "padding included"),
        Mistake(lambda *a: masked(*a, count="all"), "still counted"),
        Mistake(lambda *a: masked(*a, use_mask_in_grad=False), "mask is missing"),
        Mistake(lambda *a: masked(*a, onehot=False), "one-hot of the target"),
        Mistake(lambda *a: masked(*a, sign=-1.0), "sign is flipped"),
        Mistake(lambda *a: masked(*a, axis=1), "over time"),
        Mistake(lambda *a: masked(*a)[1], "tuple of 2", numeric=False),
    ]),
    Exercise(ex.check_sample_next, "sample_next", sample_right, [
        Mistake(sample_multiplied, "multiplied by the temperature"),
        Mistake(sample_no_temperature, "temperature is ignored"),
        Mistake(sample_no_top_k, "top_k is ignored"),
        Mistake(sample_least_k, "LEAST likely"),
        Mistake(sample_always_greedy, "always the most likely"),
        Mistake(sample_zero_division, "Temperature 0 means greedy", numeric=False),
        Mistake(lambda logits, t, k, rng: len(logits), "not a token id", numeric=False),
    ], float32=False),
    Exercise(ex.check_lm_positions, "lm_positions", positions_right, [
        Mistake(positions_reshape, "one row after another"),
        Mistake(positions_full_jump, "one more token"),
        Mistake(lambda L, B, T: positions_right(L, B, T) + 1, "targets' positions"),
        Mistake(positions_partial, "drop the partial last one"),
        Mistake(lambda L, B, T: positions_right(L, B, T)[0], "shape", numeric=False),
    ], float32=False),
]


# ---------------------------------------------------------------- references against the package
def test_the_positions_reference_is_lm_batches():
    for L, B, T in [(61, 3, 4), (60, 4, 5), (47, 3, 4), (1000, 7, 13)]:
        ids = np.arange(L)
        xs = np.stack([x for x, _ in lm.lm_batches(ids, B, T)])
        ys = np.stack([y for _, y in lm.lm_batches(ids, B, T)])
        np.testing.assert_array_equal(lesson06._ref_positions(L, B, T), xs)
        np.testing.assert_array_equal(lesson06._ref_positions(L, B, T) + 1, ys)


def test_the_masked_loss_reference_is_the_package_loss_with_a_full_mask():
    from rnnlesson.losses import SparseCategoricalCrossentropy

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(3, 5, 7))
    y = rng.integers(0, 7, size=(3, 5))
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    want = loss_fn.forward(logits, y)
    grad = loss_fn.backward()
    got_loss, got_grad = lesson06._ref_masked(logits, y, np.ones((3, 5)))
    assert abs(got_loss - want) <= 1e-12 * abs(want)
    np.testing.assert_allclose(got_grad, grad, rtol=1e-9, atol=1e-15)


def test_the_masked_loss_reference_is_the_numerical_gradient():
    logits, y, mask = lesson06._masked_cases()[0]
    _, grad = lesson06._ref_masked(logits, y, mask)
    num = np.zeros_like(logits)
    h = 1e-6
    for idx in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[idx] += h
        minus[idx] -= h
        num[idx] = (lesson06._ref_masked(plus, y, mask)[0]
                    - lesson06._ref_masked(minus, y, mask)[0]) / (2 * h)
    rel = np.abs(num - grad).max() / np.abs(grad).max()
    assert rel < 1e-7, rel
    assert np.all(grad[mask == 0] == 0) and np.any(mask == 0)


def test_the_sampling_checker_tells_every_mistake_from_the_right_distribution():
    """Each typical mistake is farther than the bound from the right distribution on at
    least one case, by a margin well above the frequencies' spread."""
    logits = np.array([1.6, 1.2, 1.0, 0.7, -0.2, -1.5])
    cases = [(1.0, None), (0.5, None), (2.0, None), (1.0, 3), (0.5, 2)]
    mistakes = [
        lambda t, k: lesson06._sample_distribution(logits, 1 / t, k),
        lambda t, k: lesson06._sample_distribution(logits, 1.0, k),
        lambda t, k: lesson06._sample_distribution(logits, t, None),
        lambda t, k: lesson06._sample_distribution(logits, t, k, least=True),
    ]
    for mistake in mistakes:
        worst = max(lesson06._tv(mistake(t, k), lesson06._sample_distribution(logits, t, k))
                    for t, k in cases)
        assert worst > 2 * lesson06.TV_BOUND, worst
    # the spread of the frequencies of a right answer stays well inside the bound
    spread = math.sqrt(len(logits) / lesson06.DRAWS) / 2
    assert 2 * spread < lesson06.TV_BOUND


def test_the_right_sampler_agrees_with_lm_generate_sampling():
    """The checker's distribution is the one lm.generate samples from (its _sample)."""
    logits = np.array([1.6, 1.2, 1.0, 0.7, -0.2, -1.5])
    for t, k in [(0.5, None), (1.0, 3)]:
        rng = np.random.default_rng(0)
        draws = [lm._sample(logits, False, t, k, rng) for _ in range(20000)]
        freq = np.bincount(draws, minlength=6) / 20000
        assert lesson06._tv(freq, lesson06._sample_distribution(logits, t, k)) < 0.02
