import collections
import os
import platform
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from generator import parallel, snapshot
from generator.errors import no_progress


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_many_items_are_shared_with_other_processes_each_done_once(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    items = list(range(300))
    results = list(parallel.imap(lambda i: (i * i, os.getpid()), items, no_progress("test", 300)))
    assert sorted(index for index, _ in results) == items
    assert all(square == index * index for index, (square, _) in results)
    pids = {pid for _, (_, pid) in results}
    assert os.getpid() in pids and len(pids) >= 2  # this process takes its share, workers the rest


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_workers_replaced_by_fresh_ones_still_do_each_item_once(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    monkeypatch.setattr(parallel, "worker_count", lambda: 1)
    items = list(range(640))
    def work(i):
        time.sleep(0.002)  # long enough for a fresh worker to start before this process has done all
        return i, os.getpid()
    results = list(parallel.imap(work, items, no_progress("test", 640), fresh_every=20))
    assert sorted(index for index, _ in results) == items and all(i == index for index, (i, _) in results)
    done_by = collections.Counter(pid for _, (_, pid) in results)
    assert done_by[os.getpid()] > 0  # this process takes its share
    del done_by[os.getpid()]
    assert len(done_by) >= 2 and max(done_by.values()) <= 20  # a fresh worker after every 20 items or so


def test_near_the_end_workers_get_halves_of_chunks_then_halves_of_those():
    chunks = collections.deque([range(0, 10), range(10, 20), range(20, 30)])
    taken = [parallel._next_for_workers(chunks, ahead=2) for _ in range(4)]
    # 20 items left after the first: two more chunks of 10 would take them all, so the second is cut
    assert taken == [range(20, 30), range(15, 20), range(10, 15), range(5, 10)]
    assert list(chunks) == [range(0, 5)]


def test_this_process_takes_part_of_a_chunk_and_leaves_the_rest_first():
    chunks = collections.deque([range(0, 10), range(10, 20)])
    assert parallel._next_here(chunks, 6) == range(0, 6)
    assert parallel._next_here(chunks, 6) == range(6, 10)
    assert list(chunks) == [range(10, 20)]


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_this_process_does_half_chunks(monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    monkeypatch.setattr(parallel, "worker_count", lambda: 1)
    log, done = tmp_path / "chunks", []  # each process has its own `done`, from the fork on

    def note_chunk():
        with open(log, "a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()} {len(done)}\n")
        done.clear()

    items = list(range(640))  # 64 chunks of 10
    results = list(parallel.imap(lambda i: done.append(i) or i, items, no_progress("test", 640),
                                 after_chunk=note_chunk))
    assert sorted(index for index, _ in results) == items
    chunks = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    here = [int(size) for pid, size in chunks if int(pid) == os.getpid()]
    assert here and max(here) <= 5
    assert max(int(size) for pid, size in chunks if int(pid) != os.getpid()) == 10


# 300 items in chunks of 5 neighbours; this process takes chunks from the front, workers from
# the end: item 0 fails here, item 299 in a worker.
@pytest.mark.parametrize("failing", [0, 299])
def test_a_failing_item_is_done_again_here_and_raises_with_nothing_done_twice(monkeypatch, failing):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    def work(i):
        if i == failing:
            raise ValueError(f"item {i}")
        return i
    seen = []
    with pytest.raises(ValueError, match=f"item {failing}"):
        for index, _ in parallel.imap(work, list(range(300)), no_progress("test", 300)):
            seen.append(index)
    assert len(seen) == len(set(seen)) and failing not in seen


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_a_job_meanwhile_runs_once_here_beside_the_items_and_its_failure_is_raised_after_them(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    monkeypatch.setattr(parallel, "worker_count", lambda: 1)
    ran, seen = [], []

    def work(i):
        time.sleep(0.002)
        return os.getpid()

    def meanwhile():
        ran.append((os.getpid(), threading.current_thread() is threading.main_thread(), len(seen)))
        raise ValueError("meanwhile")

    with pytest.raises(ValueError, match="meanwhile"):
        for index, _ in parallel.imap(work, list(range(300)), no_progress("test", 300), meanwhile=meanwhile):
            seen.append(index)
    assert sorted(seen) == list(range(300))  # every item done before the failure is raised
    assert len(ran) == 1 and ran[0][:2] == (os.getpid(), False) and ran[0][2] < 300  # in a thread, early on


def test_a_job_meanwhile_runs_after_items_that_stay_here():
    order = []
    results = parallel.imap(lambda i: order.append(i), [1, 2], no_progress("test", 2),
                            meanwhile=lambda: order.append("meanwhile"))
    assert len(list(results)) == 2 and order == [1, 2, "meanwhile"]


def test_few_items_stay_in_this_process():
    results = parallel.imap(lambda i: (i, os.getpid()), [1, 2], no_progress("test", 2))
    assert list(results) == [(0, (1, os.getpid())), (1, (2, os.getpid()))]


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_with_too_little_memory_for_another_copy_the_items_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    monkeypatch.setattr(parallel, "memory_held", lambda: 400 << 20)
    monkeypatch.setattr(parallel, "memory_available", lambda: 700 << 20)  # not two more copies
    results = list(parallel.imap(lambda i: os.getpid(), list(range(300)), no_progress("test", 300)))
    assert {pid for _, pid in results} == {os.getpid()} and len(results) == 300


def test_workers_are_as_many_as_cores_and_memory_allow(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(parallel, "memory_held", lambda: 100)
    for available, workers in [(None, 3), (10_000, 3), (400, 3), (399, 2), (200, 1), (199, 0), (0, 0)]:
        monkeypatch.setattr(parallel, "memory_available", lambda: available)
        assert parallel.worker_count() == workers, available
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    monkeypatch.setattr(parallel, "memory_available", lambda: None)
    assert parallel.worker_count() == 7


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_memory_freed_but_held_by_the_c_allocator_is_given_back():
    # Run apart, so that this test's heap is all it measures.
    code = textwrap.dedent("""
        from generator import parallel
        rows = [bytes(2000) for _ in range(40_000)]  # 80 MB, from malloc (objects over 512 bytes)
        last = rows[-1]  # kept: the free memory below it cannot go back by shrinking the heap
        del rows
        held = parallel.memory_held()
        parallel.return_free_memory()
        print(held - parallel.memory_held())
    """)
    given_back = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert given_back > 40 << 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux can widen a pipe")
def test_the_pipe_results_come_back_through_holds_a_chunks_results_at_once():
    import fcntl
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1) as pool:
        parallel._widen_results_pipe(pool)
        size = fcntl.fcntl(pool._result_queue._reader.fileno(), fcntl.F_GETPIPE_SZ)
    assert size == snapshot.PIPE_SIZE  # the pool's pipe is still where digest looks for it


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_a_worker_ends_without_a_word_on_ctrl_c():
    import signal

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # as a worker of the pool: its output goes to the pipe
        try:
            os.dup2(write, 1)
            os.dup2(write, 2)
            parallel._start_worker(len, [], None)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as stream:
        said = stream.read()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1 and said == b""
