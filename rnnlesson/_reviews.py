"""The generator behind ``rnnlesson.datasets.movie_reviews``: word lists and templates.

A review is a list of body sentences (plot, setting, the viewer's evening, opinions
about parts of the film) and ends with a verdict. The label is the polarity of the
verdict. Everything else is drawn independently of the label, so it only hides the
verdict from a bag of words:

- every opinion in the body has a random polarity and is negated with probability
  ``BODY_NEGATION`` (1/2), in one of four forms ("not", "n't", "never", "not ... at
  all"), so a positive adjective is as likely in a negative review as in a positive one;
- with probability ``CONTRAST`` the verdict is "the ASPECT was ADJ1 but the film was
  ADJ2" with clauses of opposite polarity (the clause after "but" decides; both
  labels give the same kind of bag, one positive and one negative clause); each
  clause is negated with probability ``CONTRAST_NEGATION``;
- otherwise it is "<cue>, the film was [not] ADJ" (negation scope decides), negated
  with probability ``SIMPLE_NEGATION`` (1/2), so the adjective alone says nothing;
- with probability ``GIVEAWAY`` a review also holds a phrase that tells its label
  outright ("a real masterpiece"), the one cue a bag of words can use.

Two settings keep the task learnable for a SimpleRNN: the verdict is the very last
sentence (``SIGNOFF = 0``: with a neutral sentence after it, a SimpleRNN trained
from several seeds got stuck near 70% in about half the runs), and its negation is
a plain "not"/"n't" right before the adjective (``PLAIN_VERDICT``).

Character names are made from syllables by a generator with a fixed seed, so the
vocabulary (about 3,200 words, of which 2,000 reviews use about 3,100) is the same
whatever seed the caller uses.
"""

from __future__ import annotations

import functools

import numpy as np

GIVEAWAY = 0.2  # probability that a review carries a phrase that tells its label outright
BODY_NEGATION = 0.5  # probability that an opinion in the body is negated
CONTRAST = 0.7  # probability that the verdict is a "... but ..." contrast
SIMPLE_NEGATION = 0.5  # probability that a plain verdict ("overall it was ADJ") is negated
CONTRAST_NEGATION = 0.15  # probability that a clause of a contrast verdict is negated
SIGNOFF = 0.0  # probability that a short neutral sentence follows the verdict
PLAIN_VERDICT = True  # verdict negation only as 'not'/'n't', without intensifiers

FIRST_NAMES = """
anna ben clara david elena frank grace henry iris jack julia karl laura leo maria
mark nina oscar paula peter rosa sam sara tom ursula victor wendy xavier yara zoe
adam bella carlos diana emil fiona george hanna ivan jane kevin lena marco nora
omar pia quentin rita simon tara umar vera walter yusuf alice bruno chloe dennis
eva felix gina hugo ingrid jonas kira lucas mia nils olga pablo ruth stefan tina
uma vincent wilma aaron beatrice cecil dora edgar freya gustav helga igor jasmine
""".split()

SURNAMES = """
adler baker castillo dahl ellis fischer garcia hartmann ivanova jensen keller lopez
moreau novak olsen park quinn richter santos tanaka ulrich varga weber young zimmer
abbott brennan carter dawson evans fontaine gallo hughes ingram jordan kowalski lind
morgan nakamura ortiz petrov reyes schulz torres underwood vogel walsh yamada berg
costa doyle engel ferreira grant holm ibsen jansen klein larsen meyer nielsen owens
price rossi silva turner vance wolff sato bianchi dubois eriksson hoffmann kaplan
""".split()

PLACES = """
paris berlin lisbon tokyo chicago boston cairo mumbai lagos oslo vienna prague
dublin glasgow naples seville marseille hamburg detroit memphis montreal quebec
havana lima santiago manila seoul osaka istanbul athens budapest warsaw krakow
helsinki reykjavik nairobi tunis casablanca sydney auckland alaska texas siberia
patagonia sicily provence bavaria scotland cornwall yorkshire tuscany andalusia
""".split()

