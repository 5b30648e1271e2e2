"""The rule that tells a stub's failures from real errors in an untouched student notebook."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output
from notebook_runner import assigned_names, errors_beyond_stubs


def cell(source, ename=None, evalue=""):
    c = new_code_cell(source)
    if ename:
        c.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[])]
    return c


def test_assigned_names_covers_bindings():
    source = "import numpy as np\nfrom a.b import c\nx, (y, z) = 1, (2, 3)\nfor i in []: pass\ndef f(): w = 1\nclass K: pass"
    assert {"np", "c", "x", "y", "z", "i", "f", "K"} <= assigned_names(source)


def test_name_errors_caused_by_a_stub_are_explained():
    nb = new_notebook(cells=[
        cell("def f():\n    raise NotImplementedError()"),
        cell("data = f()", "NotImplementedError"),
        cell("model = data * 2", "NameError", "name 'data' is not defined"),
        cell("print(model)", "NameError", "name 'model' is not defined"),
    ])
    assert errors_beyond_stubs(nb) == []


def test_other_errors_are_reported():
    nb = new_notebook(cells=[
        cell("data = f()", "NotImplementedError"),
        cell("print(typo)", "NameError", "name 'typo' is not defined"),
        cell("1 / 0", "ZeroDivisionError", "division by zero"),
    ])
    assert [e[1] for e in errors_beyond_stubs(nb)] == ["NameError", "ZeroDivisionError"]
    nbformat.validate(nb)
