import unicodedata

import pytest

from attnviz.errors import InputError
from attnviz.tokens import MAX_CHARS, clean_text, encode, has_visible_text, token_strip, token_table


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\t", "\u200b\u200d", "\x00\x01", "\u202e", "\u0301"],
    ids=["empty", "spaces", "whitespace", "zero-width", "controls", "rtl-mark", "lone-combining"],
)
def test_clean_text_rejects_invisible_text(text):
    with pytest.raises(InputError, match="Enter some text"):
        clean_text(text)


def test_clean_text_rejects_non_strings():
    with pytest.raises(InputError):
        clean_text(None)


def test_clean_text_replaces_lone_surrogates_one_for_one():
    cleaned = clean_text("a\ud800b")
    assert cleaned.text == "a\ufffdb"


def test_clean_text_caps_length_and_reports_it():
    cleaned = clean_text("x" * (MAX_CHARS + 10))
    assert len(cleaned.text) == MAX_CHARS and cleaned.chars_dropped == 10


def test_has_visible_text():
    assert has_visible_text("  a ") and not has_visible_text(" \u200b ")


def _fold(s: str) -> str:
    """Lower-case, strip accents and drop control characters, as the uncased BERT tokenizer does."""
    return "".join(ch for ch in unicodedata.normalize("NFD", s.lower()) if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cc")


@pytest.mark.parametrize(
    "text",
    ["the cat sat on the mat", "我爱学习编程", "the  cat\n\tsat", "مرحبا بالعالم", "👩‍👩‍👧 family", "café ñ", "a\x00b"],
    ids=["english", "chinese", "whitespace", "rtl", "zwj-emoji", "accents", "nul"],
)
def test_encode_offsets_slice_back_to_the_text(builtin_model, text):
    enc = encode(text, builtin_model.tokenizer, 512)
    assert enc.tokens[0].special and enc.tokens[-1].special
    spans = [tok for tok in enc.tokens if tok.start is not None]
    assert spans
    for tok in spans:
        span = text[tok.start : tok.end]
        if tok.text.endswith("[UNK]"):
            assert tok.text == f"{span} [UNK]"
        else:
            assert tok.text.removeprefix("##") == _fold(span)


def test_encode_chinese_names_unknown_characters(builtin_model):
    enc = encode("我爱", builtin_model.tokenizer, 512)
    texts = [t.text for t in enc.tokens]
    assert texts[1] == "我"
    assert texts[2] == "爱 [UNK]"


def test_encode_truncates_and_counts(builtin_model):
    enc = encode("word " * 600, builtin_model.tokenizer, 512)
    assert len(enc.tokens) == 512 and enc.total_tokens == 602 and enc.truncated
    assert enc.tokens[-1].special


def test_encode_many_counts_only_the_capped_texts_again(builtin_model):
    """One call for a shard: a text exactly at the cap is not truncated, one past it is, with its full count."""
    from attnviz.tokens import encode_many

    tok = builtin_model.tokenizer
    texts = ["the cat sat .", "word " * 8, "word " * 9, "我爱 the dog"]
    got = encode_many(texts, tok, 10)  # "word " * 8 is exactly 10 tokens with [CLS] and [SEP]
    assert [(len(e.tokens), e.total_tokens, e.truncated) for e in got] == [(6, 6, False), (10, 10, False), (10, 11, True), (6, 6, False)]
    for text, enc in zip(texts, got):
        ids = tok(text)["input_ids"]
        assert list(enc.input_ids) == (ids if len(ids) <= 10 else ids[:9] + [ids[-1]])  # [SEP] kept at the cut
    assert got[3].tokens[2].text == "爱 [UNK]" and got[3].tokens[3].start == 3


def test_encode_rejects_text_with_nothing_to_tokenize(builtin_model):
    with pytest.raises(InputError, match="nothing to analyse"):
        encode("\x07\x08", builtin_model.tokenizer, 512)


def test_token_table_and_strip_mark_subwords_and_specials(builtin_model):
    enc = encode("unbelievably", builtin_model.tokenizer, 512)
    rows = token_table(enc.tokens, "unbelievably")
    kinds = [r["kind"] for r in rows]
    assert kinds[0] == "special" and kinds[-1] == "special" and "sub-word" in kinds
    assert "".join(r["source text"] for r in rows) == "unbelievably"
    assert token_strip(enc.tokens).startswith("[CLS] │ ")
