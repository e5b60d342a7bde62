"""Integrity checks inserted into each notebook at grading time (used by ``scripts/course.py autograde``).

Student code runs in the same interpreter as the test cells, so it can make a failing test look
like a passing one: hide tracebacks (``get_ipython().showtraceback = ...``), strip ``assert``
statements with an AST transformer, or replace ``course_lib.grading.check_array`` with a function
that accepts anything. nbgrader only sees the outputs, so it would give the points.

Defence: after every graded cell and at the end, a *check cell* is inserted that must fail with
``AssertionError("<nonce>-<k>:ok")``, where the nonce is a secret of this grading run. The check
first looks for the usual tampering (foreign functions in IPython, ipykernel, numpy, builtins and
the grading helpers, AST/input transformers, custom exception handlers, shadowed packages) and
writes what it found instead of ``ok``. After grading, :func:`verify` reads the outputs: a check
that ran but whose error is missing (errors were hidden) or says something else is tampering.
The check cells are removed from the notebook the student gets as feedback.

Limits: a student who reads this file can write code that recognizes the check cells and leaves
them alone; the checks catch the known tricks, not a determined attacker (see INSTRUCTORS.md).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys

import nbformat
from nbformat.v4 import new_code_cell

MARK = "autograder_check"  # cell metadata key of the inserted checks (the kernel never sees metadata)
PROTECTED = ("course_lib", "numpy", "torch", "IPython", "ipykernel", "jupyter_client", "zmq", "nbformat")

_CHECK = r'''def __autograder_check():
    import builtins, functools, os, sys, types
    roots = tuple(os.path.join(os.path.realpath(p), "") for p in ROOTS)
    problems = []
    def inside(path):
        # The plain text of the path first (cheap); realpath (a system call per component) only when
        # that does not already lie in a trusted root. A path can only be trusted by its text if it
        # names a file under a root, and nothing under the roots is writable by the student.
        return os.path.normpath(path).startswith(roots) or os.path.realpath(path).startswith(roots)
    def foreign(f):
        if isinstance(f, types.MethodType):
            f = f.__func__
        if isinstance(f, functools.partial):
            f = f.func
        code = getattr(f, "__code__", None)
        if code is not None:
            return not inside(code.co_filename)
        if isinstance(f, (types.BuiltinFunctionType, types.MethodWrapperType, types.WrapperDescriptorType,
                          types.MethodDescriptorType, type)):
            return False
        module = sys.modules.get(type(f).__module__)
        path = getattr(module, "__file__", None)
        if module is None or type(f).__module__ == "__main__":
            return True
        return bool(path) and os.path.isabs(path) and not inside(path)
    try:
        assert False
    except BaseException as err:
        real_assertion_error = type(err)
    if builtins.AssertionError is not real_assertion_error:
        problems.append("builtins.AssertionError replaced")
    for name, value in vars(builtins).items():
        if isinstance(value, (types.FunctionType, types.MethodType)) and foreign(value):
            problems.append(f"builtins.{name} replaced")
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    objects = {"shell": shell, "kernel": kernel, "session": getattr(kernel, "session", None),
               "compiler": getattr(shell, "compile", None), "displayhook": getattr(shell, "displayhook", None),
               "display_pub": getattr(shell, "display_pub", None)}
    for label, obj in objects.items():
        if obj is None:
            continue
        for klass in type(obj).__mro__:
            for name, value in vars(klass).items():
                if isinstance(value, types.FunctionType) and foreign(value):
                    problems.append(f"{label}.{name} replaced")
        for name, value in (vars(obj).items() if hasattr(obj, "__dict__") else ()):
            if callable(value) and not isinstance(value, type) and foreign(value):
                problems.append(f"{label}.{name} overridden")
    if getattr(shell, "ast_transformers", None):
        problems.append("AST transformers installed")
    if getattr(shell, "input_transformers_post", None):
        problems.append("input transformers installed")
    if getattr(shell, "custom_exceptions", ()):
        problems.append("custom exception handler installed")
    for event, callbacks in getattr(getattr(shell, "events", None), "callbacks", {}).items():
        if any(foreign(cb) for cb in callbacks):
            problems.append(f"{event} callback registered")
    if foreign(sys.excepthook):
        problems.append("sys.excepthook replaced")
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if (name.split(".")[0] in PROTECTED and path and os.path.isabs(path)
                and not inside(path)):
            problems.append(f"module {name} loaded from {path}")
    numpy = sys.modules.get("numpy")
    for name, value in (vars(numpy).items() if numpy is not None else ()):
        if isinstance(value, (types.FunctionType, types.MethodType)) and foreign(value):
            problems.append(f"numpy.{name} replaced")
    import importlib.util
    for modname in ("course_lib.gradcheck", "course_lib.grading"):
        module = sys.modules.get(modname)
        if module is None or not getattr(module, "__file__", None):
            continue
        spec = importlib.util.spec_from_file_location("__autograder_fresh", module.__file__)
        fresh = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fresh)
        for name, value in vars(fresh).items():
            current = getattr(module, name, None)
            if isinstance(value, types.FunctionType):
                code = getattr(current, "__code__", None)
                if code is None or code.co_code != value.__code__.co_code or code.co_consts != value.__code__.co_consts:
                    problems.append(f"{modname}.{name} replaced")
            elif isinstance(value, types.ModuleType) and current is not sys.modules.get(value.__name__, value):
                problems.append(f"{modname}.{name} replaced")
            elif isinstance(value, type) and issubclass(value, BaseException):
                if not isinstance(current, type) or current.__mro__[1:] != value.__mro__[1:]:
                    problems.append(f"{modname}.{name} replaced")
    return "ok" if not problems else "tampered: " + "; ".join(sorted(set(problems))[:8])
assert False, TOKEN + __autograder_check()
'''


def trusted_roots() -> list[str]:
    """Folders whose code is the instructor's: the Python installation, the venv and ``course_lib``."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    spec = importlib.util.find_spec("course_lib")
    if spec is not None and spec.submodule_search_locations:
        roots.update(os.path.realpath(p) for p in spec.submodule_search_locations)
    return sorted(roots)


