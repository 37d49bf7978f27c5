"""The guide's commands that hide nbgrader's instructor tools from students do what they say:
the plugins and server extensions they name exist, and after running them as written
(``--sys-prefix``) in a throw-away students' environment, Jupyter reports exactly those
as disabled and the students' own tools as enabled."""
import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "assignments" / "README.md"
SECTION = "### On a JupyterHub: hide the instructor's tools from students"


def guide_commands() -> list:
    text = README.read_text().split(SECTION, 1)[1]
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)[1]
    return [line.split() for line in block.splitlines() if line.strip()]


def verb_and_names(command: list) -> tuple:
    """``jupyter labextension VERB ...`` or ``jupyter server extension VERB ...``: the verb and
    the plugins or modules it names."""
    at = 3 if command[1] == "server" else 2
    return command[at], [a for a in command[at + 1:] if not a.startswith("--")]


def labextension_plugins() -> set:
    import nbgrader

    prefix = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    found = set()
    for script in prefix.glob("*.js"):
        found |= set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', script.read_text(errors="replace")))
    assert found, f"nbgrader {nbgrader.__version__}'s lab extension is not installed in {prefix}"
    return found


def test_the_named_plugins_and_extensions_exist():
    import importlib

    plugins = labextension_plugins()
    for command in guide_commands():
        _, names = verb_and_names(command)
        if command[1] == "labextension":
            assert set(names) <= plugins, command
        else:
            importlib.import_module(names[0])  # a server extension is a module


def students_environment(tmp_path) -> Path:
    """A throw-away Python environment that sees the grader's packages and starts with its
    Jupyter configuration: what ``--sys-prefix`` changes there is the students' environment."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True)
    site = subprocess.run([str(tmp_path / "env" / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "grader-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.copytree(Path(sys.prefix) / "etc" / "jupyter", tmp_path / "env" / "etc" / "jupyter")
    return tmp_path / "env"


# `jupyter labextension ...` and `jupyter server extension ...` as modules of that environment's Python
MODULES = {"labextension": "jupyterlab.labextensions", "server": "jupyter_server.extension.serverextension"}


def run_there(env: Path, command: list) -> str:
    at = 3 if command[1] == "server" else 2
    argv = [str(env / "bin" / "python"), "-m", MODULES[command[1]], *command[at:]]
    run = subprocess.run(argv, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)  # Jupyter colours its output


def test_the_commands_disable_the_instructor_tools(tmp_path):
    env = students_environment(tmp_path)
    disabled, locked, servers = set(), set(), []
    for command in guide_commands():
        run_there(env, command)
        verb, names = verb_and_names(command)
        if command[1] == "labextension":
            (disabled if verb == "disable" else locked).update(names)
        else:
            servers += names
    page_config = json.loads((env / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    assert {k for k, v in page_config["disabledExtensions"].items() if v} == disabled
    assert {k for k, v in page_config["lockedExtensions"].items() if v} == locked == disabled  # no UI re-enable
    listing = run_there(env, ["jupyter", "server", "extension", "list"])
    for module in servers:
        assert re.search(rf"{re.escape(module)}\s+disabled", listing), listing
    assert re.search(r"nbgrader\.server_extensions\.assignment_list\s+enabled", listing)  # students keep it
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment\s+enabled", listing)
