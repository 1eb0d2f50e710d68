"""A papermill engine that runs notebooks on a warm, reused Jupyter kernel.

papermill's own engine (``nbclient``) starts a kernel for every notebook and shuts it
down afterwards. Starting a kernel and importing pandas and matplotlib in it costs
~1–2 s, which a batch of 165 unit reports would pay 165 times. The ``chiso-warm``
engine keeps ONE kernel per process (:func:`process_kernel`) and, before each notebook,

- resets the kernel's namespace (IPython ``reset(new_session=True)``: no variable of the
  previous notebook survives, execution counts restart at 1),
- moves the kernel's working directory to papermill's ``cwd``, so every notebook writes
  its files in its own folder,
- closes any matplotlib figure left open.

Imported modules stay in ``sys.modules``: that is the point of a warm kernel.

The kernel always runs the current interpreter (``sys.executable -m ipykernel_launcher``),
whatever kernel the notebook names (``chiso``, ``python3``), so the batch runner works
from any virtual environment without a registered kernel spec.

The modules follow papermill's split: command line (:mod:`chiso.cli`) → execution
(:mod:`chiso.report.runner`, ``papermill.execute_notebook``) → engines (this module).
Importing this module registers the engine with papermill.

Example
-------
>>> import papermill, chiso.report.engines
>>> nb = papermill.execute_notebook(                                  # doctest: +SKIP
...     "notebooks/unit_report.ipynb", "reports/x/X.ipynb", parameters={"unit": "X"},
...     engine_name="chiso-warm", cwd="reports/x", progress_bar=False)
>>> nb = papermill.execute_notebook(  # same kernel, none of the first notebook's variables  # doctest: +SKIP
...     "notebooks/unit_report.ipynb", "reports/y/Y.ipynb", parameters={"unit": "Y"},
...     engine_name="chiso-warm", cwd="reports/y", progress_bar=False)
"""

from __future__ import annotations

import multiprocessing.util
import os
import shutil
import signal
import tempfile

from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.iorw import write_ipynb
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "chiso-warm"

# Unix sockets in a private temporary folder (one per kernel, so that kernels started at
# the same moment never pick the same socket names): nothing listens on the network.
# Windows has no ipc transport.
_TRANSPORT = "ipc" if os.name == "posix" else "tcp"
# An idle kernel has nothing to save: 0.5 s after the shutdown request it gets SIGTERM,
# 0.5 s later SIGKILL (jupyter_client's default of 5 s would stall a worker's exit).
_SHUTDOWN_WAIT_SECONDS = 1.0

# IPython keeps its command history in an sqlite file by default; kernels that run
# in parallel would contend for it, and a batch needs no history (nbclient does the same).
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]

# Runs inside the kernel before each notebook. The reset comes after the other steps so
# that it also removes the names they define. IPython's reset ends with a full garbage
# collection, which walks every object of pandas, matplotlib, ... (~70 ms a notebook);
# gc.freeze() then moves the survivors (modules, caches) out of the collector's way, so
# that the next reset only walks what the previous notebook created (~5 ms).
_RESET_CODE = """\
import os as _chiso_os, sys as _chiso_sys
_chiso_os.chdir({cwd!r})
if "matplotlib.pyplot" in _chiso_sys.modules:
    _chiso_sys.modules["matplotlib.pyplot"].close("all")
get_ipython().reset(new_session=True)
__import__("gc").freeze()
"""


class KernelError(RuntimeError):
    """The warm kernel could not be started or could not run the reset code."""


