"""One parser for every ATTNVIZ_* variable: defaults when unset, a message naming the variable when unusable."""

from __future__ import annotations

import pytest

import attnviz
from attnviz import settings
from attnviz.settings import Settings, SettingsError


def test_settings_unset_or_empty_means_the_defaults():
    assert settings.parse({}) == Settings()
    assert settings.parse({name: "  " for name in settings.NAMES}) == Settings()


def test_settings_parse_every_variable():
    got = settings.parse({
        "ATTNVIZ_MODEL_ROOT": "/models: /more ", "ATTNVIZ_MAX_MODEL_BYTES": "2_000", "ATTNVIZ_CACHE_MB": "0",
        "ATTNVIZ_DEVICE": "CUDA:1", "ATTNVIZ_TORCH_THREADS": "3", "ATTNVIZ_DTYPE": "BFloat16", "HF_HUB_OFFLINE": "1",
    })
    assert got == Settings(("/models", "/more"), 2000, 0, "cuda:1", 3, "bfloat16", True)


@pytest.mark.parametrize("name, value", [
    ("ATTNVIZ_CACHE_MB", "lots"), ("ATTNVIZ_CACHE_MB", "-1"), ("ATTNVIZ_MAX_MODEL_BYTES", "1.5e9"),
    ("ATTNVIZ_MAX_MODEL_BYTES", "0"), ("ATTNVIZ_TORCH_THREADS", "x"), ("ATTNVIZ_TORCH_THREADS", "0"),
    ("ATTNVIZ_DEVICE", "tpu"), ("ATTNVIZ_DTYPE", "int8"),
], ids=["cache-word", "cache-negative", "bytes-float", "bytes-zero", "threads-word", "threads-zero", "device",
        "dtype"])
def test_settings_bad_value_names_the_variable_and_what_it_accepts(name, value):
    with pytest.raises(SettingsError, match=f"{name} to '{value}'.*must be"):
        settings.parse({name: value})


@pytest.mark.parametrize("env, offline", [
    ({"HF_HUB_OFFLINE": "ON"}, True), ({"HF_HUB_OFFLINE": "yes"}, True), ({"HF_HUB_OFFLINE": "True"}, True),
    ({"HF_HUB_OFFLINE": "0"}, False), ({"HF_HUB_OFFLINE": "off"}, False), ({"TRANSFORMERS_OFFLINE": "1"}, True),
    ({"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "1"}, False),
], ids=["ON", "yes", "True", "0", "off", "transformers", "hub-first"])
def test_settings_offline_flag_is_parsed_as_huggingface_hub_parses_it(env, offline):
    from huggingface_hub import constants

    assert settings.parse(env).hub_offline is offline
    hub = env.get("HF_HUB_OFFLINE") or env.get("TRANSFORMERS_OFFLINE")
    assert constants._is_true(hub) is offline  # the same answer as the hub's own parser


def test_bad_setting_stops_load_model_with_its_message(monkeypatch):
    """A bad value used to be ignored (ATTNVIZ_MAX_MODEL_BYTES) or crash (ATTNVIZ_CACHE_MB); now it is named."""
    monkeypatch.setenv("ATTNVIZ_MAX_MODEL_BYTES", "lots")
    with pytest.raises(SettingsError, match="ATTNVIZ_MAX_MODEL_BYTES"):
        attnviz.load_model(None)


def test_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("ATTNVIZ_CACHE_MB", "7")
    assert settings.current().cache_mb == 7
    monkeypatch.setenv("ATTNVIZ_CACHE_MB", "8")
    assert settings.current().cache_mb == 8


@pytest.mark.usefixtures("fresh_caches")
@pytest.mark.parametrize("name", ["ATTNVIZ_CACHE_MB", "ATTNVIZ_MAX_MODEL_BYTES"], ids=["cache", "model-bytes"])
def test_bad_setting_is_a_message_on_the_page_not_a_crash(name, monkeypatch):
    """ATTNVIZ_CACHE_MB=lots used to raise at import and take every page down."""
    from tests.apptest import open_page, shown

    monkeypatch.setenv(name, "lots")
    at = open_page("pages/1_Inspect.py", {"text": "a fine film"})
    assert not at.exception
    messages = [shown(e.value) for e in at.error]
    assert any(name in m and "'lots'" in m for m in messages), messages


@pytest.mark.parametrize("value", ["ON", "yes", "TRUE"])
def test_hub_offline_spelled_as_huggingface_hub_allows_is_honoured(value, monkeypatch):
    """HF_HUB_OFFLINE=ON used to be read as online here while huggingface_hub read it as offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    with pytest.raises(attnviz.ModelLoadError, match="runs offline"):
        attnviz.load_model("some-org/some-model-that-is-not-cached")