PLACE_KINDS = """
village harbour desert island farm prison hospital school hotel casino circus
factory mine monastery lighthouse castle suburb ghetto newsroom courtroom embassy
laboratory spaceship submarine train bakery theatre orchestra vineyard ranch
""".split()

OCCUPATIONS = """
teacher nurse detective pilot farmer painter lawyer soldier priest boxer chef
journalist widow student thief banker miner sailor singer doctor gambler clerk
astronaut smuggler waitress mechanic judge dancer poet spy hacker fisherman
librarian photographer surgeon runaway inventor butcher magician tailor cowboy
""".split()

RELATIVES = """
sister brother mother father cousin aunt uncle grandmother grandfather wife
husband girlfriend boyfriend neighbour roommate colleague son daughter friends
""".split()

DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBERS = """
ninety ninety-five hundred hundred-and-ten hundred-and-twenty hundred-and-forty
two-hours three-hours eighty eighty-five
""".split()
DECADES = """
twenties thirties forties fifties sixties seventies eighties nineties
""".split()
GENRES = """
thriller comedy drama western musical romance horror mystery biopic documentary
satire fantasy adventure melodrama noir heist war spy crime family
""".split()

PLOT_VERBS = [
    "searches for", "runs from", "falls for", "lies to", "hunts", "protects", "betrays",
    "steals", "hides", "rebuilds", "loses", "finds", "fights", "forgives", "follows",
    "chases", "inherits", "sells", "buries", "remembers", "forgets", "escapes from",
    "returns to", "writes to", "waits for", "guards", "rescues", "blackmails", "marries",
    "investigates", "replaces", "trains", "teaches", "defends", "avoids",
]
PLOT_OBJECTS = [
    "a stolen painting", "a missing sister", "an old map", "a dying horse", "a lost letter",
    "a secret diary", "a broken violin", "a haunted house", "a sunken ship", "a rival gang",
    "an abandoned child", "a corrupt mayor", "a forgotten song", "a golden key",
    "a family farm", "a mysterious stranger", "a wounded wolf", "a crooked sheriff",
    "a fortune in diamonds", "a vanished scientist", "an ancient curse", "a rusty robot",
    "a childhood friend", "a dangerous secret", "a runaway bride", "a buried treasure",
    "the last train", "the perfect recipe", "her estranged father", "his twin brother",
    "a talking parrot", "a cursed necklace", "a stolen election", "a burning forest",
]

ASPECTS = """
acting script plot story dialogue score soundtrack music pacing cinematography
photography editing ending opening direction cast casting design makeup atmosphere
choreography humour lead villain camera lighting sound
""".split()

POS_ADJ = """
good great excellent wonderful brilliant superb fantastic terrific delightful charming
moving touching gripping thrilling clever witty beautiful stunning gorgeous elegant
powerful memorable enjoyable entertaining engaging compelling fresh original funny
hilarious warm heartfelt sharp smart solid impressive inspired lovely magnificent
marvellous remarkable riveting satisfying sincere splendid stylish tender vivid strong
""".split()

NEG_ADJ = """
bad awful terrible dreadful horrible poor weak dull boring tedious bland flat lifeless
clumsy messy sloppy confusing pointless forgettable shallow silly stupid lazy predictable
pretentious tiresome tired cheap ugly awkward stiff wooden dreary dismal lame mediocre
disappointing painful unbearable annoying irritating hollow muddled overlong plodding
sluggish stale uneven unfunny unconvincing
""".split()

INTENSIFIERS = """
very really truly quite so incredibly remarkably rather pretty extremely genuinely
deeply thoroughly utterly fairly
""".split()

CUES = [
    "overall", "in the end", "all in all", "to sum up", "in short", "bottom line",
    "my verdict", "on balance", "so", "in a word", "taken together", "at the end of the day",
]

FILM_WORDS = ["the film", "the movie", "this film", "this movie", "the picture", "it"]

POS_GIVEAWAYS = [
    "a real masterpiece", "one of the best films of the year", "worth every penny",
    "i want to see it again", "a must see", "an instant classic", "pure joy from start to end",
]
NEG_GIVEAWAYS = [
    "a complete waste of time", "one of the worst films of the year", "i want my money back",
    "i nearly walked out", "avoid it", "an instant embarrassment", "pure pain from start to end",
]

