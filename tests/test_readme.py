"""The README's Python examples run as written, so the notebook API they show cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = [(README.read_text(encoding="utf-8")[: m.start()].count("\n") + 2, m.group(1))
          for m in re.finditer(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)]
# Long enough that the README's Slice(min_tokens=33) has rows in it.
LONG = ("the students read the story about a quiet town by the sea and talked about what the main character "
        "wanted when she left her home , and it was a charming and often affecting journey .")
SENTENCES = ("it 's a charming and often affecting journey .", "unflinchingly bleak and desperate", LONG,
             LONG.replace("charming", "dull"), "the film was good .", "not good at all .")


@pytest.fixture
def sst2_run(tmp_path, monkeypatch, builtin_model):
    """The run the README's corpus command makes (``runs/sst2-dev`` under the working folder), on six sentences."""
    from attnviz import corpus

    source = tmp_path / "dev.tsv"
    source.write_text("sentence\tlabel\n" + "".join(f"{s}\t{i % 2}\n" for i, s in enumerate(SENTENCES)),
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    corpus.run(source, "runs/sst2-dev", text_column="sentence", label_column="label", model=builtin_model)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_python_example_runs(line, code, request):
    if "corpus.open_run" in code:
        request.getfixturevalue("sst2_run")
    import attnviz

    # A notebook has run the page's first ``import attnviz`` before any later cell.
    exec(compile(code, f"README.md:{line}", "exec"), {"attnviz": attnviz})
