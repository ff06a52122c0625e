"""What a word is, for text models: the regex the vectorizer counts by, the sentence messages
say it in, and the scripts whose words it cannot find (written without spaces between them).

Python's ``\\w`` leaves out combining marks, so scikit-learn's default token pattern cut Hindi,
Thai and vowelled Arabic or Hebrew words at their vowel signs ("पसंद" and "नापसंद" were both
"पस"). A model records ``marks_in_words`` (:mod:`lrnn.data.text`); one saved before it reads
documents with the default pattern, as it was trained.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

#: What a word is, as messages say it (:func:`word_pattern` is the regex).
WORD = "a word is two or more letters, digits or underscores, with their accents and vowel signs"

#: Marks that belong to no letter: variation selectors (an emoji's U+FE0F: "❤️love" lost
#: "love", which could not start after a mark).
_NOT_OF_LETTERS = range(0xFE00, 0xFE10)


@functools.cache
def _combining_marks() -> str:
    """The combining marks of letters (accents, vowel signs, niqqud, harakat: Unicode's
    categories Mn and Mc, but the variation selectors), as a regex character class's ranges.
    They lie below U+20000: a scan takes ~15 ms, once per process."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x20000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc") and code not in _NOT_OF_LETTERS:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges
    )


def one_word(marks_in_words: bool) -> str:
    """One word as a regex, for a term's parts (a saved vocabulary is checked with it): two
    or more letters, digits or underscores, and with ``marks_in_words`` the marks of them."""
    return rf"\w[\w{_combining_marks()}]+" if marks_in_words else r"\w{2,}"


def word_pattern() -> str:
    """The vectorizer's token pattern with ``marks_in_words``: a word, from where the one
    before it ends."""
    return rf"(?<![\w{_combining_marks()}]){one_word(True)}"


#: Scripts written without spaces between words, with the most letters a word of each has
#: once a segmenter has put spaces between them (more: a phrase): Chinese and Japanese words
#: have 1–4 (a four-character idiom); Thai, Lao, Khmer, Myanmar and Tibetan words, vowel signs
#: counted, up to about 10.
_UNSPACED = (
    (
        re.compile(
            "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
            "\U00020000-\U0003134f]"
        ),
        4,
    ),
    (re.compile("[\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff]"), 10),
)


def unspaced_script(docs: Sequence[str]) -> str | None:
    """Said when a fifth or more of the documents' letters (the first 500 documents, 2000
    characters each) are in a script written without spaces between words, and most of those
    letters sit in "words" longer than that script's words are — no segmenter put spaces
    between them: lrnn's words run from space or punctuation to the next, so a Chinese clause
    was one "word" (100 % on the training data, the bias alone on any new sentence) without a
    word of warning. None otherwise."""
    sample = " ".join(doc[:2000] for doc in docs[:500])
    words = re.findall(rf"[\w{_combining_marks()}]+", sample)  # vowel signs count
    letters = sum(map(len, words))
    unspaced = phrases = 0
    for word in words:
        limit = next((most for script, most in _UNSPACED if script.match(word)), None)
        if limit is not None:
            unspaced += len(word)
            phrases += len(word) if len(word) > limit else 0
    if not unspaced or unspaced < 0.2 * letters or phrases < 0.5 * unspaced:
        return None
    return (
        f"{round(100 * unspaced / letters)} % of its letters are in a script written without "
        "spaces between words (Chinese, Japanese, Thai, …), and lrnn's words run from one space "
        "or punctuation mark to the next, so whole phrases become single words that new "
        "documents rarely repeat; put spaces between the words first (a word segmenter such "
        "as jieba, MeCab or PyThaiNLP does it)."
    )
