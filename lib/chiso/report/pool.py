"""Worker processes, each with one warm Jupyter kernel, that execute and render the tasks of a run."""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Iterable

from chiso.report.tasks import (DEFAULT_RENDERER, FAILED, SKIPPED, RenderTask, TaskResult, execute_task, last_line,
                                pending_tasks, resolve)
# Imported once into every warm kernel when it starts, so that no notebook pays for them.
KERNEL_PRELOAD = ("pandas", "matplotlib.pyplot", "chiso.report.data", "chiso.report.text",
                  "chiso.report.unit_tables", "chiso.report.province_tables", "chiso.report.maps",
                  "chiso.report.charts", "chiso.report.blocks")


def _start_worker(preload: tuple[str, ...], renderers: list[str]) -> None:
    """Pool initializer: start this worker's warm kernel and import the renderers once."""
    from chiso.report.engines import process_kernel

    # Ctrl-C goes to the whole process group: the parent handles it (no new notebook is
    # started, the running ones finish); a worker interrupted mid-notebook would only
    # leave a half-written unit behind. (Already ignored from the start when the pool was
    # created in the main thread, see _children_ignore_ctrl_c.) Kernels have their own session.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    process_kernel(preload)
    for renderer in renderers:
        resolve(renderer)


def _worker_ready() -> None:
    """The no-op each worker runs first (see WarmPool)."""


@contextmanager
def _children_ignore_ctrl_c():
    """Processes started inside inherit an ignored SIGINT (an ignored signal stays ignored
    across exec, and Python then installs no KeyboardInterrupt handler): a Ctrl-C while a
    worker is still starting cannot kill it with a traceback. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class WarmPool:
    """Worker processes, each with one warm kernel, started before the work is known.

    Creating the pool starts every worker at once, so that workers import their modules
    and start their kernels while the parent computes the index; :meth:`run` executes
    tasks on them. Workers are fresh processes (spawn): the parent has run pandas and
    pyarrow threads, which a forked child must not inherit. Leaving the ``with`` block
    shuts workers and kernels down; a pool that ran nothing is not waited for.

    >>> with WarmPool(jobs=2) as pool:                                   # doctest: +SKIP
    ...     results = pool.run(tasks, reasons={"D1": "forced"})
    """

    def __init__(self, jobs: int, preload: tuple[str, ...] | None = None,
                 renderers: Iterable[str] = (DEFAULT_RENDERER,)):
        self.jobs = jobs
        self._used = False
        self._executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(KERNEL_PRELOAD if preload is None else tuple(preload), sorted(set(renderers))),
        )
        # The executor starts a worker for each call submitted while no worker is idle:
        # one no-op call per worker starts them all now rather than at the first task.
        with _children_ignore_ctrl_c():
            for _ in range(jobs):
                self._executor.submit(_worker_ready)

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, exc_type, *_) -> None:
        self._executor.shutdown(wait=self._used and exc_type is None, cancel_futures=True)

    def run(self, tasks: list[RenderTask], reasons: dict[str, str], progress: bool = True) -> dict[str, TaskResult]:
        """Execute and render ``tasks`` (see :func:`execute_task`), with a progress bar.

        ``reasons`` (task name → why it runs) goes into each result. On Ctrl-C no new
        task starts; the running ones finish, then KeyboardInterrupt propagates.
        """
        from tqdm import tqdm

        self._used = True
        results: dict[str, TaskResult] = {}
        # disable=None: no bar when stderr is not a terminal (logs, CI), only the summary.
        bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=None if progress else True,
                   file=sys.stderr)
        try:
            futures = {self._executor.submit(execute_task, task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - the worker died, or its kernel did not start
                    result = TaskResult(task.name, FAILED, task.executed_notebook,
                                        error=f"worker: {last_line(exc)}")
                result.reason = reasons.get(task.name)
                results[task.name] = result
                bar.update(1)
                if result.status == FAILED:
                    bar.set_postfix(failed=sum(r.status == FAILED for r in results.values()))
        except KeyboardInterrupt:
            bar.write("interrupted: letting the running reports finish, starting no new one", file=sys.stderr)
            self._executor.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            bar.close()
        return results


def render_tasks(
    tasks: Iterable[RenderTask],
    jobs: int,
    force: bool = False,
    progress: bool = True,
    preload: tuple[str, ...] | None = None,
    pool: WarmPool | None = None,
) -> list[TaskResult]:
    """Skip the current tasks, execute and render the others on ``jobs`` warm workers.

    Results come back in the order of ``tasks``. ``preload``: modules every warm kernel
    imports when it starts (default :data:`KERNEL_PRELOAD`). ``pool``: workers already
    started (then ``jobs`` and ``preload`` are the pool's); else a pool is started for
    the tasks that need to run, if any.

    >>> results = render_tasks([task_a, task_b], jobs=2)                  # doctest: +SKIP
    >>> [r.status for r in results]                                      # doctest: +SKIP
    ['rendered', 'failed']
    """
    tasks = list(tasks)
    reasons = pending_tasks(tasks, force)
    todo = [task for task in tasks if task.name in reasons]
    results = {task.name: TaskResult(task.name, SKIPPED, task.executed_notebook, task.outputs)
               for task in tasks if task.name not in reasons}
    if todo and pool is not None:
        results.update(pool.run(todo, reasons, progress))
    elif todo:
        with WarmPool(min(jobs, len(todo)), preload, {task.renderer for task in todo}) as own_pool:
            results.update(own_pool.run(todo, reasons, progress))
    return [results[task.name] for task in tasks]
