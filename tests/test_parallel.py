import os

import pytest

from generator import parallel
from generator.errors import no_progress


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_fork_map_keeps_the_order_and_runs_in_other_processes(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    items = list(range(300))
    results = parallel.fork_map(lambda i: (i * i, os.getpid()), items, no_progress("test", 300))
    assert [square for square, _ in results] == [i * i for i in items]
    assert os.getpid() not in {pid for _, pid in results}


def test_a_failing_item_makes_fork_map_give_up_and_map_all_raise_it_here(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    def work(i):
        if i == 123:
            raise ValueError("item 123")
        return i
    assert parallel.fork_map(work, list(range(300)), no_progress("test", 300)) is None
    with pytest.raises(ValueError, match="item 123"):
        parallel.map_all(work, list(range(300)), no_progress("test", 300))


def test_few_items_stay_in_this_process():
    assert parallel.fork_map(os.getpid, [], no_progress("test", 0)) is None
    assert parallel.map_all(lambda i: (i, os.getpid()), [1, 2], no_progress("test", 2)) == [(1, os.getpid()), (2, os.getpid())]
