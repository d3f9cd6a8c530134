"""Every number a lesson's prose states is a number its code uses or checks.

The rule (issue 21), for every lesson source ``course/source/NN-slug/NN-slug.ipynb``:
each number in a Markdown cell must appear, with the same numeric value, as a numeric
literal in some code cell of the same notebook. A setting counts where the code uses it
(prose "128 units", code ``units=128``); a measured result counts where the code asserts
it with the prose's number as the literal (prose "perplexity about 5.2", code
``assert abs(val_ppl - 5.2) < 0.4, val_ppl``). So text and code cannot drift apart
without this test failing.

Not read as prose: LaTeX (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``), inline
and fenced code, link URLs and HTML tags, HTML comments, the words "lesson NN" /
"lessons NN-MM" / "seed N", the numbering of list items and headings ("1. item",
"## 9. Summary": markup, not numbers), and the Markdown cell whose first line is
"## Further reading" (or "## 10. Further reading"). A purely illustrative number is
followed directly by the comment ``<!-- illustrative -->`` (after a range such as
"100–120" it covers both ends).

How numbers are read: "1,115,394" is 1115394 (thousands separators), "90%" is 90,
"1e-3" is 0.001, "1.3x" is 1.3, "2nd" is 2, "100–120" is 100 and 120. Signs are
ignored on both sides (the code's ``-1`` is the literal 1 after a minus), and a
number glued to a name on its left ("float32", "x2", "W_2") is part of the name.
"""

from __future__ import annotations

import io
import json
import math
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "course" / "source").glob("*/*.ipynb"))

ILLUSTRATIVE = re.compile(r"\s*<!--\s*illustrative\s*-->", re.IGNORECASE)
FURTHER_READING = re.compile(r"##\s*(?:[0-9]+\.\s*)?Further reading\s*$", re.IGNORECASE)

# Spans that are not prose, blanked before numbers are read (order matters: code first,
# so a dollar sign inside code does not open LaTeX).
_NOT_PROSE = [
    re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL),  # fenced
    re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL),                           # `code`
    re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$", re.DOTALL),                            # $$..$$
    re.compile(r"(?<![\\$])\$(?!\$).+?(?<![\\$])\$", re.DOTALL),                    # $..$
    re.compile(r"\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL),                              # \( \[
    re.compile(r"(?<=\])\([^)\s]*(?:\s+\"[^\"]*\")?\)"),                            # (url)
    re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE),                          # [id]: url
    re.compile(r"<https?://[^>]*>|https?://\S+"),                                   # bare URLs
    re.compile(r"</?[A-Za-z][^<>]*>"),                                              # HTML tags
    re.compile(r"\b[Ll]essons?\s+\d{1,2}[a-z]?"                                     # lesson 04
               r"(?:\s*(?:[-–—,&/]|\band\b|\bor\b|\bto\b)\s*\d{1,2}[a-z]?\b)*"),
    re.compile(r"\b[Ss]eeds?\s*(?:=\s*)?\d+"                                        # seed 0
               r"(?:\s*(?:[-–—,]|\band\b|\bor\b|\bto\b)\s*\d+\b)*"),
    re.compile(r"^[ \t]*\d+[.)](?=[ \t])", re.MULTILINE),                           # "1. "
    re.compile(r"^[ \t]*#+[ \t]*\d+(?:\.\d+)*\.?(?=[ \t])", re.MULTILINE),              # "## 9."
]

# A number: thousands groups or plain digits, an optional fraction, an optional
# exponent (ASCII or Unicode minus); not glued to a name or a decimal point on its left.
NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])"
    r"(?P<num>(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)"
    r"(?P<exp>[eE][-+−]?[0-9]+)?"
    r"(?P<suffix>%|×|x(?![A-Za-z0-9])|st\b|nd\b|rd\b|th\b)?"
)
RANGE_DASH = re.compile(r"\s*(?:[-–—]|to)\s*")


