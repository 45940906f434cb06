"""User-chosen text inside Markdown stays literal text."""

from attnviz.ui.text import md_escape


def test_markdown_specials_are_escaped():
    assert md_escape("[x](http://e.invalid) **b** <i> $x$") == (
        r"\[x\]\(http\:\/\/e\.invalid\) \*\*b\*\* \<i\> \$x\$".replace(r"\/", "/")
    )
