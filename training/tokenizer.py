"""A small WordPiece tokenizer written as a Hugging Face `tokenizer.json`.

Whole words from the emoji names and keywords (plus a film/creative vocabulary for the projector) are
single tokens; any other word falls back to single characters (`c`, `##c`), so nothing typed by an
audience becomes an unknown token unless it contains characters outside a-z/0-9/punctuation.
`encode()` mirrors what the `tokenizers` library (and transformers.js) does with the JSON, and a
test checks the two agree.
"""
from __future__ import annotations

import json
import string
import unicodedata

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"
SPECIALS = [PAD, UNK, CLS, SEP]
CHARS = list(string.ascii_lowercase + string.digits) + [c for c in string.punctuation]
MAX_LEN = 32

# Words the projector and the prompt slides use, kept in the vocabulary even where the emoji data
# does not contain them (their embeddings then come from the character fallback's neighbourhood).
EXTRA_WORDS = """
cinematic beautiful epic wide shot close-up warrior portrait landscape film movie camera lens light lighting
dramatic moody golden hour night day sunset sunrise rain snow fog storm castle city forest mountain ocean sea
river lake desert village street space galaxy robot dragon knight king queen prince princess wizard witch
red orange yellow green blue purple pink brown black white gray grey gold silver colour color
dog cat horse cow pig sheep lion tiger bear panda rabbit mouse fox wolf monkey elephant whale dolphin fish bird
owl eagle duck chicken penguin frog snake turtle bee butterfly apple banana cherry grape lemon pear peach
pizza burger bread cake coffee tea wine beer man woman boy girl baby person people child old young happy sad
angry love heart star moon sun fire water earth wind tree flower rose car bus train plane ship bike rocket
house school hospital church music guitar piano drum dance paint brush art artist painter photo photograph
""".split()


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def pre_tokenize(text: str) -> list[str]:
    """BertNormalizer(lowercase, strip accents, clean text, CJK spacing) + BertPreTokenizer."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        out.append(" " if ch.isspace() else (f" {ch} " if _is_cjk(cp) else ch))
    text = strip_accents("".join(out).lower())
    words: list[str] = []
    for chunk in text.split():
        cur = ""
        for ch in chunk:
            if _is_punct(ch):
                if cur:
                    words.append(cur)
                    cur = ""
                words.append(ch)
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


def build_vocab(texts: list[str], extra: list[str] | None = None, min_count: int = 1) -> list[str]:
    """Special tokens, single characters (with ## continuations), then every word that occurs at
    least `min_count` times in `texts` (plus `extra` words), sorted."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(pre_tokenize(t))
    words = {w for w, c in counts.items() if c >= min_count}
    for t in EXTRA_WORDS if extra is None else extra:
        words.update(pre_tokenize(t))
    chars = CHARS + ["##" + c for c in string.ascii_lowercase + string.digits]
    rest = sorted(w for w in words if w not in chars)
    return SPECIALS + chars + rest


class WordPiece:
    """`framed=True` (CLIP): every text becomes [CLS] … [SEP], at most `max_len` tokens.
    `framed=False` (GPT): plain token ids, no special tokens, no truncation."""

    def __init__(self, vocab: list[str], max_len: int = MAX_LEN, framed: bool = True):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.max_len = max_len
        self.framed = framed

    def word_ids(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.ids[UNK]]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                return [self.ids[UNK]]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_len: int | None = None) -> list[int]:
        ids: list[int] = []
        for w in pre_tokenize(text):
            ids.extend(self.word_ids(w))
        if not self.framed:
            return ids
        ids = ids[: (max_len or self.max_len) - 2]
        return [self.ids[CLS]] + ids + [self.ids[SEP]]

    def batch(self, texts: list[str], max_len: int | None = None):
        import torch

        enc = [self.encode(t, max_len) for t in texts]
        n = max(len(e) for e in enc)
        ids = torch.zeros(len(enc), n, dtype=torch.long)
        mask = torch.zeros(len(enc), n, dtype=torch.long)
        for i, e in enumerate(enc):
            ids[i, : len(e)] = torch.tensor(e)
            mask[i, : len(e)] = 1
        return ids, mask

    def tokenizer_json(self) -> dict:
        sp = lambda t: {"id": self.ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": True}
        post = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": CLS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": SEP, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": CLS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": SEP, "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": SEP, "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [self.ids[t]], "tokens": [t]} for t in (CLS, SEP)},
        }
        return {
            "version": "1.0",
            "truncation": {"direction": "Right", "max_length": self.max_len, "strategy": "LongestFirst", "stride": 0}
            if self.framed else None,
            "padding": None,
            "added_tokens": [sp(t) for t in SPECIALS],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": True, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": post if self.framed else None,
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.ids},
        }

    def tokenizer_config(self) -> dict:
        if not self.framed:
            return {"tokenizer_class": "PreTrainedTokenizer", "model_max_length": self.max_len, "do_lower_case": True,
                    "unk_token": UNK, "pad_token": PAD, "add_bos_token": False, "add_eos_token": False,
                    "clean_up_tokenization_spaces": True}
        return {
            "tokenizer_class": "BertTokenizer",
            "model_max_length": self.max_len,
            "do_lower_case": True,
            "strip_accents": True,
            "pad_token": PAD, "unk_token": UNK, "cls_token": CLS, "sep_token": SEP,
            "bos_token": CLS, "eos_token": SEP,
            "padding_side": "right",
            "clean_up_tokenization_spaces": True,
        }

    def save(self, folder: str) -> None:
        with open(f"{folder}/tokenizer.json", "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False)
        with open(f"{folder}/tokenizer_config.json", "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_config(), f, indent=2)
