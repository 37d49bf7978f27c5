"""nbgrader configuration of the cnncourse assignments (run nbgrader from this folder).

Autograding does not execute student notebooks in a Jupyter kernel: the preprocessor
``autograder.nbgrader_plugins.preprocessors.TrustedVerdicts`` takes the place of ``Execute`` and scores
each autograded test cell from verdicts computed by the sandboxed grader (see
``autograder/README.md``). Run ``python -m autograder autograde ASSIGNMENT`` to grade all
submissions in parallel; a plain ``nbgrader autograde`` also works, one at a time.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 (provided by traitlets)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "cnncourse"

# A local exchange for release/fetch/submit/collect; override it for a shared JupyterHub.
c.Exchange.root = os.environ.get("CNNCOURSE_EXCHANGE", os.path.join(HERE, "exchange"))
os.makedirs(c.Exchange.root, exist_ok=True)

c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_plugins.preprocessors.TrustedVerdicts",  # instead of nbgrader's Execute
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.nbgrader_plugins.preprocessors.HideCheckNames",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Collect refuses links, folders not owned by the student they name, oversized trees and
# copies of the instructor's notebook (stock collect follows links and only warns about
# owners): see autograder/nbgrader_plugins/collect.py.
c.ExchangeFactory.collect = "autograder.nbgrader_plugins.collect.SafeCollect"

# Student HTML (hand-graded markdown answers, raw cells, outputs) is rendered as text, not
# markup, in the formgrader and the feedback: see autograder/nbgrader_plugins/html_safety.py.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"strip_files_prefix": "autograder.nbgrader_plugins.html_safety.clean_markdown_html"}
