"""The course's pytest plugin (pyproject.toml loads it in every run): test-wide settings and what it checks beyond nbval.

nbval runs each code cell of a notebook (``solutions/NN_*.ipynb``) as a test item, in one kernel per notebook,
``pytest --nbval-lax solutions/05_bag_of_words.ipynb`` for one. This plugin adds, for every notebook nbval runs:

- its kernel runs on the full data (``COURSE_QUICK`` and ``NBGRADER_EXECUTION`` removed, see helpers/runtime.py),
  in a scratch folder of its own, and a warning from the course's own code (the notebook or ``helpers``) is an error;
- a cell that writes to standard error fails, showing what it wrote;
- a few cells' printed output is compared with tests/expected_outputs.py, by nbval;
- one more item, ``prose numbers``, after the last cell: every number the prose states is computed, printed or
  asserted by a code cell (tests/prose_numbers.py); with ``COURSE_KEEP_EXECUTED=folder`` the executed notebook is
  written there, outputs included;
- with pytest-xdist (``-n 2 --dist loadgroup``), each notebook's items run in order in one worker, the longest notebooks first.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import zmq
from expected_outputs import EXPECTED
from nbval.plugin import IPyNbCell, IPyNbFile
from prose_numbers import unbacked_numbers
from xdist.scheduler import LoadGroupScheduling

# Plots are headless. The suite runs on two workers (``-n 2``), each executing notebooks in its own kernel, so each
# kernel gets one thread: two kernels with two threads each on two cores slow PyTorch's and TensorFlow's spin-waiting
# thread pools down several times over. Every kernel a test starts inherits these (nbval's, nbclient's, nbgrader's).
os.environ.setdefault("MPLBACKEND", "Agg")
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(variable, "1")

# Run in each notebook's kernel before its first cell; it leaves no name behind.
PREPARE = """\
import os as _os, warnings as _warnings
_os.chdir({scratch!r})
for _variable in ("COURSE_QUICK", "NBGRADER_EXECUTION"):
    _os.environ.pop(_variable, None)
_warnings.filterwarnings("error", module=r"(__main__|helpers(\\..*)?)$")
del _os, _warnings, _variable
"""

# Seconds each notebook took in the suite's run, beside another one (summed over its cells; a run of 4 December 2026, 07-10 then
# training 5 epochs, now 3): the longest start first.
SUITE_SECONDS = {"12": 253, "13": 131, "11": 115, "14": 104, "10": 92, "07": 87, "09": 86, "05": 62, "08": 62, "03": 42, "02": 32,
                 "04": 13, "06": 11}


@dataclass
class Run:
    """One notebook's run: its kernel, its scratch folder and the outputs of the cells that ran, by cell number."""

    kernel: object
    scratch: Path
    outputs: dict[int, list] = field(default_factory=dict)


RUN = pytest.StashKey[Run]()


class ProseNumbers(pytest.Item):
    """After a notebook's last cell: every number in its prose is computed, printed or asserted by a code cell."""

    def runtest(self) -> None:
        run = self.parent.stash.get(RUN, None)
        nb = executed(self.parent.nb, run.outputs if run else {})
        if os.environ.get("COURSE_KEEP_EXECUTED"):  # a folder to keep the executed notebooks in
            folder = Path(os.environ["COURSE_KEEP_EXECUTED"])
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / self.path.name)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        if not run or len(run.outputs) < len(code) or any(out.output_type == "error" for cell in code for out in cell.outputs):
            pytest.skip("not every cell ran without an error")
        missing = unbacked_numbers(nb)
        if missing:
            raise AssertionError("numbers in the prose that no code cell computes, prints or asserts (markdown cell: number):\n  "
                                 + "\n  ".join(missing))

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value) if excinfo.errisinstance(AssertionError) else super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.name} of {self.path.name}"


def executed(nb: nbformat.NotebookNode, outputs: dict[int, list]) -> nbformat.NotebookNode:
    """A copy of notebook ``nb`` with the outputs its code cells had (numbered as nbval numbers them)."""
    nb = copy.deepcopy(nb)
    for number, cell in enumerate(cell for cell in nb.cells if cell.cell_type == "code"):
        cell.outputs = copy.deepcopy(outputs.get(number, []))
        cell.execution_count = number + 1 if number in outputs else None
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = cell.execution_count
    return nb