FILLERS = [
    "i saw it on a {day} with my {rel}",
    "we watched it at home with my {rel} on {day} night",
    "my {rel} picked it and i went along",
    "the cinema was half empty on a rainy {day}",
    "it runs {num} minutes",
    "it is a {genre} set in {place} in the {decade}",
    "the story takes place in a {kind} near {place}",
    "most of it was shot in {place}",
    "it is the second {genre} from the same director",
    "the trailer made it look like a {genre}",
    "i read the novel years ago",
    "there is a long scene in a {kind}",
    "my {rel} had seen it twice before",
    "the popcorn was cold and the seats were hard",
    "it opened on {day} in {place}",
    "there is a cameo by {actor}",
]

SIGNOFFS = [
    "it opens on {day}", "the dvd has a short making-of", "see it on a big screen if you can",
    "it is also streaming now", "there is a scene after the credits",
    "my {rel} agreed with me", "bring a friend", "it is rated for teens",
]


def _make_names(n: int) -> list[str]:
    """``n`` distinct invented character names from syllables (fixed seed: same every call)."""
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
              "br", "dr", "gr", "kr", "tr", "st", "sh", "th", "ch"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ei", "ou", "ya"]
    codas = ["", "n", "r", "s", "th", "l", "x", "nd", "rk", "m"]
    rng = np.random.default_rng(1729)
    names: list[str] = []
    seen = set(FIRST_NAMES) | set(SURNAMES)
    while len(names) < n:
        k = int(rng.integers(2, 4))
        w = "".join(onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))]
                    for _ in range(k)) + codas[rng.integers(len(codas))]
        if w not in seen:
            seen.add(w)
            names.append(w)
    return names


@functools.lru_cache(maxsize=1)
def characters() -> tuple[str, ...]:
    """The 2,500 invented character names, made once on first use (about 40 ms)."""
    return tuple(_make_names(2500))


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


