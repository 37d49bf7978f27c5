"""What an assignment asks for: the trusted checks, their hidden cases, and sandbox limits.

Everything here runs in the grader's own process. A check builds its cases from a
random generator seeded at grading time, so the inputs are new on every grading run;
expected values are computed here with ``cnncourse`` and never leave this process.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    """One question put to the student's code.

    ``target`` names a function (``call=True``: it is called with ``args``/``kwargs``)
    or a variable (``call=False``: its value is read). ``fixed`` marks a call whose
    inputs are the same on every run (a probe of the model's architecture): like a
    variable, its answer is fixed, so reasons give neither error sizes nor its shape. ``expected`` is one array or a
    tuple of arrays (a function returning several results). ``probe`` names a function
    of ``autograder/inside/probes.py`` that the harness calls as ``probe(target, *args)`` instead
    of calling the target itself (to turn a student's model class into plain numbers).
    """

    target: str
    expected: Any
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    call: bool = True
    label: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6
    probe: str = ""
    fixed: bool = False

    @property
    def answer_is_fixed(self) -> bool:
        return self.fixed or not self.call

    @property
    def n_outputs(self) -> int:
        return len(self.expected) if isinstance(self.expected, tuple) else 1


@dataclass(frozen=True)
class Check:
    """A named, all-or-nothing test; ``make_cases(rng)`` returns its cases.

    ``inspect(submission_folder, seed)``, when given, also judges plain files the student
    submitted (a saved ``state_dict``) in the grader's process and returns a reason ('' =
    passed); it must never execute or unpickle code from them. ``method(code_cells)``,
    when given, judges *how* the answer is written (see ``autograder/judge/methods.py``): it reads the
    notebook's code as text, never runs it, and returns a reason ('' = passed).
    ``files`` names the submitted files ``inspect`` reads (the notebook must name them).
    """

    name: str
    make_cases: Callable[[np.random.Generator], list]
    inspect: Callable[[Any, int], str] | None = None
    method: Callable[[list], str] | None = None
    files: tuple = ()


@dataclass(frozen=True)
class Limits:
    """Per-submission sandbox limits (seconds, bytes, processes).

    ``memory`` is the cgroup's bound on everything the sandbox holds at once (process
    memory, tmpfs files, shared memory); ``address_space`` bounds each process's mappings
    (a large allocation fails with ``MemoryError`` instead of killing the run).
    """

    wall_seconds: float = 60.0
    cell_seconds: float = 20.0
    cpu_seconds: int = 120
    address_space: int = 3 * 2**30
    memory: int = 2 * 2**30
    file_size: int = 64 * 2**20
    processes: int = 32
    tmp_size: int = 64 * 2**20

    def __post_init__(self):
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {value!r}")


@dataclass(frozen=True)
class AssignmentSpec:
    """The grading contract of one assignment.

    ``packages`` are the distributions importable by student code (with their
    dependencies); everything else in the grader's environment is invisible.
    ``gpu`` binds the NVIDIA device files when the grading machine has them.
    """

    name: str
    checks: tuple
    packages: tuple = ("numpy", "matplotlib", "ipython")
    limits: Limits = Limits()
    gpu: bool = False

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"assignment {self.name!r} has no check named {name!r}")


_ASSIGNMENT_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def load_spec(assignment: str) -> AssignmentSpec:
    """Import ``autograder.checks.<assignment with - as _>`` and return its ``SPEC``."""
    if not isinstance(assignment, str) or not _ASSIGNMENT_ID.match(assignment):
        raise ValueError(f"assignment must look like 'a1-convolution', got {assignment!r}")
    module_name = "autograder.checks." + assignment.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise ValueError(f"no checks for assignment {assignment!r} (expected module {module_name})") from None
    return module.SPEC