def new_nonce() -> str:
    return "ag" + secrets.token_hex(12)


def _check_cell(nonce: str, k: int) -> nbformat.NotebookNode:
    source = (_CHECK.replace("ROOTS", repr(tuple(trusted_roots())))
              .replace("PROTECTED", repr(PROTECTED))
              .replace("TOKEN", repr(f"{nonce}-{k}:")))
    cell = new_code_cell(source, metadata={MARK: k})
    cell["id"] = f"autograder-check-{k}"
    return cell


def insert_checks(nb: nbformat.NotebookNode, nonce: str) -> int:
    """Insert a check cell after every graded code cell and at the end; return how many."""
    cells, k = [], 0
    for cell in nb.cells:
        cells.append(cell)
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and MARK not in cell.metadata:
            cells.append(_check_cell(nonce, k))
            k += 1
    cells.append(_check_cell(nonce, k))
    nb.cells = cells
    return k + 1


def is_check(cell: nbformat.NotebookNode) -> bool:
    return MARK in cell.metadata


def verify(nb: nbformat.NotebookNode, nonce: str) -> list[str]:
    """What the check cells of a graded notebook say; an empty list means nothing suspicious.

    A check cell that did not run (the kernel died before it) says nothing.
    """
    problems = []
    for cell in nb.cells:
        if not is_check(cell):
            continue
        k = cell.metadata[MARK]
        outputs = cell.get("outputs", [])
        if cell.get("execution_count") is None and not outputs:
            continue
        errors = [o for o in outputs if o.get("output_type") == "error"]
        expected = f"{nonce}-{k}:"
        values = [str(o.get("evalue", "")) for o in errors if o.get("ename") == "AssertionError"]
        if any(v == expected + "ok" for v in values):
            continue
        said = next((v[len(expected):] for v in values if v.startswith(expected)), None)
        if said is not None:
            problems.append(said)
        elif any(o.get("ename") in ("KeyboardInterrupt", "CellTimeoutError", "TimeoutError") for o in errors):
            continue
        else:
            problems.append("the output of an integrity check was hidden or forged (errors of test cells can "
                            "not be trusted)")
    return sorted(set(problems))


def strip_checks(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its check cells (for the feedback)."""
    nb.cells = [c for c in nb.cells if not is_check(c)]
    return nb
