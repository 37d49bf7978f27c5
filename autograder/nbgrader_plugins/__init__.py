"""Plugins that nbgrader loads from ``assignments/nbgrader_config.py``: the collect step
(``collect.SafeCollect``), the autograde and feedback preprocessors (``preprocessors``),
and the HTML filters and templates of the formgrader and the feedback (``html_safety``,
``offline_math``)."""
