"""SwanLab's conventions, known only inside sources/swanlab: config wrappers, system keys."""

from __future__ import annotations

from swansync.sources.swanlab.conventions import metric_class, unwrap_config


def test_unwrap_config_only_unwraps_swanlab_wrappers():
    raw = {
        "lr": {"value": 0.1, "desc": "", "sort": 0},
        "plain": 3,
        "looks_like": {"value": 1, "other": 2},
        "nested": {"value": {"a": {"value": 5}}, "sort": 1},
    }
    out = unwrap_config(raw)
    assert out == {
        "lr": 0.1,
        "plain": 3,
        "looks_like": {"value": 1, "other": 2},
        "nested": {"a": {"value": 5}},
    }
    assert unwrap_config(None) == {}


def test_system_keys_are_swanlab_hardware_monitors():
    assert metric_class("__swanlab__.cpu.usage") == "SYSTEM"
    assert metric_class("__swanlab__") == "SYSTEM"
    assert metric_class("train/loss") == "CUSTOM"
    assert metric_class("system.cpu") == "CUSTOM"  # W&B's naming means nothing to SwanLab


def test_media_kind_reads_the_storage_path_whatever_the_key():
    """Storage paths hold the key, and a key may hold `?` or `#`: the suffix still counts
    (found by tests/property/test_pull_worlds.py: key '?*' mirrored as kind 'other')."""
    from swansync.sources.swanlab.conventions import media_kind

    assert media_kind("media/?*/0-0.png") == "image"
    assert media_kind("media/a#b?c/1-2.mp3") == "audio"
    assert media_kind("media/k/0-0.png?") == "other"
    assert media_kind("media/k/.png") == "other"
