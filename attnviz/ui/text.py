"""Text a user chose (a model name, a token) inside Markdown-rendered Streamlit text, made inert."""

from __future__ import annotations

import re

# Every character Markdown (and Streamlit's extensions: links, autolinks, emoji :codes:, $math$) gives meaning to.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=@])")
# Streamlit's GFM turns bare www., http:// and e-mail addresses into links AFTER parsing, so backslashes cannot stop
# it; an invisible word joiner (U+2060) where the pattern needs "www." / "://" / a word character before "@" can.
_AUTOLINK = re.compile(r"(?i)(www)(?=\.)|(:)(?=//)|(?=@)")


def md_escape(text: str) -> str:
    """Backslash-escape ``text`` so st.markdown/st.caption/st.info show it literally (no links, no HTML, no math)."""
    unlinked = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u2060", str(text).replace("\n", " "))
    return _SPECIAL.sub(r"\\\1", unlinked)