class CurrentInterpreterKernelSpecs(KernelSpecManager):
    """Kernel specs that always resolve to an IPython kernel of this interpreter.

    >>> CurrentInterpreterKernelSpecs().get_kernel_spec("chiso").argv[:3]  # doctest: +SKIP
    ['/work/main/.venv/bin/python', '-m', 'ipykernel_launcher']
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(**get_kernel_dict())


class WarmKernel:
    """One IPython kernel, started once and reused for many notebooks.

    ``preload`` names modules to import at start, so that the first notebook does
    not pay for them either (missing modules are ignored).

    >>> with WarmKernel(preload=["pandas"]) as kernel:   # doctest: +SKIP
    ...     kernel.prepare(cwd="/tmp")                    # before each notebook
    """

    def __init__(self, preload: tuple[str, ...] | list[str] = (), startup_timeout: float = 60):
        self.preload = tuple(preload)
        self.startup_timeout = startup_timeout
        self.manager: AsyncKernelManager | None = None
        self.client = None
        self._socket_dir: str | None = None

    def __enter__(self) -> "WarmKernel":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.shutdown()

    def start(self) -> "WarmKernel":
        """Start the kernel and its client (idempotent)."""
        if self.manager is not None:
            return self
        self._socket_dir = tempfile.mkdtemp(prefix="chiso-kernel-")
        self.manager = AsyncKernelManager(
            kernel_spec_manager=CurrentInterpreterKernelSpecs(), transport=_TRANSPORT,
            connection_file=os.path.join(self._socket_dir, "kernel.json"),
            shutdown_wait_time=_SHUTDOWN_WAIT_SECONDS,
        )
        try:
            run_sync(self.manager.start_kernel)(extra_arguments=list(_KERNEL_ARGUMENTS))
            self.client = self.manager.client()
            self.client.start_channels()
            run_sync(self.client.wait_for_ready)(timeout=self.startup_timeout)
            if self.preload:
                self.run("\n".join(f"try:\n    import {name}\nexcept ImportError:\n    pass" for name in self.preload))
        except Exception as exc:
            self.shutdown()
            raise KernelError(f"the Jupyter kernel did not start: {type(exc).__name__}: {exc}") from exc
        return self

    @property
    def pid(self) -> int | None:
        """Process id of the kernel (for logs and tests)."""
        process = getattr(self.manager.provisioner, "process", None) if self.manager else None
        return process.pid if process is not None else None

    def is_alive(self) -> bool:
        return self.manager is not None and run_sync(self.manager.is_alive)()

    def run(self, code: str, timeout: float = 60) -> None:
        """Run ``code`` silently in the kernel; raise KernelError if it fails."""
        reply = run_sync(self.client.execute_interactive)(
            code, silent=True, store_history=False, allow_stdin=False, timeout=timeout,
            output_hook=lambda msg: None,
        )
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelError(f"kernel code failed: {content.get('ename')}: {content.get('evalue')}")

    def prepare(self, cwd: str | os.PathLike) -> None:
        """Make the kernel ready for the next notebook: alive, empty namespace, in ``cwd``."""
        if not self.is_alive():
            self.restart()
        self.run(_RESET_CODE.format(cwd=os.fspath(cwd)))

    def restart(self) -> None:
        """Replace the kernel by a fresh one (after a crash or a cell that timed out)."""
        self.shutdown()
        self.start()

    def shutdown(self) -> None:
        """Stop the kernel process and the client (idempotent).

        Asks the kernel to exit (shutdown request), then waits; SIGTERM and SIGKILL
        follow if it does not. jupyter_client's own shutdown_kernel() interrupts the
        kernel first, which makes an idle kernel print a KeyboardInterrupt error.
        """
        client, self.client = self.client, None
        manager, self.manager = self.manager, None
        if manager is not None:
            if client is not None and run_sync(manager.is_alive)():
                client.shutdown()
                run_sync(manager.finish_shutdown)(waittime=_SHUTDOWN_WAIT_SECONDS)
            elif run_sync(manager.is_alive)():
                run_sync(manager.shutdown_kernel)(now=True)
            run_sync(manager.cleanup_resources)()
        if client is not None:
            client.stop_channels()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None


_process_kernel: WarmKernel | None = None


def process_kernel(preload: tuple[str, ...] | list[str] = ()) -> WarmKernel:
    """This process's warm kernel: started on first call, shut down when the process exits.

    ``preload`` only matters on the first call. A ``multiprocessing`` finaliser (not
    ``atexit``) does the shutdown because worker processes of a pool leave through
    ``os._exit``, which skips ``atexit`` handlers but runs these finalisers.
    """
    global _process_kernel
    if _process_kernel is None:
        _process_kernel = WarmKernel(preload).start()
        multiprocessing.util.Finalize(None, shutdown_process_kernel, exitpriority=10)
    return _process_kernel


def kill_process_kernel() -> None:
    """Kill this process's warm kernel at once (SIGKILL, no shutdown message), for a worker
    that must stop now; safe from a signal handler or another thread."""
    kernel = _process_kernel
    pid = kernel.pid if kernel is not None else None
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if kernel is not None and kernel._socket_dir is not None:
        shutil.rmtree(kernel._socket_dir, ignore_errors=True)


def shutdown_process_kernel() -> None:
    """Shut this process's warm kernel down (no-op when none was started)."""
    global _process_kernel
    if _process_kernel is not None:
        kernel, _process_kernel = _process_kernel, None
        kernel.shutdown()


class WarmKernelEngine(Engine):
    """papermill engine ``chiso-warm``: like ``nbclient`` but on a reused kernel.

    Accepts papermill's usual engine options plus ``kernel`` (a :class:`WarmKernel`;
    default: :func:`process_kernel`). The notebook runs with the kernel's working
    directory set to papermill's ``cwd`` (else the caller's working directory).
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        kernel: WarmKernel | None = None,
        **kwargs,
    ):
        kernel = kernel or process_kernel()
        # papermill.execute_notebook has already changed into its `cwd` argument.
        kernel.prepare(cwd=os.getcwd())
        # Same argument handling as papermill's NBClientEngine.
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=kernel.manager, **final_kwargs)
        # A client given a kernel manager it does not own keeps the kernel running after
        # the notebook; handing it the connected client as well skips the reconnection.
        client.kc = kernel.client
        try:
            return client.execute()
        except Exception:
            # Cell errors are recorded in the notebook, not raised; what reaches here is a
            # timeout (the cell is still running) or a dead kernel: the next notebook
            # needs a fresh kernel. The notebook so far is saved, to show where it stopped
            # (papermill saves it only if asked to after every cell).
            kernel.restart()
            output_path = nb_man.nb.metadata.get("papermill", {}).get("output_path")
            if output_path:
                write_ipynb(nb_man.nb, output_path)
            raise

    @classmethod
    def nb_kernel_name(cls, nb, name=None):
        """The notebook's kernel name, for the record only: the warm kernel runs this interpreter."""
        return name or nb.metadata.get("kernelspec", {}).get("name") or "python3"

    @classmethod
    def nb_language(cls, nb, language=None):
        return language or nb.metadata.get("language_info", {}).get("name") or "python"


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
