"""rnnlesson.text: tokenize, Vocabulary, pad_sequences (against Keras), one_hot, bag_of_words."""

import itertools

import numpy as np
import pytest
from optional import keras_module

from rnnlesson.text import Vocabulary, bag_of_words, one_hot, pad_sequences, tokenize

# ------------------------------------------------------------------------------- tokenize


def test_tokenize_rule():
    assert tokenize("Not bad -- I DON'T hate it!") == ["not", "bad", "i", "don't", "hate", "it"]
    # typographic apostrophe, leading/trailing quotes, underscores, digits, other scripts
    assert tokenize("It’s 'quoted' snake_case 42x Größe") == [
        "it's", "quoted", "snake", "case", "42x", "größe"]
    assert tokenize("rock'n'roll,no'") == ["rock'n'roll", "no"]
    assert tokenize("  ...  ") == []


def test_tokenize_rejects_non_str():
    with pytest.raises(TypeError, match="expects a str"):
        tokenize(["a list"])


# ----------------------------------------------------------------------------- Vocabulary


def test_vocabulary_ids_most_frequent_first_ties_alphabetical():
    texts = ["b a c", "c b", "c. d!", "a"]
    voc = Vocabulary().fit(texts)
    # counts: c=3, a=2, b=2, d=1 -> c, then a before b (tie, alphabetical), then d
    assert voc.id_to_token == ["<pad>", "<unk>", "c", "a", "b", "d"]
    assert voc.token_to_id == {t: i for i, t in enumerate(voc.id_to_token)}
    assert len(voc) == 6
    # the order of the texts does not change the ids
    assert Vocabulary().fit(texts[::-1]).id_to_token == voc.id_to_token


def test_vocabulary_fit_returns_self_and_refits_afresh():
    voc = Vocabulary()
    assert voc.fit(["x y"]) is voc
    voc.fit(["z"])
    assert voc.id_to_token == ["<pad>", "<unk>", "z"]
    assert "x" not in voc and "z" in voc


def test_vocabulary_encode_decode():
    voc = Vocabulary().fit(["not bad", "bad, not good", "good"])
    assert voc.encode("Not GOOD at all") == [4, 3, 1, 1]
    assert voc.decode([0, 0, 4, 3]) == "not good"
    assert voc.decode(np.array([4, 1, 0])) == "not <unk>"
    assert voc.decode([0, 4], skip_padding=False) == "<pad> not"
    assert voc.encode("") == []
    assert voc.encode_batch(["good", "bad good"]) == [[3], [2, 3]]
    assert voc(["good"]) == [[3]]
    texts = ["I don't like it", "it's fine, I like it"]
    voc = Vocabulary().fit(texts)
    assert voc.decode(voc.encode(texts[1])) == "it's fine i like it"


def test_vocabulary_max_size_and_min_freq():
    texts = ["a a a b b c", "d"]
    voc = Vocabulary(max_size=4).fit(texts)
    assert len(voc) == 4 and voc.id_to_token[2:] == ["a", "b"]
    assert voc.encode("c d a") == [1, 1, 2]
    voc = Vocabulary(min_freq=2).fit(texts)
    assert voc.id_to_token[2:] == ["a", "b"]
    assert max(max(s) for s in voc(texts)) < len(voc)


def test_vocabulary_errors():
    with pytest.raises(ValueError, match="call .fit"):
        Vocabulary().encode("a")
    with pytest.raises(TypeError, match="single str"):
        Vocabulary().fit("a text, not a list")
    with pytest.raises(TypeError, match="item 1 is int"):
        Vocabulary().fit(["ok", 3])
    with pytest.raises(ValueError, match="max_size >= 2"):
        Vocabulary(max_size=1)
    with pytest.raises(TypeError, match="min_freq"):
        Vocabulary(min_freq=0.5)
    voc = Vocabulary().fit(["a b"])
    with pytest.raises(TypeError, match="encode_batch"):
        voc.encode(["a"])
    with pytest.raises(ValueError, match=r"ids in \[0, 3\]; got 7"):
        voc.decode([2, 7])
    with pytest.raises(ValueError, match=r"shape \(T,\)"):
        voc.decode([[2, 3]])


def test_vocabulary_word_level_is_the_default_and_unchanged():
    texts = ["Not bad -- I DON'T hate it!", "bad, not good"]
    default, explicit = Vocabulary().fit(texts), Vocabulary(level="word").fit(texts)
    assert default.id_to_token == explicit.id_to_token == [
        "<pad>", "<unk>", "bad", "not", "don't", "good", "hate", "i", "it"]
    assert default.level == "word" and "level" not in repr(default)


