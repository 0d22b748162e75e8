"""Run one function over many items across the machine's cores.

Workers are forked, so they inherit everything the function needs (the linked
site, the Jinja environment) instead of receiving it pickled; only the items'
indexes go out and the results come back.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, TypeVar

from .errors import ProgressBar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this, starting worker processes costs more than it saves
CHUNK_COUNT = 64  # chunks interleave the items, so slow and fast ones spread over the workers

_job: tuple[Callable, list] | None = None  # (function, items), set in each worker by fork


def map_all(function: Callable[[T], R], items: list[T], bar: ProgressBar) -> list[R]:
    """[function(item) for item in items], across the cores when there are many items."""
    results = fork_map(function, items, bar)
    if results is None:
        results = []
        for item in items:
            results.append(function(item))
            bar.update(1)
    return results


def fork_map(function: Callable[[T], R], items: list[T], bar: ProgressBar) -> list[R] | None:
    """[function(item) for item in items], in worker processes.

    None when not worth it (few items, one core, no fork) or when an item failed:
    the caller then does the work in this process, where a failure has its traceback.
    """
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return None
    step = min(CHUNK_COUNT, len(items))
    chunks = [range(start, len(items), step) for start in range(step)]
    results: list = [None] * len(items)
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(function, items)) as pool:
            for indexes, chunk in zip(chunks, pool.map(_run_chunk, chunks)):
                for index, result in zip(indexes, chunk):
                    results[index] = result
                bar.update(len(chunk))
    except Exception:  # noqa: BLE001 - the caller's serial pass raises it again, properly
        return None
    return results


def _start_worker(function: Callable, items: list) -> None:
    global _job
    _job = (function, items)


def _run_chunk(indexes: range) -> list:
    function, items = _job
    return [function(items[i]) for i in indexes]
