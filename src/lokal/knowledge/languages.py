"""Language detection and the keyword analyzer: lowercase word tokens, stemmed with Snowball.

A document's language is guessed from how many of each language's commonest words it uses; its
words are stemmed with that language's Snowball stemmer before they enter the FTS5 index. A query is
stemmed with every language the base holds, so a Swedish question finds Swedish documents in a base
that also holds German ones.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import Stemmer

# ISO 639-1 code → Snowball algorithm (nynorsk shares the Norwegian stemmer)
STEMMERS = {
    "nb": "norwegian", "nn": "norwegian", "da": "danish", "sv": "swedish", "de": "german", "en": "english",
    "pl": "polish", "it": "italian", "fr": "french", "es": "spanish", "nl": "dutch", "pt": "portuguese",
    "fi": "finnish",
}

# the commonest function words: enough to tell the languages apart, not a stopword list
MARKERS = {
    "nb": "og i er det som en på til av for med ikke jeg har de den et var skal kan også fra vil hvor hva hvordan når ble",
    "nn": "og i er det som ein på til av for med ikkje eg har dei den eit var skal kan òg frå vil kvar kva korleis når vart",
    "da": "og i er det som en på til af for med ikke jeg har de den et var skal kan også fra vil hvor hvad hvordan når blev",
    "sv": "och i är det som en på till av för med inte jag har de den ett var ska kan också från vill var vad hur när blev",
    "de": "und der die das ist in zu den von mit nicht ein eine sich auch auf für es dem wie wird bei wo was wann",
    "en": "the and of to in is that it for was on are as with by be this which or from at an what how when where",
    "pl": "i w nie na się z że do to jest jak o co ale po tak od za czy przez dla jego być który gdzie kiedy",
    "it": "il di che e la è per un una non in sono del della con si le da gli ma come anche dove quando cosa",
    "fr": "le la les de des et est un une que qui dans pour pas sur au avec ce il elle ne se où quand comment",
    "es": "el la los las de y que en un una es por con no para se del al lo como más pero dónde cuándo qué",
    "nl": "de het een en van is dat in op te zijn niet met voor die er ook aan om wat hoe waar wanneer",
    "pt": "o a os as de e que em um uma é para com não do da no na se por mais como onde quando",
    "fi": "ja on ei se että oli hän ovat mutta kun niin kuin myös tai joka mikä missä miten milloin",
}
_MARKER_SETS = {lang: frozenset(words.split()) for lang, words in MARKERS.items()}
WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def detect(text: str, default: str = "en") -> str:
    """The language whose marker words cover most of the text's words (ties and no evidence: default)."""
    counts = Counter(words(text[:20_000]))
    scores = {lang: sum(counts[w] for w in markers) for lang, markers in _MARKER_SETS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == default))
    return best if scores[best] > 0 else default


@lru_cache(maxsize=None)
def _stemmer(language: str) -> Stemmer.Stemmer:
    try:
        return Stemmer.Stemmer(STEMMERS[language])
    except KeyError:
        raise ValueError(f"no stemmer for language {language!r} (known: {', '.join(sorted(STEMMERS))})") from None


def stems(text: str, language: str) -> list[str]:
    """The text's words, lowercased and stemmed for `language`."""
    return _stemmer(language).stemWords(words(text))


def query_terms(text: str, languages: set[str]) -> list[str]:
    """Distinct stems of a query under each of the languages, in first-seen order."""
    tokens = words(text)
    seen: dict[str, None] = {}
    for language in sorted(languages) or ["en"]:
        for stem in _stemmer(language).stemWords(tokens):
            seen.setdefault(stem, None)
    return list(seen)