class _Writer:
    """Draws the parts of one review from ``rng``."""

    def __init__(self, rng):
        self.rng = rng

    def actor(self):
        return f"{_pick(self.rng, FIRST_NAMES)} {_pick(self.rng, SURNAMES)}"

    def fill(self, template):
        r = self.rng
        return template.format(
            day=_pick(r, DAYS), rel=_pick(r, RELATIVES), num=_pick(r, NUMBERS),
            genre=_pick(r, GENRES), place=_pick(r, PLACES), decade=_pick(r, DECADES),
            kind=_pick(r, PLACE_KINDS), actor=self.actor())

    def adjective(self, polarity):
        return _pick(self.rng, POS_ADJ if polarity > 0 else NEG_ADJ)

    def predicate(self, polarity, copula="was", p_negation=BODY_NEGATION, plain=False):
        """A verb phrase with the given polarity, e.g. "wasn't very dull" for +1.

        A negated phrase takes one of four forms: "not", "n't", "never", "not ... at all".
        """
        r = self.rng
        negated = r.random() < p_negation
        adj = self.adjective(-polarity if negated else polarity)
        intens = _pick(r, INTENSIFIERS) + " " if r.random() < 0.4 and not plain else ""
        if not negated:
            return f"{copula} {intens}{adj}"
        form = int(r.integers(2 if plain else 4))
        if form == 0:
            return f"{copula} not {intens}{adj}"
        if form == 1:
            return f"{copula}n't {intens}{adj}"
        if form == 2:
            return f"{copula} never {intens}{adj}"
        return f"{copula} not {adj} at all"

    def opinion(self):
        """A body opinion with a random polarity (independent of the label)."""
        r = self.rng
        pol = 1 if r.random() < 0.5 else -1
        form = int(r.integers(5))
        if form == 0:
            return f"the {_pick(r, ASPECTS)} {self.predicate(pol)}"
        if form == 1:
            return f"{self.actor()} as {_pick(r, characters())} {self.predicate(pol)}"
        if form == 2:
            other = -pol if r.random() < 0.5 else pol
            return (f"the {_pick(r, ASPECTS)} {self.predicate(pol)} and the "
                    f"{_pick(r, ASPECTS)} {self.predicate(other)}")
        if form == 3:
            return (f"the {_pick(r, ASPECTS)} {self.predicate(pol)} but the "
                    f"{_pick(r, ASPECTS)} {self.predicate(-pol)}")
        return f"i thought the {_pick(r, ASPECTS)} {self.predicate(pol, 'is')}"

    def plot(self):
        r = self.rng
        who = self.actor()
        ch = _pick(r, characters())
        form = int(r.integers(3))
        if form == 0:
            return (f"{who} plays {ch}, a {_pick(r, OCCUPATIONS)} from {_pick(r, PLACES)} "
                    f"who {_pick(r, PLOT_VERBS)} {_pick(r, PLOT_OBJECTS)}")
        if form == 1:
            return (f"{ch} {_pick(r, PLOT_VERBS)} {_pick(r, PLOT_OBJECTS)} while "
                    f"{_pick(r, characters())} {_pick(r, PLOT_VERBS)} {_pick(r, PLOT_OBJECTS)}")
        return (f"when {ch} comes back to the {_pick(r, PLACE_KINDS)}, the {_pick(r, OCCUPATIONS)} "
                f"{_pick(r, PLOT_VERBS)} {_pick(r, PLOT_OBJECTS)}")

    def verdict(self, label):
        r = self.rng
        pol = 1 if label == 1 else -1
        cue = _pick(r, CUES)
        film = _pick(r, FILM_WORDS)
        if r.random() >= CONTRAST:
            copula = "was" if r.random() < 0.5 else "is"
            return f"{cue}, {film} {self.predicate(pol, copula, SIMPLE_NEGATION, PLAIN_VERDICT)}"
        aspect = _pick(r, ASPECTS)
        lead = f"{cue}, " if r.random() < 0.5 else ""
        first = self.predicate(-pol, "was", CONTRAST_NEGATION, PLAIN_VERDICT)
        second = self.predicate(pol, "was", CONTRAST_NEGATION, PLAIN_VERDICT)
        return f"{lead}the {aspect} {first} but {film} {second}"

    def review(self, label):
        r = self.rng
        n_body = 1 + int(r.poisson(5)) if r.random() < 0.85 else int(r.integers(14, 30))
        body = []
        for _ in range(n_body):
            u = r.random()
            if u < 0.35:
                body.append(self.opinion())
            elif u < 0.7:
                body.append(self.plot())
            else:
                body.append(self.fill(_pick(r, FILLERS)))
        if r.random() < GIVEAWAY:
            phrase = _pick(r, POS_GIVEAWAYS if label == 1 else NEG_GIVEAWAYS)
            body.insert(int(r.integers(len(body) + 1)), f"honestly, {phrase}")
        parts = body + [self.verdict(label)]
        if r.random() < SIGNOFF:
            parts.append(self.fill(_pick(r, SIGNOFFS)))
        return " ".join(p[0].upper() + p[1:] + "." for p in parts)


def generate_reviews(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``n`` reviews and their labels (half 1, half 0, shuffled), drawn from ``rng``."""
    labels = np.array([1] * ((n + 1) // 2) + [0] * (n // 2), dtype=np.int64)
    rng.shuffle(labels)
    w = _Writer(rng)
    return [w.review(int(y)) for y in labels], labels


def vocabulary_words() -> set[str]:
    """Every word the generator can write (for tests and the data README)."""
    from .text import tokenize

    words: set[str] = set()
    lists = [FIRST_NAMES, SURNAMES, PLACES, PLACE_KINDS, OCCUPATIONS, RELATIVES, DAYS, NUMBERS,
             DECADES, GENRES, PLOT_VERBS, PLOT_OBJECTS, ASPECTS, POS_ADJ, NEG_ADJ,
             INTENSIFIERS, CUES, FILM_WORDS, POS_GIVEAWAYS, NEG_GIVEAWAYS, characters(),
             FILLERS, SIGNOFFS]
    for seq in lists:
        for item in seq:
            words.update(tokenize(item.replace("{", " ").replace("}", " ")))
    return words
