"""Grading on a Dask cluster (``python -m autograder autograde ASSIGNMENT --cluster ADDRESS``).

What runs where (``autograder/README.md``, "Grading on a cluster"):

- the instructor's machine, the Dask *client* (``client.py``): everything trusted. It
  draws the hidden inputs, computes the expected values, reads and refuses submissions,
  copies each folder, judges the results and writes the verdicts, exactly as without a
  cluster (``grade.py``); ``address.py`` refuses a network address without TLS.
- a *worker* (``worker.py``): started with Dask's own ``dask worker ADDRESS --nthreads 1
  --resources "SANDBOX=1"`` (plus ``GPU=1``). It checks once that it can grade as the
  instructor's machine would (``ReadinessCheck``), then runs the same sandbox on the job
  it is sent and returns the raw frames the sandbox wrote.
- on the wire (``wire.py``): to the worker, the code cells, the hidden inputs and the
  grader's copy of the student's folder, as one tar; back, the frames as bytes, which the
  client reads with the same strict reader as a local pipe.
"""
