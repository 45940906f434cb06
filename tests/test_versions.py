"""The declared version floors cover the newest features the code uses (found by reading the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in [*ROOT.glob("attnviz/**/*.py"), *ROOT.glob("pages/*.py")])


def _floor(package: str) -> Version:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith(("#", "-")) and Requirement(line).name == package:
            return min(Version(s.version) for s in Requirement(line).specifier if s.operator in (">=", "=="))
    raise AssertionError(f"{package} is not in requirements.txt")


@pytest.mark.parametrize("package, needed, used", [
    ("torch", "2.5", r"torch\.OutOfMemoryError"),
    ("streamlit", "1.52", r"download_button\([^)]*data=(?!b?['\"])\w+(?!\()"),
], ids=["torch-oom", "streamlit-deferred-download"])
def test_requirement_floor_covers_the_features_used(package, needed, used):
    if re.search(used, CODE):
        assert _floor(package) >= Version(needed)


def test_python_floor_covers_hashlib_file_digest():
    declared = re.search(r'requires-python\s*=\s*">=([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert "hashlib.file_digest" in CODE and Version(declared) >= Version("3.11")
    assert "Python 3.11+" in (ROOT / "README.md").read_text(encoding="utf-8")


def _warns_from(module: str):
    """A function whose DeprecationWarning is attributed to ``module``, as the warnings machinery sees it."""
    namespace = {"__name__": module}
    exec("import warnings\ndef call():\n    warnings.warn('old API', DeprecationWarning)\n", namespace)
    return namespace["call"]


def test_a_deprecation_from_our_own_code_fails_the_test():
    # pytest.ini turns them into errors: version drift shows in the tests, not in production.
    with pytest.raises(DeprecationWarning, match="old API"):
        _warns_from("attnviz.some_module")()


def test_a_deprecation_inside_a_dependency_stays_a_visible_warning():
    with pytest.warns(DeprecationWarning, match="old API"):
        _warns_from("some_dependency.module")()