def _blank(text: str, pattern: re.Pattern) -> str:
    """``text`` with every match of ``pattern`` replaced by spaces (newlines kept)."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def prose_numbers(markdown: str) -> list[tuple[float, str, int, bool]]:
    """The numbers a Markdown cell states, as (value, as written, offset, illustrative).

    ``value`` is the number's magnitude as a float; ``illustrative`` is True when the
    number (or the range it ends or starts) is followed by ``<!-- illustrative -->``.
    An empty list for a "## Further reading" cell.
    """
    first = next((line.strip() for line in markdown.split("\n") if line.strip()), "")
    if FURTHER_READING.match(first):
        return []
    # The "illustrative" comment must follow the number directly: look for it in the
    # original text, before comments and the rest are blanked.
    marked = {m.start() for m in ILLUSTRATIVE.finditer(markdown)}
    text = _blank(markdown, re.compile(r"<!--.*?-->", re.DOTALL))
    for pattern in _NOT_PROSE:
        text = _blank(text, pattern)
    found = []
    for m in NUMBER.finditer(text):
        written = m.group(0)
        mantissa = m.group("num").replace(",", "")
        exponent = (m.group("exp") or "").replace("−", "-")
        value = abs(float(mantissa + exponent))
        found.append([value, written, m.start(), m.end() in marked])
    # A range "100–120 <!-- illustrative -->": the mark after its end covers its start.
    for left, right in zip(found, found[1:], strict=False):
        between = text[left[2] + len(left[1]):right[2]]
        if right[3] and RANGE_DASH.fullmatch(between):
            left[3] = True
    return [tuple(item) for item in found]


def code_literals(code: str) -> set[float]:
    """The magnitudes of the numeric literals in a code cell (strings and comments excluded).

    IPython magics and shell lines (``%time``, ``!pip``) are dropped first; a cell that
    still does not tokenize as Python is read with a plain regular expression.
    """
    lines = [line for line in code.split("\n") if not line.lstrip().startswith(("%", "!"))]
    source = "\n".join(lines) + "\n"
    values = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NUMBER and not tok.string.lower().endswith("j"):
                text = tok.string.replace("_", "")
                try:
                    values.add(abs(float(int(text, 0))))
                except ValueError:
                    values.add(abs(float(text)))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", source):
            values.add(abs(float(m.group(0))))
    return values


def _text(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _context(text: str, offset: int, width: int = 45) -> str:
    start, stop = max(0, offset - width), min(len(text), offset + width)
    snippet = " ".join(text[start:stop].split())
    return ("…" if start else "") + snippet + ("…" if stop < len(text) else "")


def offending(nb: dict) -> list[str]:
    """One line per prose number that no code cell of ``nb`` has as a literal."""
    literals = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            literals |= code_literals(_text(cell))
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = _text(cell)
        for value, written, offset, illustrative in prose_numbers(text):
            if illustrative:
                continue
            if any(math.isclose(value, lit, rel_tol=1e-12, abs_tol=0.0) for lit in literals):
                continue
            problems.append(f"cell {index}: {written!r} in \"{_context(text, offset)}\"")
    return problems


# --- the extractor itself ------------------------------------------------------------

def _values(markdown: str) -> list[float]:
    return [value for value, _, _, illustrative in prose_numbers(markdown) if not illustrative]


def test_reads_plain_decimal_percent_exponent_and_separators():
    text = "It starts at about 0.45 after 200 steps, 90% of 1,115,394 characters, lr 1e-3."
    assert _values(text) == [0.45, 200, 90, 1115394, 0.001]


def test_reads_ranges_ordinals_and_factors():
    assert _values("It takes 100–120 minutes; the 2nd run is 1.3x slower, 10-20 s.") == [
        100, 120, 2, 1.3, 10, 20]


def test_ignores_code_latex_links_names_and_lesson_words():
    text = ("In lesson 04 (and lessons 06–08) with seed 0, `units=128` and $W \\in R^{3}$ "
            "and $$h_1 = 2$$ see [DLFS2](https://example.org/ch6/page-7) for float32 "
            "and x2. <img width=\"600\"> <!-- 12 -->\n\n```python\nx = 5\n```\n"
            "1. a list item\n")
    assert _values(text) == []


def test_illustrative_mark_covers_the_number_it_follows_and_a_range():
    text = "say 37 <!-- illustrative --> units, or 100–120 <!-- illustrative -->, but 5 not."
    found = prose_numbers(text)
    assert [(v, ill) for v, _, _, ill in found] == [
        (37, True), (100, True), (120, True), (5, False)]


def test_further_reading_cell_is_skipped_and_other_headings_are_not():
    assert _values("## Further reading\n\n* Chapter 6 of a book, 2016") == []
    assert _values("## 10. Further reading\n\n* Chapter 6") == []
    assert _values("## 3. Training for 40 epochs\nSee section 3.") == [40, 3]


def test_code_literals_are_numbers_not_strings_or_comments():
    code = "%time x = 1\nmodel = LSTM(units=128)  # 64 would do\nprint('0.45', -0.5, 1e-3, 0x10)"
    assert code_literals(code) == {128, 0.5, 0.001, 16}


def test_offending_names_cell_number_and_context():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "We train for 300 steps and reach 0.12."},
        {"cell_type": "code", "source": "fit(steps=300)"},
    ]}
    problems = offending(nb)
    assert len(problems) == 1
    assert problems[0].startswith("cell 0: '0.12'") and "reach 0.12" in problems[0]


# --- the lessons -----------------------------------------------------------------------

@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_prose_number_is_in_the_code(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = offending(nb)
    assert not problems, (
        f"{path.relative_to(ROOT)}: {len(problems)} number(s) in the prose that no code "
        "cell uses or asserts (add the setting or an assert with this literal, or mark a "
        "purely illustrative number with <!-- illustrative -->):\n  " + "\n  ".join(problems))


def test_there_are_lessons_to_check():
    assert len(SOURCES) >= 6, SOURCES
