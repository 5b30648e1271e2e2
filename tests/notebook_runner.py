"""Reading executed notebooks in the tests: the errors their cells raised, and which of them a stub explains."""

from __future__ import annotations

import ast
import re

import nbformat


def errors(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """``(cell id, error name, error value)`` for every cell that raised."""
    return [
        (cell.get("id", "?"), out.ename, out.evalue)
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]


def assigned_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, loops, imports, definitions)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def errors_beyond_stubs(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """Errors other than a stub's ``NotImplementedError`` and the ``NameError``s it causes.

    A cell that stops early leaves its names undefined, so a later cell that
    uses one of them fails with ``NameError``: that counts as caused by the
    stub when the name is bound in a cell that already failed this way.
    """
    undefined: set[str] = set()
    unexplained = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type != "error":
                continue
            missing = re.fullmatch(r"name '(\w+)' is not defined", out.evalue)
            if out.ename == "NotImplementedError" or (out.ename == "NameError" and missing and missing.group(1) in undefined):
                undefined |= assigned_names(cell.source)
            else:
                unexplained.append((cell.get("id", "?"), out.ename, out.evalue))
    return unexplained
