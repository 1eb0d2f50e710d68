"""One notebook to execute and render (a unit's report or the province summary), its key,
and what became of it. :func:`execute_task` runs in a worker process (:mod:`chiso.report.pool`)."""

from __future__ import annotations

import importlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from chiso.errors import ChisoError
from chiso.outputs import write_text
from chiso.paths import KEY_NAME, RUNNING_NAME, portable_path
from chiso.report.fingerprints import sha256_text
from chiso.report.request import OUTPUT_FORMATS

# What became of a report in a run (TaskResult.status, manifest.json "status").
RENDERED, SKIPPED, FAILED = "rendered", "skipped", "failed"
OUTDATED = "outdated"  # not rendered (not named by --unit) and not current: withdrawn
NOT_BUILT = "not_built"  # not rendered (not named by --unit) and never built in this folder
STATUSES = (RENDERED, SKIPPED, FAILED, OUTDATED, NOT_BUILT)
CURRENT = (RENDERED, SKIPPED)  # made from this run's inputs: published
DEFAULT_RENDERER = "chiso.report.render:render_notebook"
RENDER_ENGINE = "auto"
# A cell running longer than this is stuck; the unit fails and the worker gets a fresh kernel.
CELL_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class RenderTask:
    """One notebook to execute and render: a unit's report or the province summary.

    Picklable: it travels to a worker process. ``renderer`` is ``module:function``
    (resolved in the worker) with the signature of :func:`chiso.report.render.render_notebook`.
    """

    name: str
    notebook: Path
    parameters: dict
    work_dir: Path
    out_dir: Path
    formats: tuple[str, ...] = OUTPUT_FORMATS
    title: str | None = None
    banner: str | None = None
    render_engine: str = RENDER_ENGINE
    renderer: str = DEFAULT_RENDERER
    key: str = ""
    key_inputs: dict = field(default_factory=dict)

    @property
    def executed_notebook(self) -> Path:
        return self.work_dir / f"{self.name}.ipynb"

    @property
    def outputs(self) -> dict[str, Path]:
        return {fmt: self.out_dir / f"{self.name}.{fmt}" for fmt in self.formats}

    @property
    def key_file(self) -> Path:
        return self.work_dir / KEY_NAME

    @property
    def running_file(self) -> Path:
        """Present while a worker makes this report: after a worker crash, tells the
        reports it was making from those it had not started (:mod:`chiso.report.pool`)."""
        return self.work_dir / RUNNING_NAME

    def with_key(self, shared_inputs: dict) -> "RenderTask":
        """This task with its key: sha256 over ``shared_inputs`` (fingerprints of the
        notebook, code, methodology, data, tool versions) and the task's own settings."""
        inputs = {
            **shared_inputs,
            "name": self.name,
            "parameters": self.parameters,
            "formats": list(self.formats),
            "title": self.title,
            "banner": self.banner,
            "render_engine": self.render_engine,
            "renderer": self.renderer,
        }
        inputs = json.loads(json.dumps(inputs, sort_keys=True, default=str))
        return replace(self, key=sha256_text(json.dumps(inputs, sort_keys=True)), key_inputs=inputs)

    def stale_reason(self) -> str | None:
        """Why the outputs must be made again, or None when they exist and were made
        from exactly this task's inputs.

        >>> task.stale_reason()                                               # doctest: +SKIP
        'changed: code, data'
        """
        missing = [fmt for fmt, path in self.outputs.items() if not path.is_file()]
        if not self.executed_notebook.is_file():
            missing.insert(0, "notebook")
        if missing:
            return f"missing {', '.join(missing)}"
        try:
            previous = json.loads(self.key_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "no key of an earlier run"
        if previous.get("key") == self.key:
            return None
        before = previous.get("inputs", {})
        changed = sorted(k for k in before.keys() | self.key_inputs.keys() if before.get(k) != self.key_inputs.get(k))
        return f"changed: {', '.join(changed)}"


@dataclass
class TaskResult:
    """What became of one task. ``status``: one of :data:`STATUSES`."""

    name: str
    status: str
    notebook: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    execute_seconds: float = 0.0
    render_seconds: float = 0.0
    error: str | None = None
    reason: str | None = None  # why it was rendered (see RenderTask.stale_reason), None if skipped


def execute_task(task: RenderTask) -> TaskResult:
    """Execute ``task``'s notebook on this process's warm kernel, then render it.

    Runs in a worker process. Never raises for a failing notebook or renderer: the
    error's last line comes back in the result, and the executed notebook (with the
    traceback in its failing cell) stays in the unit's working folder.
    """
    import papermill

    from chiso.report.engines import ENGINE_NAME

    started = time.perf_counter()
    task.work_dir.mkdir(parents=True, exist_ok=True)
    # Outputs about to be replaced are no longer vouched for: if this run fails, or makes
    # HTML only, no report of an earlier run may stay behind to be published. They move to
    # the working folder (never published), where the renderer writes the new ones.
    for path in (task.key_file, task.executed_notebook):
        path.unlink(missing_ok=True)
    for fmt in OUTPUT_FORMATS:
        earlier = task.out_dir / f"{task.name}.{fmt}"
        if earlier.is_file():
            os.replace(earlier, task.work_dir / earlier.name)
    result = TaskResult(task.name, FAILED, task.executed_notebook)
    task.running_file.write_text(str(os.getpid()), encoding="utf-8")
    try:
        papermill.execute_notebook(
            task.notebook, task.executed_notebook, parameters=task.parameters, engine_name=ENGINE_NAME,
            cwd=task.work_dir, progress_bar=False, execution_timeout=CELL_TIMEOUT_SECONDS,
            # papermill's default rewrites (and validates) the whole notebook after every
            # cell, for watching long runs live: ~0.15 s per report for nothing here. The
            # notebook is still written once at the end, failed or not.
            request_save_on_cell_execute=False,
        )
        executed = time.perf_counter()
        result.execute_seconds = executed - started
        rendered = resolve(task.renderer)(
            task.executed_notebook, task.work_dir, task.name, formats=task.formats, title=task.title,
            banner=task.banner, engine=task.render_engine,
        )
        result.render_seconds = time.perf_counter() - executed
        result.outputs = _publish(rendered, task)
        # The inputs too, so that "why was this unit re-rendered?" can be answered by a diff.
        write_text(task.key_file, json.dumps({"key": task.key, "inputs": task.key_inputs}, indent=1,
                                             ensure_ascii=False))
        result.status = RENDERED
    except Exception as exc:  # noqa: BLE001 - one unit's failure must not stop the batch
        result.error = last_line(exc)
    _without_machine_paths(task)
    task.running_file.unlink(missing_ok=True)
    result.seconds = time.perf_counter() - started
    return result


def _without_machine_paths(task: RenderTask) -> None:
    """papermill records the absolute paths of the notebook and of its executed copy in the
    executed notebook's metadata: replace them by the project-relative notebook and the
    file's own name, so that the executed notebook says nothing of the machine's folders."""
    path = task.executed_notebook
    if not path.is_file():
        return
    notebook = json.loads(path.read_text(encoding="utf-8"))
    recorded = notebook.get("metadata", {}).get("papermill")
    if recorded is None:
        return
    recorded.update(input_path=portable_path(task.notebook), output_path=path.name)
    # As nbformat writes notebooks (sorted keys, one-space indent).
    write_text(path, json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n")


def _publish(rendered: dict[str, Path], task: RenderTask) -> dict[str, Path]:
    """Move the rendered files from the working folder to ``task.out_dir``.

    A rename within one file system is atomic: readers never see a half-written report.
    """
    missing = [fmt for fmt in task.formats if fmt not in rendered]
    if missing:
        raise ChisoError(f"renderer made no {', '.join(missing)} for {task.executed_notebook}")
    task.out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {}
    for fmt, target in task.outputs.items():
        source = Path(rendered[fmt])
        if source.resolve() != target.resolve():
            os.replace(source, target)
        outputs[fmt] = target
    return outputs


def last_line(exc: BaseException) -> str:
    """``KeyError: 'H01'`` — the last line of the error, as a traceback would end."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def resolve(dotted: str) -> Callable:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def pending_tasks(tasks: list[RenderTask], force: bool = False) -> dict[str, str]:
    """The tasks to run, by name, with the reason: all with ``force``, else those whose
    outputs are not current (:meth:`RenderTask.stale_reason`).

    >>> pending_tasks([unchanged, changed])                                # doctest: +SKIP
    {'D1': 'changed: parameters'}
    """
    reasons = {task.name: task.stale_reason() for task in tasks}
    return {name: reason or "forced" for name, reason in reasons.items() if force or reason}
