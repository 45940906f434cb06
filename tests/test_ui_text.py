"""User-chosen text inside Markdown stays literal text."""

import pytest

from attnviz.ui.text import md_escape

WJ = "\u2060"  # word joiner: invisible, and it breaks GFM's after-parse autolinks


def test_markdown_specials_are_escaped():
    assert md_escape("[x](http://e.invalid) **b** <i> $x$") == (
        rf"\[x\]\(http\:{WJ}//e\.invalid\) \*\*b\*\* \<i\> \$x\$"
    )


@pytest.mark.parametrize("text, broken", [
    ("www.evil.example", f"www{WJ}\\."), ("WWW.Evil.example", f"WWW{WJ}\\."), ("https://evil.example", f"\\:{WJ}//"),
    ("me@evil.example", f"me{WJ}\\@"),
], ids=["www", "WWW", "url", "email"])
def test_autolink_literals_are_broken_invisibly(text, broken):
    escaped = md_escape(text)
    assert broken in escaped
    assert escaped.replace(WJ, "").replace("\\", "") == text  # what a reader sees is the text itself
