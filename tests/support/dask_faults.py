"""A real fault for the cluster tests: a Dask worker process that exits when it starts a task
holding a given student, as a worker whose judge exhausts its memory would.

Registered by a test's own client on its own cluster, never by the grader, and out of reach of
student code (which runs in the sandbox, not in the worker). The worker dies for real: the
nanny starts a new one and the scheduler counts the death against the task.
"""

from __future__ import annotations

import os
from typing import Any

from distributed import WorkerPlugin

from autograder.batch.worker import Job


class ExitOnStudent(WorkerPlugin):
    name = "test-exit-on-student"

    def __init__(self, student: str) -> None:
        self.student = student

    def setup(self, worker: Any) -> None:
        self.worker = worker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing":
            return
        arguments = getattr(self.worker.state.tasks[key].run_spec, "args", ())
        for argument in arguments:
            if isinstance(argument, list) and any(
                isinstance(job, Job) and job.submission.student == self.student for job in argument
            ):
                os._exit(70)
