"""The course's nbval plugin (tests/nbval_checks.py) fails what it checks, naming the cell, on two small notebooks."""

import expected_outputs
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytest_plugins = ["pytester"]

# The kernel: full data, its own empty scratch folder, nothing left of the plugin's preparation.
KERNEL = """\
import os
assert "COURSE_QUICK" not in os.environ and "NBGRADER_EXECUTION" not in os.environ
assert os.listdir() == [] and not {"_os", "_warnings", "_variable"} & set(dir())
"""


def notebook(*cells) -> str:
    return nbformat.writes(new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "no-such-kernel", "display_name": "none"}}))


def test_each_check_fails_its_own_cell(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("COURSE_KEEP_EXECUTED", str(tmp_path / "kept"))
    monkeypatch.setitem(expected_outputs.EXPECTED, "checks", {"shape": "(28, 28)\n", "answer": "41\n"})
    pytester.makefile(".ipynb", checks=notebook(
        new_code_cell(KERNEL),
        new_code_cell("print((28, 28))", id="shape"),
        new_code_cell("import sys\nprint('half a result', file=sys.stderr)"),
        new_code_cell("print(6 * 7)", id="answer"),
        new_code_cell("print(1234 / 2)"),
        new_markdown_cell("Half of 1234 is 617.0; 4,321 is said, never computed.", id="claims"),
    ), errors=notebook(
        new_code_cell("import warnings\nwarnings.warn('from the notebook itself')"),
        new_code_cell("1 / 0"),
    ))
    result = pytester.runpytest("-p", "nbval_checks", "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=60", "--color=no")
    result.assert_outcomes(passed=3, failed=5, skipped=1)
    result.stdout.fnmatch_lines([
        "*_ checks.ipynb::Cell 2 _*", "*Cell 2: Cell wrote to standard error*", "*half a result*",
        "*_ checks.ipynb::Cell 3 _*", "*Cell 3: Cell outputs differ*",
        "*_ prose numbers of checks.ipynb _*", "*claims: 4,321*",
        "*_ errors.ipynb::Cell 0 _*", "*UserWarning*: from the notebook itself",
        "*_ errors.ipynb::Cell 1 _*", "*ZeroDivisionError*: division by zero",
    ])
    assert "617.0" not in result.stdout.str().partition("claims:")[2].splitlines()[0]
    kept = nbformat.read(tmp_path / "kept" / "checks.ipynb", as_version=4)
    assert kept.cells[2].outputs[0].text == "half a result\n" and kept.cells[3].execution_count == 4
