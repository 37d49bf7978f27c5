"""Method checks: *how* a graded function is written, read from the notebook's code as
text in the grader's process (parsed, never run).

Numbers alone cannot tell ``conv2d_loops`` written with loops from one written with
``sliding_window_view`` and ``einsum``, nor ``conv2d_im2col = conv2d_loops`` from a real
matrix product. A ``MethodRule`` names what the assignment prescribes and is checked on
the function's *closure*: the top-level definitions it refers to, followed by name
through every code cell (helpers, lambdas, classes, imports, module attributes the
notebook reassigns). Scopes are taken from ``symtable``, so a function's own locals never
pull in unrelated cells.

What a static check cannot see, and the notebooks say so: code that names nothing it
uses (``getattr``, ``eval``, ``exec``, ``globals()``, ``__dict__``, ``importlib``) is
refused outright rather than followed, and imports outside the rule's allowed modules
are refused (their code is not in the notebook); whether a loop runs over output
positions or over kernel offsets is not something a rule tells apart.
"""
from __future__ import annotations

import ast
import symtable
import sys
from dataclasses import dataclass

# names through which code can reach what it does not name; never followed, always refused
DYNAMIC = frozenset({"getattr", "setattr", "delattr", "eval", "exec", "compile", "__import__", "globals", "locals",
                     "vars", "__dict__", "__getattribute__", "__builtins__", "builtins", "importlib"})
# Imports whose code the check cannot read are refused: the student's own modules and other
# packages, and the standard library's ways of running code that is not written out here.
RUNS_OTHER_CODE = frozenset({"importlib", "builtins", "runpy", "code", "codeop", "ctypes", "pickle", "marshal",
                             "types", "subprocess", "multiprocessing", "os", "shelve", "copyreg", "zipimport"})
NUMPY_AND_STDLIB = frozenset({"numpy"}) | (frozenset(sys.stdlib_module_names) - RUNS_OTHER_CODE)
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class MethodRule:
    """What ``target`` must and must not use; ``prescribed`` says it in the student's words."""

    target: str
    prescribed: str
    forbidden: frozenset = frozenset()
    must_call: tuple = ()
    must_loop: bool = False
    function: bool = True  # False: the target is a variable (an answer computed at top level)
    modules: frozenset = NUMPY_AND_STDLIB
    exempt: tuple = ()  # functions whose own closure is not checked for forbidden names

    def __call__(self, code_cells: list) -> str:
        return check(self, code_cells)


@dataclass
class _Statement:
    node: ast.stmt
    refs: set  # global names it refers to
    words: set  # every name and attribute it mentions
    imports: set  # top-level modules it imports


def _parse(source: str):
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        text = TransformerManager().transform_cell(source)  # %magics and !shell to plain Python
        return ast.parse(text), symtable.symtable(text, "<cell>", "exec")
    except Exception:  # noqa: BLE001 - a cell that does not parse defines nothing when run either
        return None


def _globals_of(table: symtable.SymbolTable) -> set:
    """Global names a function or class (and everything nested in it) refers to."""
    names = {s.get_name() for s in table.get_symbols() if s.is_global() or s.is_declared_global()}
    for child in table.get_children():
        names |= _globals_of(child)
    return names


def _words(node: ast.AST) -> set:
    words = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            words.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            words.add(sub.attr)
        elif isinstance(sub, ast.alias):
            words.update(sub.name.split("."))
    return words


def _imports(node: ast.AST) -> set:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import):
            found.update(alias.name.split(".")[0] for alias in sub.names)
        elif isinstance(sub, ast.ImportFrom):
            found.add("." if sub.level else (sub.module or "").split(".")[0])
    return found


def _bound(node: ast.stmt) -> set:
    """Names a top-level statement binds; an assignment to ``np.x`` rebinds ``np``."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            base = sub.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
        elif isinstance(sub, ast.alias):
            names.add(sub.asname or sub.name.split(".")[0])
    return names


def _statements(code_cells: list) -> dict:
    """``{name: [statements binding it at top level]}`` over every code cell."""
    bindings = {}
    for source in code_cells:
        parsed = _parse(source)
        if parsed is None:
            continue
        tree, table = parsed
        functions = {child.get_name(): child for child in table.get_children()}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in functions:
                refs = _globals_of(functions[node.name]) | _words_outside_body(node)
            else:
                refs = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            statement = _Statement(node, refs, _words(node), _imports(node))
            for name in _bound(node):
                bindings.setdefault(name, []).append(statement)
    return bindings


def _words_outside_body(node) -> set:
    """Names used by a definition's decorators, defaults and bases (evaluated at top level)."""
    parts = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [k.value for k in node.keywords]
    else:
        parts += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}


def closure(bindings: dict, name: str) -> list:
    """Every statement ``name`` depends on, by name, starting with its own definitions."""
    seen, todo, found = set(), [name], []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for statement in bindings.get(current, []):
            if all(statement is not s for s in found):
                found.append(statement)
                todo.extend(statement.refs)
    return found


def check(rule: MethodRule, code_cells: list) -> str:
    """'' when ``rule.target`` is written as prescribed, else the reason."""
    bindings = _statements(code_cells)
    own = bindings.get(rule.target, [])
    if not own:
        return ""  # not defined: the value checks already say so
    if rule.function and not all(isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef)) for s in own):
        return f"method: {rule.target} must be written with def ({rule.prescribed})"
    statements = closure(bindings, rule.target)
    exempt = [s for name in rule.exempt for s in closure(bindings, name)]
    checked = [s for s in statements if all(s is not e for e in exempt)]
    words = set().union(*(s.words for s in checked)) if checked else set()
    used = sorted(words & rule.forbidden)
    if used:
        return f"method: {rule.target} uses {used[0]} ({rule.prescribed})"
    dynamic = sorted(words & DYNAMIC)
    if dynamic:
        return f"method: {rule.target} reaches code through {dynamic[0]}, which the method check cannot follow"
    imported = sorted(set().union(*(s.imports for s in statements)) - rule.modules)
    if imported:
        return f"method: {rule.target} depends on an import of {imported[0]}, which the method check cannot read"
    names = {n for s in statements for n in s.refs} | {rule.target}
    for needed in rule.must_call:
        if needed not in names or needed not in bindings:
            return f"method: {rule.target} does not call your {needed} ({rule.prescribed})"
    if rule.must_loop and not any(isinstance(sub, LOOPS) for s in statements
                                  if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef))
                                  for sub in ast.walk(s.node)):
        return f"method: {rule.target} has no loop ({rule.prescribed})"
    return ""