# ------------------------------------------------------------------ Vocabulary, characters


def test_char_vocabulary_ids_sorted_by_code_point_and_round_trip():
    text = "First Citizen:\nBefore we proceed, hear me.\n"
    voc = Vocabulary(level="char").fit([text])
    assert voc.id_to_token == sorted(set(text))  # no reserved ids
    assert voc.id_to_token[:3] == ["\n", " ", ","]
    assert len(voc) == len(set(text))
    ids = voc.encode(text)
    assert len(ids) == len(text) and voc.decode(ids) == text
    assert voc.decode(np.array(ids)) == text
    assert voc.encode_batch(["Fir", ""]) == [voc.encode("Fir"), []]
    assert "F" in voc and "Z" not in voc
    # the ids depend on the set of characters, not on their order or counts
    assert Vocabulary(level="char").fit(["".join(reversed(text)) * 3]).id_to_token == \
        voc.id_to_token
    assert "level='char'" in repr(voc) and f"{len(voc)} ids" in repr(voc)


def test_char_vocabulary_unknown_character_is_a_clear_error():
    voc = Vocabulary(level="char").fit(["abc"])
    with pytest.raises(ValueError, match=r"'z' \(U\+007A\) at position 2 .* oov_token"):
        voc.encode("abz")
    with pytest.raises(ValueError, match=r"ids in \[0, 2\]; got 3"):
        voc.decode([0, 3])


def test_char_vocabulary_with_oov_token():
    voc = Vocabulary(level="char", oov_token="?").fit(["hello", "?!"])
    assert voc.id_to_token == ["?", "!", "e", "h", "l", "o"]  # '?' is the oov id, 0
    assert voc.encode("hex!") == [3, 2, 0, 1]
    assert voc.decode(voc.encode("hex!")) == "he?!"
    assert "?" not in voc
    wide = Vocabulary(level="char", oov_token="<unk>").fit(["ab"])
    assert wide.decode(wide.encode("abc")) == "ab<unk>"


def test_char_vocabulary_max_size_and_min_freq():
    text = ["aaaabbbcc d"]
    assert Vocabulary(level="char", max_size=3).fit(text).id_to_token == ["a", "b", "c"]
    assert Vocabulary(level="char", max_size=3, oov_token="~").fit(text).id_to_token == [
        "~", "a", "b"]
    assert Vocabulary(level="char", min_freq=3).fit(text).id_to_token == ["a", "b"]


def test_vocabulary_from_tokens():
    voc = Vocabulary.from_tokens(" +0123456789_")
    assert voc.id_to_token == list(" +0123456789_") and voc.level == "char"
    assert voc.encode("16+75  ") == [3, 8, 1, 9, 7, 0, 0]
    assert voc.fitted
    words = Vocabulary.from_tokens(["good", "bad"], level="word")
    assert words.id_to_token == ["<pad>", "<unk>", "good", "bad"]
    assert words.encode("Good, not bad") == [2, 1, 3]
    with pytest.raises(ValueError, match="'a' is repeated"):
        Vocabulary.from_tokens("aba")
    with pytest.raises(ValueError, match="single characters; token 1 is 'bc'"):
        Vocabulary.from_tokens(["a", "bc"])
    with pytest.raises(ValueError, match="'<unk>' is reserved"):
        Vocabulary.from_tokens(["<unk>"], level="word")
    with pytest.raises(TypeError, match="token 0 is 3"):
        Vocabulary.from_tokens([3])


def test_char_vocabulary_errors():
    with pytest.raises(ValueError, match="level to be one of 'word', 'char'"):
        Vocabulary(level="byte")
    with pytest.raises(ValueError, match="oov_token is for level='char'"):
        Vocabulary(oov_token="?")
    with pytest.raises(TypeError, match="oov_token to be a non-empty str"):
        Vocabulary(level="char", oov_token="")
    with pytest.raises(ValueError, match="max_size >= 2"):
        Vocabulary(level="char", max_size=1, oov_token="?")
    with pytest.raises(TypeError, match="single str"):
        Vocabulary(level="char").fit("a whole text, not in a list")
    with pytest.raises(ValueError, match="call .fit"):
        Vocabulary(level="char").decode([0])


# -------------------------------------------------------------------------- pad_sequences


