"""Text a user chose (a model name, a token) inside Markdown-rendered Streamlit text, made inert."""

from __future__ import annotations

import re

# Every character Markdown (and Streamlit's extensions: links, autolinks, emoji :codes:, $math$) gives meaning to.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=@])")


def md_escape(text: str) -> str:
    """Backslash-escape ``text`` so st.markdown/st.caption/st.info show it literally (no links, no HTML, no math)."""
    return _SPECIAL.sub(r"\\\1", str(text).replace("\n", " "))
