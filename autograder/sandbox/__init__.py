"""The sandbox, seen from the grader: building it, bounding it and running one command in it.

``run.py`` starts bubblewrap and collects what comes back; ``view.py`` decides what the
sandbox sees; ``cgroup.py``, ``seccomp.py`` and ``uids.py`` are the kernel-enforced
bounds; ``channel.py`` reads the results pipe. Nothing here executes student code in the
grader's process: the code that runs inside is in ``autograder/inside/``.
"""
