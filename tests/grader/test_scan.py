"""course_grade.scan: the course's own notebooks have no finding; attacks planted in a copy of notebook 01 are each found.

An attack is a cell appended to the instructor's solution of notebook 01 (or an exercise cell edited), scanned
against the student notebook of notebooks/, which is what the course releases.
"""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from course_grade import grading
from course_grade.scan import CATEGORIES, format_report, scan_course, scan_notebook, write_report

NAMES = grading.solution_names()
NAME = "01_task_taxonomy"


def read(folder, name: str = NAME) -> nbformat.NotebookNode:
    return nbformat.read(folder / f"{name}.ipynb", as_version=4)


SOLUTION, RELEASE = read(grading.SOLUTIONS), read(grading.NOTEBOOKS)
GRADE_IDS = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in SOLUTION.cells]
EXERCISE, TEST = GRADE_IDS.index("box_iou"), GRADE_IDS.index("test_box_iou")  # an exercise cell of notebook 01, and its test cell


def planted(source: str, at: int | None = None) -> tuple[nbformat.NotebookNode, int]:
    """A copy of notebook 01's solution with ``source`` as a new last cell, or as the source of cell ``at``; and that cell's index."""
    nb = copy.deepcopy(SOLUTION)
    if at is None:
        nb.cells.append(nbformat.v4.new_code_cell(source))
        return nb, len(nb.cells) - 1
    nb.cells[at].source = source
    return nb, at


@pytest.mark.parametrize("name", NAMES)
def test_course_notebooks_have_no_finding(name):
    solution, student = read(grading.SOLUTIONS, name), read(grading.NOTEBOOKS, name)
    assert scan_notebook(solution) == []
    assert scan_notebook(solution, student) == []
    assert scan_notebook(student) == []
    assert scan_notebook(student, student) == []
    for cell in solution.cells:  # every cell scanned, the tests and hidden tests included
        cell.metadata.pop("nbgrader", None)
    assert scan_notebook(solution) == []


ORDINARY = {  # code that a correct solution may well contain
    "magics": "%matplotlib inline\n%time x = 1\n%timeit -n 3 -r 1 sum(range(10))",
    "cell magic": "%%capture captured\nprint(1)",
    "files": (
        "import json, os, sys, warnings\n"
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")\nos.environ["KERAS_BACKEND"] = "torch"\n'
        'print(os.environ.get("HOME"), sys.version, sys.platform)\nsys.setrecursionlimit(10_000)\nwarnings.filterwarnings("ignore")\n'
        'with open("results.json", "w") as f:\n    json.dump({"a": 1}, f)\n'
        'os.makedirs("checkpoints", exist_ok=True)\nprint(os.path.join("checkpoints", "model.pt"), os.listdir("."))\n'
    ),
    "numpy and matplotlib": (
        "import matplotlib.pyplot as plt\na = np.zeros((3, 4))\na.shape = (4, 3)\nnp.save('a.npy', a)\nb = np.load('a.npy')\n"
        'plt.savefig("figure.png")\nplt.rcParams["figure.dpi"] = 100\n'
        'print("/".join(["a", "b"]), f"{a.size}/{b.size}", "train/test", "3 / 4", "source", "solutions of the release")\n'
        'print(f"{a.size / 3:.0f}/s", f"{a.size:>6}/{b.size}")\n'
    ),
    "torch": (
        "import torch\nfrom dataclasses import dataclass\nfrom torch import nn\nfrom torch.utils.data import Dataset\n"
        "torch.backends.cudnn.deterministic = True\n\n"
        "@dataclass\nclass Config:\n    lr: float = 1e-3\n\n"
        "class Digits(Dataset):\n    def __init__(self, x):\n        self.x = x\n    def __len__(self):\n        return len(self.x)\n"
        "    def __getitem__(self, i):\n        return self.x[i]\n"
        "    def __repr__(self):\n        return f'{self.__class__.__name__}()'\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"
        "    def forward(self, x):\n        return self.fc(x)\n\n"
        "model = Net()\nmodel.eval()\nwith torch.no_grad():\n    out = model(torch.zeros(1, 2))\n"
        'torch.save(model.state_dict(), "model.pt")\nmodel.load_state_dict(torch.load("model.pt"))\n'
        "for p in model.parameters():\n    p.grad = None\n"
    ),
    "lightning": (
        "import lightning as L\nclass Lit(L.LightningModule):\n    def training_step(self, batch, batch_idx):\n"
        '        self.log("train_loss", 1.0)\n    def configure_optimizers(self):\n        return None\n'
    ),
    "parameters named like modules": "def update(data, measure, np):\n    data.x = 1\n    measure.y = 2\n    np.z = 3\n    return data\n",
    "IPython, read only": (
        "from IPython import get_ipython\nfrom IPython.display import display\n"
        'if getattr(get_ipython(), "kernel", None) is not None:\n    display("x")\n'
    ),
    "exceptions, gc, local names": (
        "import gc\ngc.collect()\ntry:\n    pass\nexcept ValueError as error:\n    print(error)\n"
        "def largest(x, *, sum=0):\n    max_value = max(x)\n    return max_value + sum\n"
    ),
    "the same imports as the release": "import numpy as np\nfrom helpers.checks import check_close, check_equal\n",
}


