"""The collector settings of a coding run (``api.run_gc``) are undone afterwards."""

from __future__ import annotations

import gc

import pytest

from detente.api import RUN_GC_THRESHOLD, run_gc


def test_run_gc_freezes_and_restores() -> None:
    before = gc.get_threshold()
    if gc.get_freeze_count():
        pytest.skip("something in this process froze objects already")
    with run_gc():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == max(before[0], RUN_GC_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_run_gc_leaves_a_callers_frozen_heap_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with run_gc():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_run_gc_restores_after_an_error() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        with run_gc():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
