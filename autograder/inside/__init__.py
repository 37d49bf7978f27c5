"""Code that runs INSIDE the sandbox, next to the student's code.

Everything in this folder is mounted read-only into each sandbox (``/grader/<file>``)
and executed there by the sandbox's own interpreter: ``harness.py`` runs the student's
cells and answers the grader's requests, ``probes.py`` turns a student's model class
into plain numbers. Whatever runs here can be tampered with by the student's code, so
it decides nothing: it sends raw results, which the grader judges in its own process
(``autograder/judge/``). These files import nothing from ``autograder`` (only what the
sandbox's allowed packages provide); the grader imports ``probes`` too, to run the same
probes on the reference model.
"""