@pytest.mark.parametrize("source", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_code_has_no_finding(source):
    assert scan_notebook(planted(source)[0], RELEASE) == []


IPY, INTERP, COMPARE, PATCH, OUT, EXIT, SHELL, UNPARSEABLE = CATEGORIES
ATTACKS = {  # the source of a new cell, and its findings as (line, category)
    # (1) an input transformer that blanks every cell containing assert
    "input transformer": (
        'get_ipython().input_transformers_cleanup.append(lambda lines: [] if any("assert" in l for l in lines) else lines)',
        {(1, IPY)},
    ),
    "input transformer, shell by another name": (
        "from IPython import get_ipython as shell_of\nip = shell_of()\nip.input_transformers_post.append(lambda lines: lines)",
        {(3, IPY)},
    ),
    "AST transformer, event, magic": (
        "ip = get_ipython()\nip.ast_transformers.append(None)\nip.events.register('pre_run_cell', print)\n"
        "ip.register_magic_function(print)\n%load_ext evil\n%run helper.py",
        {(2, IPY), (3, IPY), (4, IPY), (5, IPY), (6, IPY)},
    ),
    "hooks of sys": ("import sys\nsys.excepthook = print\nsys.settrace(None)", {(2, IPY), (3, IPY)}),
    "IPython's internals imported": ("from IPython.core.interactiveshell import InteractiveShell", {(1, IPY)}),
    # (2) reading the course's sources or gradebook at grading time, and running the instructor's solution
    "the source notebook": (
        'import json\nsource = json.load(open("../../../source/01_task_taxonomy/01_task_taxonomy.ipynb"))\n'
        'exec(source["cells"][7]["source"])',
        {(2, OUT), (3, INTERP)},
    ),
    "the home folder and the gradebook": (
        'import glob, pathlib\nhome = pathlib.Path.home()\nfound = glob.glob(f"{home}/**/gradebook.db", recursive=True)',
        {(2, OUT), (3, OUT)},
    ),
    "a parent folder": (
        'from pathlib import Path\nimport os\nsolutions = Path.cwd().parents[2] / "solutions"\nup = os.path.dirname(os.getcwd())',
        {(3, OUT), (4, OUT)},
    ),
    "nbgrader's API": ("from nbgrader.api import Gradebook", {(1, OUT)}),
    # (3) an answer that equals anything
    "__eq__ always True": (
        "class Always:\n    def __eq__(self, other):\n        return True\n\nbox_iou = lambda a, b: Always()",
        {(2, COMPARE)},
    ),
    "a float subclass": ("class Posing(float):\n    pass", {(1, COMPARE)}),
    "__eq__ assigned": (
        'class Answer:\n    __bool__ = lambda self: True\n\nAnswer.__eq__ = lambda s, o: True\nsetattr(Answer, "__array__", None)\n'
        'Made = type("Made", (), {"__ne__": lambda s, o: False})',
        {(2, COMPARE), (4, COMPARE), (5, COMPARE), (6, COMPARE)},
    ),
    # (4) patching numpy's testing and the course's checks
    "numpy.testing": ("np.testing.assert_allclose = lambda *a, **k: None\nnp.allclose = lambda *a, **k: True", {(1, PATCH), (2, PATCH)}),
    "helpers.checks by module": (
        "import helpers.checks\nhelpers.checks.check_close = lambda *a, **k: None\n"
        "from helpers import checks\nsetattr(checks, 'check_equal', print)",
        {(2, PATCH), (4, PATCH)},
    ),
    "check helpers re-bound": (
        "check_close = lambda *a, **k: None\ndef check_equal(*a, **k):\n    pass\nfrom unittest.mock import MagicMock as check_type\n"
        "def sneaky():\n    global rel_error\n    rel_error = lambda x, y: 0.0",
        {(1, PATCH), (2, PATCH), (4, PATCH), (7, PATCH)},
    ),
    "names the tests use re-bound": ("np = None\nfloat = object\nfrom numpy import *", {(1, PATCH), (2, PATCH), (3, PATCH)}),
    "environment that grading reads": (
        'import os\nos.environ["NBGRADER_EXECUTION"] = ""\nos.environ.pop("COURSE_QUICK")',
        {(2, PATCH), (3, PATCH)},
    ),
    # (5) hiding failures from IPython's traceback display
    "traceback display": (
        "get_ipython().showtraceback = lambda *a, **k: None\nget_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)\n"
        "ip = get_ipython()\nip.InteractiveTB = None",
        {(1, IPY), (2, IPY), (4, IPY)},
    ),
    "interpreter internals": (
        'import sys, gc, inspect\nsys.modules["numpy"] = None\nimport builtins\n__builtins__.abs = abs\ngc.get_objects()\n'
        'inspect.currentframe().f_back.f_globals["x"] = 1\nglobals().update(np=None)\nimport importlib\nimport ctypes',
        {(2, INTERP), (3, INTERP), (4, INTERP), (5, INTERP), (6, INTERP), (7, INTERP), (8, INTERP), (9, INTERP)},
    ),
    "process exit": (
        "import os, sys\nos._exit(0)\nsys.exit()\nexit()\nos.kill(os.getpid(), 9)\nimport signal",
        {(n, EXIT) for n in range(2, 7)},
    ),
    "shell and network": (
        "!cat ../../gradebook.db\nimport subprocess\nsubprocess.run(['ls'])\nimport os\nos.system('ls')\nimport urllib.request",
        {(1, SHELL), (1, OUT), (2, SHELL), (3, SHELL), (5, SHELL), (6, SHELL)},
    ),
    "shell cell magic": ("%%bash\nls", {(1, SHELL)}),
    "code under %%time": ("%%time\nimport os\nos._exit(0)", {(3, EXIT)}),
    "code under %%timeit and %time": ("%%timeit -n 1 import os; os._exit(0)\nimport sys\n%time sys.exit()", {(1, EXIT), (3, EXIT)}),
    "imported under another name": ("from os import _exit as leave\nleave(0)", {(1, EXIT), (2, EXIT)}),
    "after blank lines, which IPython drops": ("\n \nimport os\nos._exit(0)", {(4, EXIT)}),
    "syntax error": ("x = 1\ndef f(:\n    pass", {(2, UNPARSEABLE)}),
    "syntax error under %%time": ("%%time\n\nx = (", {(3, UNPARSEABLE)}),
}


@pytest.mark.parametrize(("source", "expected"), ATTACKS.values(), ids=ATTACKS.keys())
def test_attack_is_found(source, expected):
    nb, index = planted(source)
    findings = scan_notebook(nb, RELEASE)
    assert {(f.line, f.category) for f in findings} == expected
    assert all(f.cell == index and f.added and f.snippet == source.splitlines()[f.line - 1].strip() for f in findings)


def test_every_category_is_exercised():
    assert {category for _, expected in ATTACKS.values() for _, category in expected} == set(CATEGORIES)


def test_attack_in_an_exercise_cell():
    source = SOLUTION.cells[EXERCISE].source + "\n\ncheck_close = lambda *a, **k: None"
    nb, _ = planted(source, at=EXERCISE)
    [finding] = scan_notebook(nb, RELEASE)
    assert (finding.cell, finding.cell_id, finding.grade_id, finding.added) == (EXERCISE, "box_iou", "box_iou", False)
    assert (finding.line, finding.category, finding.snippet) == (len(source.splitlines()), PATCH, "check_close = lambda *a, **k: None")


def test_locked_cells_are_restored_but_earlier_copies_run():
    nb, _ = planted("import os\nos._exit(0)", at=TEST)
    assert scan_notebook(nb, RELEASE) == []  # the test cell itself is restored from the gradebook
    nb.cells.insert(TEST, copy.deepcopy(SOLUTION.cells[TEST]))
    assert scan_notebook(nb, RELEASE) == []  # the attack is the last copy: restored; the earlier copy is the real test
    nb.cells[TEST], nb.cells[TEST + 1] = nb.cells[TEST + 1], nb.cells[TEST]
    assert {(f.cell, f.line, f.category) for f in scan_notebook(nb, RELEASE)} == {(TEST, 2, EXIT)}  # it loses its metadata, runs
    assert {f.cell for f in scan_notebook(nb)} == set()  # without the release, a cell that says it is a test cell is skipped


def test_a_markdown_cell_with_an_exercise_id_runs_as_code():
    nb, _ = planted("import os\nos._exit(0)", at=EXERCISE)
    nb.cells[EXERCISE].cell_type = "markdown"
    nb.cells.append(nbformat.v4.new_markdown_cell("import os\nos._exit(0)"))
    assert {(f.cell, f.category) for f in scan_notebook(nb, RELEASE)} == {(EXERCISE, EXIT)}


def test_scan_course_and_reports(tmp_path):
    hand_ins = {"release": RELEASE, "submitted/alice": planted("import os\nos._exit(0)")[0], "submitted/bob": SOLUTION}
    for folder, nb in hand_ins.items():
        (tmp_path / folder / NAME).mkdir(parents=True)
        nbformat.write(nb, tmp_path / folder / NAME / f"{NAME}.ipynb")
    (tmp_path / "submitted" / "carol" / NAME).mkdir(parents=True)
    (tmp_path / "submitted" / "carol" / NAME / f"{NAME}.ipynb").write_text("{not json")
    (tmp_path / "submitted" / "dave").mkdir()  # handed in nothing

    results = scan_course(tmp_path)
    last = len(SOLUTION.cells)  # alice's added cell
    brief = {s: {n: [(f.student, f.notebook, f.cell, f.line, f.category) for f in fs] for n, fs in nb.items()} for s, nb in results.items()}
    assert brief == {
        "alice": {NAME: [("alice", NAME, last, 2, EXIT)]},
        "bob": {NAME: []},
        "carol": {NAME: [("carol", NAME, None, None, UNPARSEABLE)]},
        "dave": {},
    }
    text = format_report(results).splitlines()
    added = f"cell {last} ({hand_ins['submitted/alice'].cells[last].id}), line 2, an added cell"
    assert text[:3] == ["alice", f"  {NAME}", f"    {added}: [{EXIT}] os._exit: os._exit(0)"]
    assert text[3:5] == ["carol", f"  {NAME}"] and text[5].startswith(f"    notebook: [{UNPARSEABLE}] could not be read or scanned: ")
    assert text[6:] == ["2 findings in 3 notebooks of 4 students"]

    write_report(results, tmp_path / "reports" / "scan.json")
    report = json.loads((tmp_path / "reports" / "scan.json").read_text())
    assert report["summary"] == {"findings": 2, "notebooks": 3, "students": 4}
    assert report["students"]["alice"][NAME][0]["category"] == EXIT and report["students"]["bob"][NAME] == []

    assert format_report(scan_course(tmp_path, students=["bob"])) == "0 findings in 1 notebook of 1 student"
    assert scan_course(tmp_path, students=["bob"], names=["00_getting_started"]) == {"bob": {}}  # not handed in: left out