def test_pad_sequences_keras_documented_examples():
    seqs = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(seqs), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, value=-1),
                                  [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, padding="post"),
                                  [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    assert pad_sequences(seqs).dtype == np.int32


def test_pad_sequences_empty_sequences_and_vectors():
    out = pad_sequences([[], [7], []], maxlen=3, value=9)
    np.testing.assert_array_equal(out, [[9, 9, 9], [9, 9, 7], [9, 9, 9]])
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    vecs = [np.ones((2, 3)), np.zeros((0, 3)), np.full((4, 3), 2.0)]
    out = pad_sequences(vecs, maxlen=3, dtype="float32", padding="post")
    assert out.shape == (3, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, :2], 1.0)
    np.testing.assert_array_equal(out[0, 2], 0.0)
    np.testing.assert_array_equal(out[1], 0.0)
    np.testing.assert_array_equal(out[2], 2.0)
    out = pad_sequences([np.array([1.5, 2.5])], dtype="float32", maxlen=3)
    np.testing.assert_array_equal(out, [[0.0, 1.5, 2.5]])


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="padding to be one of 'pre', 'post'"):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="middle")
    with pytest.raises(ValueError, match="maxlen to be a positive integer"):
        pad_sequences([[1]], maxlen=0)
    with pytest.raises(TypeError, match="sequence 1 is int"):
        pad_sequences([[1], 5])
    with pytest.raises(TypeError, match="list of sequences"):
        pad_sequences("abc")
    with pytest.raises(ValueError, match="sequence 1 has items of shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))], dtype="float32")
    with pytest.raises(TypeError, match="fractions"):
        pad_sequences([[1.5, 2.0]])
    with pytest.raises(TypeError, match="Encode texts first"):
        pad_sequences([["a", "b"]])


def test_pad_sequences_equals_keras_on_a_grid():
    keras = keras_module()
    if keras is None:
        pytest.skip("keras is not installed")
    rng = np.random.default_rng(0)
    batches = [
        [[1], [2, 3], [4, 5, 6]],
        [[], [5, 6, 7, 8, 9], [1]],
        [list(rng.integers(1, 50, size=int(n))) for n in rng.integers(0, 12, size=8)],
    ]
    grid = itertools.product(batches, [None, 1, 3, 7], ["pre", "post"], ["pre", "post"],
                             [0, -1, 5], ["int32", "int64", "float32"])
    n = 0
    for seqs, maxlen, padding, truncating, value, dtype in grid:
        ours = pad_sequences(seqs, maxlen=maxlen, dtype=dtype, padding=padding,
                             truncating=truncating, value=value)
        theirs = keras.utils.pad_sequences(seqs, maxlen=maxlen, dtype=dtype, padding=padding,
                                           truncating=truncating, value=value)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
        n += 1
    assert n == 3 * 4 * 2 * 2 * 3 * 3


# -------------------------------------------------------------------- one_hot, bag_of_words


def test_one_hot():
    out = one_hot([[1, 2], [0, 3]], 4)
    assert out.shape == (2, 2, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(-1), [[1, 2], [0, 3]])
    np.testing.assert_array_equal(out.sum(-1), 1.0)
    assert one_hot(np.array([2]), 3, dtype="float64").dtype == np.float64
    assert one_hot(np.zeros((0, 5), dtype=int), 3).shape == (0, 5, 3)


def test_one_hot_errors_name_the_range():
    with pytest.raises(ValueError, match=r"ids in \[0, 3\] \(num_classes=4\); got 5"):
        one_hot([1, 5], 4)
    with pytest.raises(ValueError, match="got -1"):
        one_hot([-1], 4)
    with pytest.raises(TypeError, match="integer ids"):
        one_hot([0.5], 4)
    with pytest.raises(TypeError, match="num_classes"):
        one_hot([0], 4.0)


def test_bag_of_words_counts_and_ignores_padding():
    out = bag_of_words([[2, 2, 3], [0, 0, 4], []], 5)
    np.testing.assert_array_equal(out, [[0, 0, 2, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]])
    padded = pad_sequences([[2, 2, 3], [4]])
    np.testing.assert_array_equal(bag_of_words(padded, 5), out[:2])
    assert bag_of_words([[0, 1]], 2, ignore_padding=False).tolist() == [[1.0, 1.0]]
    with pytest.raises(ValueError, match=r"ids in \[0, 4\]"):
        bag_of_words([[5]], 5)
