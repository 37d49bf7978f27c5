"""The trusted side's reading and judging of what students produced, in the grader's process.

Everything a student controls passes through here before it is used: the submitted
notebook (``notebook.py``), the folder (``tree_copy.py``), any file (``untrusted.py``), a
saved ``state_dict`` (``saved_weights.py``), the arrays a sandbox sends back (``npy.py``)
and the code as text (``methods.py``). Each reader refuses with a reason (``Refused``)
instead of raising somewhere later; ``results.py`` compares the decoded results with the
expected values, which never leave this process.
"""
