"""nbgrader configuration of the cnncourse assignments (run nbgrader from this folder).

Autograding does not execute student notebooks in a Jupyter kernel: the preprocessor
``autograder.nbgrader_plugins.preprocessors.TrustedVerdicts`` takes the place of ``Execute`` and scores
each autograded test cell from verdicts computed by the sandboxed grader (see
``autograder/README.md``). Run ``python -m autograder autograde ASSIGNMENT`` to grade all
submissions in parallel; a plain ``nbgrader autograde`` also works, one at a time.
"""
import os

from autograder.nbgrader_plugins import pages

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 (provided by traitlets)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "cnncourse"

# A local exchange for release/fetch/submit/collect; override it for a shared JupyterHub.
c.Exchange.root = os.environ.get("CNNCOURSE_EXCHANGE", os.path.join(HERE, "exchange"))
os.makedirs(c.Exchange.root, exist_ok=True)

# Kernels (nbgrader validate, the Validate button) talk over local sockets, not TCP: ipykernel
# warns on every run that TCP is unencrypted, and the warning is right.
c.KernelManager.transport = "ipc"

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
# Their math renders without a network (Debian's MathJax inlined, offline_math.py), and the
# formgrader shows the model answer of each question graded by hand (model_answers.py);
# the course's templates come before nbgrader's (pages.py).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"strip_files_prefix": "autograder.nbgrader_plugins.html_safety.clean_markdown_html",
                          "offline_mathjax": "autograder.nbgrader_plugins.offline_math.offline_mathjax"}
c.HTMLExporter.extra_template_basedirs = pages.template_basedirs()
c.HTMLExporter.extra_template_paths = pages.template_paths()
c.HTMLExporter.preprocessors = ["autograder.nbgrader_plugins.model_answers.ModelAnswers"]
