"""Turning text into numbers: ``Vocabulary``, ``pad_sequences``, ``one_hot``, ``bag_of_words``.

The pipeline of every text lesson::

    voc = Vocabulary(max_size=5000).fit(train_texts)   # words -> ids, most frequent first
    ids = voc.encode_batch(train_texts)                 # list of N lists of ints
    x = pad_sequences(ids, maxlen=100)                  # (N, T) int32, zeros in front
    # x feeds Embedding(len(voc), E); or one_hot(x, len(voc)) gives (N, T, V) floats

For characters (a character-level language model, a seq2seq task written in
characters), ``Vocabulary(level='char')`` keeps every character as a token and
reserves no id; see its docstring.

Word tokenisation rule (``tokenize``), the same in ``fit``, ``encode`` and ``decode``:

1. the text is lower-cased (``str.lower``) and the typographic apostrophe ``’`` becomes ``'``;
2. a token is a run of letters and digits (any script, Unicode ``\\w`` without ``_``),
   possibly joined by single apostrophes *inside* it: ``don't``, ``it's``, ``rock'n'roll``
   are one token each;
3. everything else (whitespace, punctuation, ``_``, a leading or trailing apostrophe)
   separates tokens and is dropped, as Keras's ``Tokenizer`` drops its filters.

So ``"Not bad -- I DON'T hate it!"`` gives ``['not', 'bad', 'i', "don't", 'hate', 'it']``.
Keeping ``don't`` whole matters for sentiment: it is a negation, and splitting it
into ``don`` and ``t`` would hide that from a model.
"""

from __future__ import annotations

import numbers
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from . import _checks

__all__ = ["tokenize", "Vocabulary", "pad_sequences", "one_hot", "bag_of_words",
           "PAD", "UNK", "PAD_TOKEN", "UNK_TOKEN"]

#: Id of the padding token (``pad_sequences`` fills with it; ``decode`` skips it).
PAD = 0
#: Id given to every word the vocabulary does not hold.
UNK = 1
PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Split one text into lower-case word tokens (rule in the module docstring).

    >>> tokenize("Not bad -- I DON'T hate it!")
    ['not', 'bad', 'i', "don't", 'hate', 'it']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str; got {type(text).__name__}.")
    return _TOKEN_RE.findall(text.lower().replace("\u2019", "'"))


def _check_texts(texts, owner: str) -> list[str]:
    """Return ``texts`` as a list of str, or raise a clear TypeError."""
    if isinstance(texts, str):
        raise TypeError(
            f"{owner} expects a list of texts; got a single str. Wrap it in a list: [text]."
        )
    if isinstance(texts, np.ndarray) and texts.dtype.kind in "US":
        texts = texts.tolist()
    if not isinstance(texts, Iterable):
        raise TypeError(f"{owner} expects a list of texts (str); got {type(texts).__name__}.")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(
                f"{owner} expects every text to be a str; item {i} is {type(t).__name__}."
            )
    return out


