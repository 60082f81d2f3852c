"""The optimiser behind the ``Solver`` port: CP-SAT in a worker process, never in the caller.

Solves are CPU-bound and hold the GIL for seconds; running them in a
``ProcessPoolExecutor`` keeps the API process responsive, and a worker that dies (killed,
out of memory) only breaks that one solve: the pool is rebuilt and the caller falls back.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Schedule
from careshift.engine.result import SolveResult
from careshift.service.errors import SolverFailed, SolverTimedOut

GRACE_SECONDS = 2.0
"""How long past its own time limit a solve may take (model building, process start-up)."""


def solve_in_worker(
    problem: RosterProblem, hint: Schedule | None, time_limit: float, workers: int, seed: int
) -> SolveResult:
    """Run the engine (module-level so a worker process can unpickle the call)."""
    from careshift.engine import SolveOptions, solve

    return solve(problem, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, hint=hint))


def default_executor() -> Executor:
    """One worker process: the machine's cores go to CP-SAT's own threads inside it."""
    return concurrent.futures.ProcessPoolExecutor(max_workers=1)


class PoolSolver:
    """``Solver`` that submits each solve to an executor and waits at most the time limit
    plus ``grace`` seconds.

    ``executor_factory`` builds the pool (a ``ProcessPoolExecutor`` by default; tests may
    pass a thread pool or a fake); it is rebuilt after a worker crash.
    """

    def __init__(
        self,
        executor_factory: Callable[[], Executor] = default_executor,
        *,
        workers: int = 1,
        seed: int = 0,
        grace: float = GRACE_SECONDS,
        task: Callable[..., SolveResult] = solve_in_worker,
    ) -> None:
        self._factory = executor_factory
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self.workers = workers
        self.seed = seed
        self.grace = grace
        self._task = task

    def _pool(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = self._factory()
            return self._executor

    def _discard(self, broken: Executor, *, kill: bool = False) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        if kill:
            # A solve that overran its own time limit plus grace is stuck; its worker would
            # block every later solve of a one-worker pool. The standard library has no public
            # way to stop a running task, so terminate the pool's processes.
            processes: dict[int, Any] = getattr(broken, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
        broken.shutdown(wait=False, cancel_futures=True)

    def solve(self, problem: RosterProblem, *, hint: Schedule | None, time_limit: float) -> SolveResult:
        """The engine's result, or ``SolverTimedOut`` / ``SolverFailed``."""
        pool = self._pool()
        try:
            future: Future[SolveResult] = pool.submit(self._task, problem, hint, time_limit, self.workers, self.seed)
        except (BrokenProcessPool, RuntimeError) as exc:
            self._discard(pool)
            raise SolverFailed(f"the solver pool is down ({type(exc).__name__}); retrying on the next solve") from exc
        try:
            return future.result(timeout=time_limit + self.grace)
        except concurrent.futures.TimeoutError as exc:
            if not future.cancel():
                self._discard(pool, kill=True)
            raise SolverTimedOut(
                f"the optimiser gave no answer within {time_limit + self.grace:.1f} s; "
                "raise the time limit or plan a shorter horizon"
            ) from exc
        except BrokenProcessPool as exc:
            self._discard(pool)
            raise SolverFailed("the optimiser's worker process died during the solve") from exc
        except Exception as exc:  # noqa: BLE001 - any crash in the engine means: fall back
            raise SolverFailed(f"the optimiser failed: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            # Wait for the workers to exit: a worker left behind outlives its parent process.
            executor.shutdown(wait=True, cancel_futures=True)