def unbounded_output(notebook: IPyNbFile) -> None:
    """Give nbval's kernel a client whose output channel queues without limit.

    nbval reads a cell's output only once the cell has finished; a ZeroMQ queue holds 1,000 messages and drops the
    rest, so a long loop with a progress bar (tqdm in 08, 09) loses output, its last "idle" message among it, and nbval
    fails the cell with "Timeout of 5 seconds exceeded waiting for output".
    """
    client = notebook.kernel.km.client()
    client.context.setsockopt(zmq.RCVHWM, 0)  # the default for the client's sockets; 0 is no limit
    client.start_channels()
    client.wait_for_ready(timeout=60)
    notebook.kernel.kc.stop_channels()
    notebook.kernel.kc = client
    notebook.kernel._ensure_iopub_up()  # nbval's own start-up step, again for the new channel


def prepare(notebook: IPyNbFile) -> None:
    """Start a notebook's run in the kernel nbval started: a scratch folder, the output channel, the settings."""
    kernel = notebook.kernel
    scratch = Path(tempfile.mkdtemp(prefix=f"{notebook.path.stem}-"))
    notebook.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    notebook.stash[RUN] = Run(kernel, scratch)
    unbounded_output(notebook)
    # Cells run as Jupyter runs them, in the history (nbval leaves them out): a final ";" then hides a cell's value.
    kernel.execute_cell_input = lambda source, allow_stdin=None: kernel.kc.execute(source, allow_stdin=allow_stdin, stop_on_error=False)
    reply = kernel.kc.execute_interactive(PREPARE.format(scratch=str(scratch)), store_history=False, timeout=60,
                                          output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"preparing the kernel failed: {reply['content'].get('evalue')}")


def expect_output(item: IPyNbCell) -> None:
    """Hand nbval the expected output of a cell listed in tests/expected_outputs.py, for its comparison."""
    text = EXPECTED.get(item.path.stem, {}).get(item.cell.get("id"))
    if text is not None:
        item.cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        item.cell.execution_count = 1  # nbval compares only cells that ran
        item.options["check"] = True


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A ``prose numbers`` item after each notebook's cells."""
    report = yield
    if isinstance(collector, IPyNbFile) and report.passed:
        report.result.append(ProseNumbers.from_parent(collector, name="prose numbers"))
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The notebooks first, the longest first, each one's items in order; then the other tests."""
    notebooks: dict[IPyNbFile, list[pytest.Item]] = {}
    others = []
    for item in items:
        (notebooks.setdefault(item.parent, []) if isinstance(item.parent, IPyNbFile) else others).append(item)
    order = sorted(notebooks, key=lambda notebook: -SUITE_SECONDS.get(notebook.path.stem[:2], 0))
    items[:] = [item for notebook in order for item in notebooks[notebook]] + others


class NotebookScheduling(LoadGroupScheduling):
    """xdist's ``--dist loadgroup`` with each notebook as a group: its items run in order, in one worker and kernel.

    pytest 9.2 ignores the group that xdist 3.8 writes into a test's id for an ``xdist_group`` mark (pytest-xdist
    issue 1386), so notebooks are grouped here, by file; every other test is a group of its own. It replaces
    ``load`` (``-n`` alone) and ``worksteal`` too, which would spread a notebook's cells over the workers.
    """

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if path.endswith(".ipynb") else super()._split_scope(nodeid)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") in ("load", "worksteal", "loadgroup"):
        config.option.loadscopereorder = False  # the order of the collection: the longest notebooks first
        return NotebookScheduling(config, log)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    yield  # nbval starts the notebook's kernel when its first item is set up
    if isinstance(item, IPyNbCell | ProseNumbers):
        run = item.parent.stash.get(RUN, None)
        if run is None or run.kernel is not item.parent.kernel:
            prepare(item.parent)
    if isinstance(item, IPyNbCell):
        expect_output(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not isinstance(item, IPyNbCell):
        return (yield)
    try:
        result = yield
    finally:
        if item.test_outputs is not None:  # None: the cell never reached the kernel
            item.parent.stash[RUN].outputs[item.cell_num] = item.test_outputs
    written = "".join(out.text for out in item.test_outputs if out.output_type == "stream" and out.name == "stderr")
    if written:
        item.raise_cell_error("Cell wrote to standard error", "\n" + written)
    return result