class Vocabulary:
    """A token <-> id mapping fitted on a list of texts: words (default) or characters.

    **Words** (``level='word'``): ids ``0`` is padding (``<pad>``), ``1`` is unknown
    (``<unk>``), then the words from the most frequent down; words with the same count
    are in alphabetical order, so the ids do not depend on the order of the texts.
    Texts are split by ``tokenize`` (lower case, punctuation dropped). The size
    ``len(voc)`` counts the two reserved ids, so ``Embedding(len(voc), E)`` and
    ``one_hot(ids, len(voc))`` fit every id ``encode`` can return.

    **Characters** (``level='char'``): every character is a token, as it is: case,
    spaces, newlines and punctuation are all kept, and ``decode(encode(t)) == t``.
    Ids are the characters sorted by code point (``'\\n'`` before ``' '`` before
    ``'A'`` before ``'a'``), the order of char-rnn, so the same set of characters
    always gets the same ids. No id is reserved: a language model over V characters
    has ``len(voc) == V``, and its uniform baseline has perplexity V. A character
    that the vocabulary does not hold is a ValueError in ``encode``, unless
    ``oov_token`` is given: it then takes id 0 (the characters follow from id 1) and
    every unknown character encodes to it.

    Args:
        max_size: largest ``len(voc)``, reserved ids included (Keras's ``num_words``
            convention): keeps the most frequent tokens (``max_size - 2`` words; at
            character level ``max_size``, or ``max_size - 1`` with ``oov_token``).
            None keeps all.
        min_freq: keep only tokens seen at least this many times in ``fit``.
        level: ``'word'`` or ``'char'``.
        oov_token: character level only: a str that stands for every unknown
            character (for example ``'?'`` or ``'<unk>'``); None (default) makes an
            unknown character an error.

    Example::

        >>> voc = Vocabulary().fit(["not bad", "bad, not good", "good"])
        >>> voc.id_to_token
        ['<pad>', '<unk>', 'bad', 'good', 'not']
        >>> voc.encode("Not GOOD at all")
        [4, 3, 1, 1]
        >>> voc.decode([0, 0, 4, 3])
        'not good'
        >>> chars = Vocabulary(level='char').fit(["To be, or not to be"])
        >>> chars.id_to_token
        [' ', ',', 'T', 'b', 'e', 'n', 'o', 'r', 't']
        >>> chars.encode("not to")
        [5, 6, 8, 0, 8, 6]
        >>> chars.decode([2, 6])
        'To'
    """

    def __init__(self, max_size=None, min_freq=1, *, level="word", oov_token=None):
        owner = "Vocabulary"
        self.level = _checks.one_of(level, "level", owner, ("word", "char"))
        if oov_token is not None:
            if self.level == "word":
                raise ValueError(
                    f"{owner}(level='word') always has '{UNK_TOKEN}' (id {UNK}) for unknown "
                    f"words; oov_token is for level='char'. Got oov_token={oov_token!r}."
                )
            if not isinstance(oov_token, str) or not oov_token:
                raise TypeError(f"{owner} expects oov_token to be a non-empty str or None; "
                                f"got {oov_token!r}.")
        self.oov_token = oov_token
        if max_size is not None:
            max_size = _checks.positive_int(max_size, "max_size", owner)
            reserved = len(self._reserved())
            if max_size < reserved + (self.level == "char"):
                need = reserved + (self.level == "char")
                why = ("ids 0 and 1 are reserved for padding and unknown words"
                       if self.level == "word" else
                       "one id for oov_token and at least one character")
                raise ValueError(f"{owner} expects max_size >= {need} ({why}) or None; "
                                 f"got {max_size}.")
        self.max_size = max_size
        self.min_freq = _checks.positive_int(min_freq, "min_freq", owner)
        self.counts: Counter = Counter()
        self.fitted = False
        self._set_tokens([])

    # -- building -------------------------------------------------------------------------
    def _reserved(self) -> list[str]:
        if self.level == "word":
            return [PAD_TOKEN, UNK_TOKEN]
        return [] if self.oov_token is None else [self.oov_token]

    def _set_tokens(self, tokens: list[str]) -> None:
        self.id_to_token: list[str] = self._reserved() + tokens
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(self.id_to_token)}
        # encode maps unknown tokens here; None means "raise" (character level, no oov_token)
        self._unknown_id = UNK if self.level == "word" else (
            None if self.oov_token is None else 0)

    def _split(self, text: str):
        return tokenize(text) if self.level == "word" else text

    def fit(self, texts) -> Vocabulary:
        """Count the tokens of ``texts`` (a list of N str) and assign ids; returns ``self``.

        Fitting again starts afresh (it does not add to an earlier fit).
        """
        texts = _check_texts(texts, "Vocabulary.fit")
        counts: Counter = Counter()
        for t in texts:
            counts.update(self._split(t))
        if self.oov_token is not None:
            counts.pop(self.oov_token, None)  # the oov token is reserved, never a character
        kept = sorted((w for w, c in counts.items() if c >= self.min_freq),
                      key=lambda w: (-counts[w], w))
        if self.max_size is not None:
            # A text may contain the reserved names literally ("<pad>" tokenises to "pad").
            kept = kept[: self.max_size - len(self._reserved())]
        if self.level == "char":
            kept.sort()  # characters by code point, whatever their counts
        self.counts = counts
        self._set_tokens(kept)
        self.fitted = True
        return self

    @classmethod
    def from_tokens(cls, tokens, *, level="char", oov_token=None) -> Vocabulary:
        """A fitted vocabulary that holds exactly ``tokens``, with ids in the order given.

        The ids of ``tokens`` follow the reserved ones (``<pad>``, ``<unk>`` at word
        level; ``oov_token`` if given at character level). For a fixed alphabet, such
        as the characters of a generated task::

            >>> Vocabulary.from_tokens(" +0123456789_").encode("16+75")
            [3, 8, 1, 9, 7]

        Args:
            tokens: distinct tokens: a str (one character each) or a list of str (at
                character level each of length 1).
            level, oov_token: as in ``Vocabulary``.
        """
        owner = "Vocabulary.from_tokens"
        voc = cls(level=level, oov_token=oov_token)
        if isinstance(tokens, str):
            tokens = list(tokens)
        if not isinstance(tokens, Iterable):
            raise TypeError(f"{owner} expects a list of tokens (str); got "
                            f"{type(tokens).__name__}.")
        tokens = list(tokens)
        for i, t in enumerate(tokens):
            if not isinstance(t, str) or not t:
                raise TypeError(f"{owner} expects every token to be a non-empty str; token "
                                f"{i} is {t!r}.")
            if voc.level == "char" and len(t) != 1:
                raise ValueError(f"{owner}(level='char') expects single characters; token "
                                 f"{i} is {t!r}.")
        reserved = voc._reserved()
        seen = set(reserved)
        for t in tokens:
            if t in seen:
                what = "reserved" if t in reserved else "repeated"
                raise ValueError(f"{owner} expects distinct tokens; {t!r} is {what}.")
            seen.add(t)
        voc._set_tokens(tokens)
        voc.fitted = True
        return voc

    def __len__(self) -> int:
        return len(self.id_to_token)

    def __contains__(self, token) -> bool:
        return isinstance(token, str) and token in self.token_to_id and \
            self.token_to_id[token] >= len(self._reserved())

    def __repr__(self) -> str:
        state = f"{len(self)} ids" if self.fitted else "not fitted"
        level = "" if self.level == "word" else "level='char', "
        oov = "" if self.oov_token is None else f"oov_token={self.oov_token!r}, "
        return (f"Vocabulary({level}{oov}max_size={self.max_size}, min_freq={self.min_freq}; "
                f"{state})")

    def _require_fitted(self, what: str) -> None:
        if not self.fitted:
            raise ValueError(f"Vocabulary.{what} needs a fitted vocabulary; call .fit(texts) "
                             "first.")

    # -- using ----------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Ids of the tokens of one text (a list of T ints).

        Unknown words give ``1``; an unknown character gives the ``oov_token``'s id 0,
        or, without ``oov_token``, a ValueError that names it and its position.
        """
        self._require_fitted("encode")
        if not isinstance(text, str):
            raise TypeError(
                f"Vocabulary.encode expects one text (str); got {type(text).__name__}. "
                "For a list of texts use encode_batch."
            )
        table = self.token_to_id
        if self._unknown_id is not None:
            get, unknown = table.get, self._unknown_id
            return [get(w, unknown) for w in self._split(text)]
        try:
            return [table[c] for c in text]
        except KeyError as exc:
            c = exc.args[0]
            pos = text.index(c)
            raise ValueError(
                f"Vocabulary.encode: the character {c!r} (U+{ord(c):04X}) at position {pos} "
                f"is not among the vocabulary's {len(self)} characters. Fit the vocabulary "
                "on text that contains it, or build it with oov_token='?' (any str) to "
                "encode every unknown character as one id."
            ) from None

    def encode_batch(self, texts) -> list[list[int]]:
        """``encode`` each of N texts: a list of N lists (of varying length T_i)."""
        self._require_fitted("encode_batch")
        return [self.encode(t) for t in _check_texts(texts, "Vocabulary.encode_batch")]

    __call__ = encode_batch

    def decode(self, ids, skip_padding: bool = True) -> str:
        """The text of a sequence of ids (shape (T,)).

        Words are joined by spaces; padding (id 0) is left out unless
        ``skip_padding=False``; unknown words show as ``<unk>``. Punctuation and case
        were dropped by ``encode``, so ``decode(encode(t))`` is the tokenised text, not
        ``t`` itself. Characters are joined as they are (no padding id exists, so
        ``skip_padding`` changes nothing), and ``decode(encode(t)) == t`` whenever
        every character of ``t`` is in the vocabulary.
        """
        self._require_fitted("decode")
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ValueError(
                f"Vocabulary.decode expects one sequence of ids of shape (T,); got shape "
                f"{_checks.shape_str(arr.shape)}. Decode a batch row by row."
            )
        if arr.size and arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"Vocabulary.decode expects integer ids; got dtype {arr.dtype}.")
        V = len(self)
        if arr.size and (arr.min() < 0 or arr.max() >= V):
            bad = int(arr[(arr < 0) | (arr >= V)][0])
            raise ValueError(f"Vocabulary.decode expects ids in [0, {V - 1}]; got {bad}.")
        if self.level == "char":
            return "".join([self.id_to_token[i] for i in arr.tolist()])
        words = [self.id_to_token[i] for i in arr.tolist() if not (skip_padding and i == PAD)]
        return " ".join(words)


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0):
    """Pad (or cut) N sequences to one length T: an array of shape (N, T) (or (N, T, D)).

    Arguments, defaults and results are Keras's ``keras.utils.pad_sequences``:

    - ``maxlen``: the length T; None takes the longest sequence.
    - ``padding='pre'`` puts ``value`` before a short sequence, ``'post'`` after it.
    - ``truncating='pre'`` drops the *beginning* of a long sequence (keeps its last T
      items), ``'post'`` drops its end.
    - an empty sequence gives a row of ``value``.
    - sequences of vectors (each of shape (T_i, D)) give an array (N, T, D).

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
    array([[0, 1],
           [2, 3],
           [5, 6]], dtype=int32)
    """
    owner = "pad_sequences"
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"{owner} expects a list of sequences (lists of ints); got "
                        f"{type(sequences).__name__}.")
    _checks.one_of(padding, "padding", owner, ("pre", "post"))
    _checks.one_of(truncating, "truncating", owner, ("pre", "post"))
    if maxlen is not None:
        maxlen = _checks.positive_int(maxlen, "maxlen", owner)
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{owner} expects a numpy dtype such as 'int32'; got {dtype!r}.") from exc
    if isinstance(value, str) and dt.kind not in "OUS":
        raise TypeError(f"{owner} got a str value {value!r} with dtype {dt}; use dtype=object "
                        "to pad sequences of strings.")
    if not isinstance(value, (numbers.Number, str, np.generic)) and value is not None:
        raise TypeError(f"{owner} expects value to be a number; got {value!r}.")

    lengths = []
    sample_shape = None
    for i, s in enumerate(sequences):
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
            raise TypeError(f"{owner} expects every sequence to be a list or array; sequence "
                            f"{i} is {type(s).__name__} ({s!r:.40}).")
        lengths.append(len(s))
        if sample_shape is None and len(s):
            sample_shape = np.asarray(s).shape[1:]
    if sample_shape is None:
        sample_shape = ()
    T = maxlen if maxlen is not None else max(lengths, default=0)

    out = np.full((len(lengths), T) + sample_shape, value, dtype=dt)
    if T == 0:
        return out
    for i, s in enumerate(sequences):
        if not lengths[i]:
            continue
        arr = np.asarray(s)
        if arr.shape[1:] != sample_shape:
            raise ValueError(f"{owner} expects every item to have shape "
                             f"{_checks.shape_str(sample_shape)} (as in the first non-empty "
                             f"sequence); sequence {i} has items of shape "
                             f"{_checks.shape_str(arr.shape[1:])}.")
        if dt.kind in "iu" and arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
            raise TypeError(f"{owner} with dtype {dt} expects whole numbers; sequence {i} "
                            "holds fractions. Pass dtype='float32' to keep them.")
        if dt.kind in "biuf" and arr.dtype.kind not in "biuf":
            raise TypeError(f"{owner} expects numbers; sequence {i} has dtype {arr.dtype}. "
                            "Encode texts first (Vocabulary.encode_batch).")
        trunc = arr[-T:] if truncating == "pre" else arr[:T]
        if padding == "pre":
            out[i, T - len(trunc):] = trunc
        else:
            out[i, :len(trunc)] = trunc
    return out


def _int_ids(ids, owner: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expects integer ids (an int array of any shape); got dtype "
                        f"{arr.dtype}. Pad ragged sequences first (pad_sequences).")
    if arr.dtype.kind == "b":
        raise TypeError(f"{owner} expects integer ids; got booleans.")
    if arr.dtype.kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise TypeError(f"{owner} expects integer ids; got dtype {arr.dtype} with "
                            "fractional or non-finite values.")
        arr = arr.astype(np.int64)
    return arr


def _check_range(arr: np.ndarray, num_classes: int, owner: str) -> None:
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        bad = arr[(arr < 0) | (arr >= num_classes)]
        raise ValueError(f"{owner} expects ids in [0, {num_classes - 1}] (num_classes="
                         f"{num_classes}); got {int(bad[0])} ({bad.size} id(s) out of range). "
                         "Is num_classes the vocabulary size len(voc)?")


def one_hot(ids, num_classes, dtype="float32"):
    """One-hot vectors of integer ids: shape (...) -> (..., num_classes), e.g. (N, T) -> (N, T, V).

    ``one_hot(ids, V)[..., k]`` is 1.0 where ``ids == k``, else 0.0. Padding (id 0)
    gets its own column, as any other id. Ids outside [0, num_classes - 1] raise.
    """
    owner = "one_hot"
    num_classes = _checks.positive_int(num_classes, "num_classes", owner)
    arr = _int_ids(ids, owner)
    _check_range(arr, num_classes, owner)
    dt = _checks.resolve_dtype(dtype, owner)
    out = np.zeros(arr.shape + (num_classes,), dtype=dt)
    np.put_along_axis(out, arr[..., None], 1.0, axis=-1)
    return out


def bag_of_words(sequences, num_classes, dtype="float32", ignore_padding=True):
    """Word counts per sequence: N sequences of ids -> an (N, V) array, V = ``num_classes``.

    ``out[n, k]`` counts id ``k`` in sequence ``n``; word order is thrown away, which
    is the point: it is the input of the bag-of-words baseline that the lessons
    compare RNNs with. ``sequences`` may be ragged (a list of lists) or padded (N, T);
    the padding column ``out[:, 0]`` is left at zero unless ``ignore_padding=False``.
    """
    owner = "bag_of_words"
    num_classes = _checks.positive_int(num_classes, owner=owner, name="num_classes")
    dt = _checks.resolve_dtype(dtype, owner)
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"{owner} expects a list of sequences of ids or an (N, T) array; got "
                        f"{type(sequences).__name__}.")
    if isinstance(sequences, np.ndarray) and sequences.ndim != 2 and sequences.dtype != object:
        raise ValueError(f"{owner} expects an (N, T) array of ids; got shape "
                         f"{_checks.shape_str(sequences.shape)}.")
    out = np.zeros((len(sequences), num_classes), dtype=dt)
    for n, s in enumerate(sequences):
        arr = _int_ids(s, owner).ravel()
        _check_range(arr, num_classes, owner)
        out[n] = np.bincount(arr, minlength=num_classes)
    if ignore_padding:
        out[:, PAD] = 0
    return out
