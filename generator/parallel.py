"""Run one function over many items across the machine's cores.

Workers are forked, so they inherit everything the function needs (the linked
site, the Jinja environment) instead of receiving it pickled; only the items'
indexes go out and the results come back.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import threading
from typing import Callable, Iterator, TypeVar

from . import snapshot
from .errors import ProgressBar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this, starting worker processes costs more than it saves
# The items go in this many chunks of neighbours, and neighbouring pages show much the same:
# interleaved chunks made each process convert more of the same Markdown bodies again (a cold
# build at 10,000 launches: 17,796 conversions against 16,790; user CPU time 1.00-1.30 times
# as much, six builds each taking turns). Workers take the last chunks first: the slow feeds.
CHUNK_COUNT = 64
FRESH_RUNS = 8  # with imap's fresh_every, the runs a worker does before it ends: short, as a fresh worker
# waits for this process to end the run it is in

_job: tuple[Callable, list, Callable | None] | None = None  # imap's (function, items, after_chunk), in each worker


def imap(function: Callable[[T], R], items: list[T], bar: ProgressBar,
         fresh_every: int | None = None, after_chunk: Callable[[], None] | None = None,
         meanwhile: Callable[[], None] | None = None) -> Iterator[tuple[int, R]]:
    """(index, function(items[index])) for every item, as they are done, in no set order.

    Items are done in worker processes when there are many. If one fails there,
    the items not yet done are done in this process, where the failure is raised
    with its traceback. `fresh_every`: a worker does at most about this many items
    before it ends and a fresh one is forked, which lets go of the memory the last
    one had copied (see _fork_imap). `after_chunk`: called by each process after each chunk of
    items it did (a worker's last chance to save what it made for later is after its last chunk);
    not after the items done in this process alone, at the end. `meanwhile`: done once by this
    process, in a thread while it does its share of the items with the workers (else after the
    items), its failure raised once they are all done: the workers take more of the items meanwhile.
    """
    done, side_job = [False] * len(items), SideJob(meanwhile)
    workers_meanwhile = side_job if not fresh_every else SideJob(None)  # fresh workers are forked later
    try:
        for index, result in _fork_imap(function, items, fresh_every, after_chunk, workers_meanwhile):
            done[index] = True
            bar.update(1)
            yield index, result
        for index, item in enumerate(items):
            if not done[index]:
                result = function(item)
                bar.update(1)
                yield index, result
    except BaseException:
        side_job.wait()
        raise
    side_job.finish()


class SideJob:
    """A job done beside this thread: by another thread once started, else by `finish`, which
    raises what it raised. Never started while workers may yet be forked: a worker forked
    then would find that thread's locks held (imap starts its `meanwhile` once they are)."""

    def __init__(self, job: Callable[[], None] | None):
        self.job, self.thread, self.failure = job, None, None

    def start(self) -> None:
        if self.job and not self.thread:
            self.thread = threading.Thread(target=self._run, name="digest-meanwhile")
            self.thread.start()

    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def wait(self) -> None:
        if self.thread:
            self.thread.join()

    def finish(self) -> None:
        """Wait for the job, or run it if it was not started; raise what it raised."""
        if self.thread:
            self.thread.join()
        elif self.job:
            self._run()
        if self.failure:
            raise self.failure

    def _run(self) -> None:
        try:
            self.job()
        except BaseException as exc:  # noqa: BLE001 - raised by finish, in the thread that called imap
            self.failure = exc


def _fork_imap(function: Callable[[T], R], items: list[T], fresh_every: int | None,
               after_chunk: Callable[[], None] | None, side_job: SideJob) -> Iterator[tuple[int, R]]:
    """What imap gives, from this process and forked workers; stops early when not worth
    it or when an item failed.

    This process takes its share of the items too, one worker fewer: a forked worker
    gradually copies the memory of all it reads (reference counts are written to), so
    each worker costs nearly as much memory as this process (at 10,000 launches, ~140 MB).
    Every page of memory that either process writes to while they share it is then held
    twice, until the worker ends: hence `fresh_every`.
    """
    if len(items) < MIN_ITEMS:
        return
    import multiprocessing  # only here: importing it took ~8 ms of every command, most doing too few items

    if "fork" not in multiprocessing.get_all_start_methods():
        return
    workers = worker_count()
    if workers < 1:
        return
    size = -(-len(items) // CHUNK_COUNT)  # rounded up
    if fresh_every:
        size = min(size, max(1, fresh_every // FRESH_RUNS))
    chunks = collections.deque(range(start, min(start + size, len(items))) for start in range(0, len(items), size))
    runs_per_worker = -(-fresh_every // size) if fresh_every else len(chunks)
    own_size = -(-size // 2)  # this process takes half chunks: it comes back to give the workers more sooner
    try:
        while chunks:
            yield from _one_round((function, items, after_chunk), chunks, workers, runs_per_worker, own_size,
                                  side_job)
    except Exception:  # noqa: BLE001 - imap does the rest here, and raises it properly
        return


def _one_round(job: tuple[Callable, list, Callable | None], chunks: collections.deque[range],
               workers: int, runs_per_worker: int, own_size: int, side_job: SideJob) -> Iterator[tuple[int, R]]:
    """Do chunks from `chunks` here (`own_size` items at most at a time) and in freshly forked
    workers until these have done `runs_per_worker` each, or none is left; the workers then end.
    `side_job` is run here once the workers have their first chunks.

    This process does half chunks, so as to come back sooner to give the workers more: a whole
    chunk of its own lasted as long as the two a worker held, and reading 10,000 launches the worker
    was idle 0.6 of 2.8 s, against 0.4 of 2.6 s with half chunks. Near the end, the workers get
    halves of chunks, and halves of those: what they hold is what this process waits for once none
    is left (rendering, the worker ended 0.04-0.39 s after this process, against 0.01-0.05 s; three
    builds each).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("fork")
    given = 0
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=job) as pool:
        _widen_results_pipe(pool)
        running: dict[Future, range] = {}
        while chunks or running:
            # While this process shares its time with the side job, it comes back here less often: the
            # workers get more chunks ahead, so as not to wait for it.
            ahead = (4 if side_job.busy() else 2) * workers
            while chunks and len(running) < ahead and given < runs_per_worker * workers:
                chunk = _next_for_workers(chunks, ahead)
                running[pool.submit(_run_chunk, chunk)] = chunk
                given += 1
            side_job.start()
            if chunks:  # this process from the front
                chunk = _next_here(chunks, own_size)
                yield from zip(chunk, _run_chunk(chunk, job))
            if not running:
                return
            # While this process has chunks left, it only collects what is done; then it waits.
            done = [f for f in running if f.done()] if chunks else wait(running, return_when=FIRST_COMPLETED).done
            for future in done:
                yield from zip(running.pop(future), future.result())


def _next_for_workers(chunks: collections.deque[range], ahead: int) -> range:
    """The last chunk, or its second half when what is left would not fill `ahead` such chunks."""
    chunk = chunks.pop()
    if len(chunk) > 1 and sum(map(len, chunks)) < ahead * len(chunk):
        chunks.append(chunk[:len(chunk) // 2])
        chunk = chunk[len(chunk) // 2:]
    return chunk


def _next_here(chunks: collections.deque[range], size: int) -> range:
    """The first `size` items of the first chunk (the rest left first)."""
    chunk = chunks.popleft()
    if len(chunk) > size:
        chunks.appendleft(chunk[size:])
        chunk = chunk[:size]
    return chunk


def _widen_results_pipe(pool) -> None:
    """Let the pipe the pool's workers send results through hold a chunk's results at once.

    The results of a chunk of files read are ~600 kB at 10,000 launches, and the pipe holds
    64 kB: the worker waited after each 64 kB for this process's thread that takes them,
    itself waiting for the GIL this process's work holds. The worker then waited 0.6-0.8 s
    of the ~3 s of reading, against 0.3-0.5 s with the pipe widened (measured). Linux alone
    can widen a pipe; elsewhere, or in a pool that keeps its pipe otherwise, nothing changes.
    """
    with contextlib.suppress(AttributeError):
        snapshot.widen_pipe(pool._result_queue._reader.fileno())


def worker_count() -> int:
    """One worker per other core (up to 8 cores), as many as the memory available holds.

    Each worker ends up holding about as much as this process does: with less
    memory left than that, forking would get the build killed instead of slower.
    """
    cores = min(os.cpu_count() or 1, 8)
    available, held = memory_available(), memory_held()
    if available is None or not held:
        return cores - 1
    return max(0, min(cores - 1, available // held - 1))  # the last share is for this process to grow


def memory_available() -> int | None:
    """Bytes the system can give without swapping (Linux's MemAvailable); None where it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_held() -> int | None:
    """Bytes this process holds in memory (its resident set); None where the system does not say."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def return_free_memory() -> None:
    """Give the memory the C allocator holds free back to the system, where it can (glibc's malloc_trim).

    Reading and planning free much of what they made, but the allocator keeps it:
    at 100,000 launches 149 MB of the build's 1,446 MB just before rendering, and
    20 of 181 MB at 10,000 (measured; the call took 0.024 s).
    """
    import ctypes  # only here: importing it took ~2.5 ms of every command, most of them editing a few pages

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter uses
    except (AttributeError, OSError, TypeError):  # another C library, or Windows
        return
    trim(0)


def _start_worker(*job) -> None:
    global _job
    _job = job
    # Ctrl-C reaches every process of the build: a worker ends without a word (its traceback would
    # say nothing), and the build's process stops the build.
    signal.signal(signal.SIGINT, lambda *_: os._exit(1))


def _run_chunk(indexes: range, job: tuple[Callable, list, Callable | None] | None = None) -> list:
    function, items, after_chunk = job or _job
    results = [function(items[i]) for i in indexes]
    if after_chunk:
        after_chunk()
    return results
