"""Worker processes, each with one warm Jupyter kernel, that execute and render the tasks of a run.

Stopping and crashing, the cases a batch of 167 reports meets:

- **Ctrl-C or SIGTERM** to ``chiso report``: the parent stops the workers at once (each
  kills its kernel, then exits); :class:`RunInterrupted` says which reports had finished.
  A report being made when the run stopped is not published (its outputs are renamed
  into place only when complete).
- **The parent is killed** (SIGKILL, the terminal closed): each worker watches its parent
  and exits, with its kernel, within a second (:func:`_watch_parent`); a kernel also exits
  on its own when its worker is gone (ipykernel's parent poller).
- **A worker crashes** (killed, out of memory): the executor breaks, every report in
  flight is lost. The pool starts new workers and runs again what was not finished; a
  report that was being made when a worker died is retried once
  (:data:`MAX_CRASH_RETRIES`), then fails alone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Iterable

from chiso.report.tasks import (CURRENT, DEFAULT_RENDERER, FAILED, SKIPPED, RenderTask, TaskResult, execute_task,
                                last_line, pending_tasks, resolve)

# Imported once into every warm kernel when it starts, so that no notebook pays for them.
KERNEL_PRELOAD = ("pandas", "matplotlib.pyplot", "chiso.report.data", "chiso.report.text",
                  "chiso.report.unit_tables", "chiso.report.province_tables", "chiso.report.maps",
                  "chiso.report.charts", "chiso.report.blocks")
# A report whose worker died while making it runs once more before it counts as failed.
MAX_CRASH_RETRIES = 1
# How often a worker checks that the process that started it is still there.
PARENT_POLL_SECONDS = 0.25
# How long stopped workers get to exit before they are killed.
STOP_WAIT_SECONDS = 5.0


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped (Ctrl-C, SIGTERM) while making reports; says what had finished."""

    def __init__(self, finished: list[TaskResult], total: int):
        super().__init__()
        self.finished, self.total = finished, total

    def __str__(self) -> str:
        done = [r.name for r in self.finished if r.status in CURRENT]
        shown = ", ".join(done[:10]) + (f" and {len(done) - 10} more" if len(done) > 10 else "")
        return (f"{len(done)} of {self.total} reports finished before the stop{f' ({shown})' if done else ''}; "
                "workers and kernels stopped; the site, the Excel file and the manifest were not updated — "
                "run again to finish (finished reports are skipped)")


def _start_worker(preload: tuple[str, ...], renderers: list[str], parent: int) -> None:
    """Pool initializer: watch the parent, start this worker's warm kernel, import the renderers."""
    from chiso.report.engines import process_kernel

    # Ctrl-C goes to the whole process group: the parent handles it and stops the workers
    # (SIGTERM). (Already ignored from the start when the pool was created in the main
    # thread, see _children_ignore_ctrl_c.) Kernels have their own session.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    _watch_parent(parent)
    process_kernel(preload)
    for renderer in renderers:
        resolve(renderer)


def _stop_worker(signum: int = signal.SIGTERM, frame=None) -> None:
    """Stop this worker now: its kernel first (killed, it holds no result worth saving),
    then the process itself, without cleanup (nothing half-made is ever published)."""
    from chiso.report.engines import kill_process_kernel

    kill_process_kernel()
    os._exit(128 + signum)


def _watch_parent(parent: int) -> None:
    """A daemon thread that stops this worker when ``parent`` is no longer its parent
    (killed with SIGKILL: no chance to stop its workers itself)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        _stop_worker(signal.SIGHUP)

    threading.Thread(target=watch, name="chiso-parent-watch", daemon=True).start()

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
    shuts workers and kernels down (at once after an error or an interrupt); a pool that
    ran nothing is not waited for.

    >>> with WarmPool(jobs=2) as pool:                                   # doctest: +SKIP
    ...     results = pool.run(tasks, reasons={"D1": "forced"})
    """

    def __init__(self, jobs: int, preload: tuple[str, ...] | None = None,
                 renderers: Iterable[str] = (DEFAULT_RENDERER,)):
        self.jobs = jobs
        self._used = False
        self._initargs = (KERNEL_PRELOAD if preload is None else tuple(preload), sorted(set(renderers)), os.getpid())
        self._executor = self._new_executor()
        # The executor starts a worker for each call submitted while no worker is idle:
        # one no-op call per worker starts them all now rather than at the first task.
        with _children_ignore_ctrl_c():
            for _ in range(jobs):
                self._executor.submit(_worker_ready)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=self._initargs)

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None:
            self.stop()
        else:
            self._executor.shutdown(wait=self._used, cancel_futures=True)

    def stop(self) -> None:
        """Stop every worker now (each kills its kernel, then exits); kill those that linger."""
        # The executor keeps its worker processes in a private attribute; there is no
        # public way to stop a running call.
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        self._executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()

    def run(self, tasks: list[RenderTask], reasons: dict[str, str], progress: bool = True) -> dict[str, TaskResult]:
        """Execute and render ``tasks`` (see :func:`execute_task`), with a progress bar.

        ``reasons`` (task name → why it runs) goes into each result. A worker that dies is
        replaced and the report it was making is retried once (see the module docstring).
        On Ctrl-C (or SIGTERM made a KeyboardInterrupt) the workers stop at once and
        :class:`RunInterrupted` says what had finished.
        """
        from tqdm import tqdm

        self._used = True
        results: dict[str, TaskResult] = {}
        crashes: Counter[str] = Counter()
        idle_breaks = 0
        # disable=None: no bar when stderr is not a terminal (logs, CI), only the summary.
        bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=None if progress else True,
                   file=sys.stderr)

        def record(task: RenderTask, result: TaskResult) -> None:
            result.reason = reasons.get(task.name)
            results[task.name] = result
            bar.update(1)
            if result.status == FAILED:
                bar.set_postfix(failed=sum(r.status == FAILED for r in results.values()))

        todo = list(tasks)
        try:
            while todo:
                for task in todo:  # see execute_task: the marker says a worker had started it
                    task.running_file.unlink(missing_ok=True)
                with _children_ignore_ctrl_c():  # new workers may start here
                    futures = {self._executor.submit(execute_task, task): task for task in todo}
                todo, crashed = [], []
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        record(task, future.result())
                    except BrokenProcessPool as exc:
                        if not task.running_file.exists():
                            todo.append(task)                  # not started: runs on the new workers
                            continue
                        crashed.append(task.name)
                        crashes[task.name] += 1
                        if crashes[task.name] <= MAX_CRASH_RETRIES:
                            todo.append(task)
                        else:
                            record(task, TaskResult(task.name, FAILED, task.executed_notebook, error=(
                                f"worker: the process making this report died {crashes[task.name]} times "
                                f"(killed, or out of memory?): {last_line(exc)}")))
                    except Exception as exc:  # noqa: BLE001 - e.g. a task that cannot be sent to a worker
                        record(task, TaskResult(task.name, FAILED, task.executed_notebook,
                                                error=f"worker: {last_line(exc)}"))
                if todo:
                    # The pool broke. Workers that die before starting any report (their
                    # kernel cannot start) would die again: give up after a second time.
                    idle_breaks = 0 if crashed else idle_breaks + 1
                    if idle_breaks > 1:
                        for task in todo:
                            record(task, TaskResult(task.name, FAILED, task.executed_notebook,
                                                    error="worker: the worker processes could not start"))
                        break
                    bar.write(f"a worker died ({', '.join(crashed) or 'idle'}): starting new workers", file=sys.stderr)
                    self._executor.shutdown(wait=True, cancel_futures=True)
                    self._executor = self._new_executor()
        except KeyboardInterrupt:
            self.stop()
            raise RunInterrupted(list(results.values()), len(tasks)) from None
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
