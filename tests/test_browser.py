"""The course as a student meets it, in a real browser: `python3 course.py lab`, driven by Playwright.

Not part of any lesson. JupyterLab starts as the README's command starts it, with a fresh
JupyterLab profile (first start: its settings and workspace in a scratch folder), and serves a
scratch copy of notebooks/ (Validate saves the notebook first, and notebooks/ must stay as
committed) holding also ``solved/01_task_taxonomy.ipynb``: notebook 01 as handed out, with the
solution's code in each exercise, as a student who solved it would have it. Playwright drives the
system's Chromium, headless; nothing downloads a browser. The tests run in order in one page, each
on the notebook it opens, and each step leaves a screenshot in ``$COURSE_ARTEFACTS/browser/``
(default ``build/artefacts/browser/``, git-ignored) beside JupyterLab's log.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from students import exercises, solution_code, with_answers

from course_grade import grading

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -r requirements.txt")

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip("no Chromium for the browser tests: install Debian's (`sudo apt-get install chromium`, as .ci/run does) "
                "or set COURSE_CHROMIUM to a Chromium executable; these tests never download a browser", allow_module_level=True)

pytestmark = pytest.mark.xdist_group("browser")  # one JupyterLab and one browser for the whole module

spec = importlib.util.spec_from_file_location("course_script", grading.REPO / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)
KERNEL = course.KERNEL[1]  # which every notebook names (tests/test_setup.py)
ARTEFACTS = Path(os.environ.get("COURSE_ARTEFACTS", grading.REPO / "build" / "artefacts")) / "browser"
SOLVED = "solved/01_task_taxonomy.ipynb"
START_S, STEP_S = 300, 180  # JupyterLab's start, and any one step (a notebook run, a validation), on a loaded machine
SETTLED = """([panel]) => {
    const prompts = [...panel.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map(p => p.textContent.trim());
    return prompts.every(p => /^\\[\\d+\\]:$/.test(p)) || panel.querySelector("[data-mime-type$='stderr']");
}"""  # every code cell run, or one of them wrote to stderr (an error's traceback, a warning)
REDRAWN = """([cell, before]) => {
    const figure = cell.querySelector(".widget-output img");
    return figure !== null && figure.getAttribute("src") !== before;
}"""  # the explorer's output holds a new figure in place of the one shown before
PAINTED = """(element) => new Promise(painted => {
    const check = () => requestAnimationFrame(element.checkVisibility({contentVisibilityAuto: true}) ? painted : check);
    check();
})"""  # once the browser renders it (JupyterLab skips rendering the cells out of view), and one frame more


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def solved(name: str) -> nbformat.NotebookNode:
    """Notebook ``name`` as handed out, each exercise holding the solution's code."""
    released = nbformat.read(grading.NOTEBOOKS / f"{name}.ipynb", as_version=4)
    source = {cell.id: cell.source for cell in nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4).cells}
    return with_answers(released, {cell_id: solution_code(source[cell_id]) for cell_id in exercises(released)})


def wait_until_serving(process: subprocess.Popen, log: Path, port: int, token: str) -> str:
    """The URL JupyterLab says it opens (its path, with the token), once it answers."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`course.py lab` exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5).close()
        except OSError:
            time.sleep(0.5)  # polling the server, not waiting for the page
            continue
        found = re.search(rf"http://127\.0\.0\.1:{port}(/\S*)\?token=", log.read_text())
        assert found, f"JupyterLab answers but printed no URL:\n{log.read_text()[-3000:]}"
        return f"http://127.0.0.1:{port}{found.group(1)}?token={token}"
    pytest.fail(f"JupyterLab did not answer within {START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``(url, root)``: `course.py lab` serving a scratch copy of notebooks/ (and solved/), and the URL it opens."""
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    scratch = tmp_path_factory.mktemp("lab")
    root = scratch / "notebooks"
    shutil.copytree(grading.NOTEBOOKS, root)
    (root / SOLVED).parent.mkdir()
    nbformat.write(solved("01_task_taxonomy"), root / SOLVED)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "COURSE_QUICK", "NBGRADER_EXECUTION")}  # a student's
    env.update(JUPYTER_CONFIG_DIR=str(scratch / "profile"), JUPYTER_RUNTIME_DIR=str(scratch / "runtime"))
    port, token, log = free_port(), secrets.token_hex(16), scratch / "jupyterlab.log"
    command = [sys.executable, grading.REPO / "course.py", "lab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}"]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield wait_until_serving(process, log, port, token), root
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already if it failed to start
            os.killpg(process.pid, signal.SIGTERM)  # course.py and its JupyterLab, which shuts its kernels down
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.copyfile(log, ARTEFACTS / "jupyterlab.log")


@pytest.fixture(scope="module")
def page(lab):
    """One headless Chromium page on the URL `course.py lab` opens, as the student's browser would open it."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(STEP_S * 1000)
        page.goto(lab[0])
        yield page
        browser.close()


@pytest.fixture(autouse=True)
def shot_on_failure(request, page):
    """A screenshot of the page as a test that failed left it."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        with contextlib.suppress(sync_api.Error):  # the browser may be what failed
            shot(page, f"failed-{request.node.name}")


def shot(page, name: str, showing=None) -> None:
    """A screenshot of the page, scrolled first to show the element ``showing`` (a locator), if given."""
    if showing is not None:
        showing.scroll_into_view_if_needed()
        showing.evaluate(PAINTED)
    page.screenshot(path=ARTEFACTS / f"{name}.png")


def current_tab(page, path: str = ""):
    """The tab of the document in view (``path``'s, if given)."""
    tab = page.locator(".lm-TabBar-tab.lm-mod-current[data-type='document-title']")
    return tab.and_(page.locator(f"[title*='Path: {path}']")) if path else tab


def current_notebook(page):
    """The notebook in view, once its kernel is the course's and idle."""
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for()
    page.locator(".jp-StatusBar-Item", has_text=f"{KERNEL} | Idle").wait_for()
    return panel


def open_notebook(page, path: str):
    """Open ``path`` (from the served folder) by double-clicks in the file browser, as a student does."""
    page.locator(".jp-BreadCrumbs-home").click()
    listing = page.locator(".jp-DirListing-itemName")
    listing.get_by_text(SOLVED.split("/")[0], exact=True).wait_for()  # the served folder's own listing
    for item in path.split("/"):
        listing.get_by_text(item, exact=True).dblclick()
    current_tab(page, path).wait_for()
    return current_notebook(page)


def validate(page, panel, name: str) -> str:
    """Press the notebook's Validate (nbgrader), keep a screenshot of its answer, close it; the answer's text."""
    panel.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for()
    shot(page, name)
    text = dialog.inner_text()
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")
    return text


def run_cell(page, panel, text: str) -> None:
    """Run, in place, the code cell that shows ``text``."""
    panel.locator(".jp-CodeCell", has_text=text).locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")


def test_lab_opens_on_the_course_tree_with_notebook_00_and_no_prompt(page, lab):
    panel = current_notebook(page)
    panel.locator("h1", has_text="00 · Getting started").wait_for()
    names = [f"{name}.ipynb" for name in grading.solution_names()]
    page.locator(".jp-DirListing-itemName").get_by_text(names[-1], exact=True).wait_for()
    shot(page, "1-start")
    assert current_tab(page, "00_getting_started.ipynb").count() == 1
    listed = page.locator(".jp-DirListing-itemName").all_text_contents()
    assert [name for name in listed if name.endswith(".ipynb")] == names
    assert page.locator(".Toastify__toast").all_inner_texts() == [], "JupyterLab asks something on first start"


def test_notebook_00_runs_on_the_course_kernel_in_the_course_environment(page):
    panel = current_notebook(page)
    assert panel.locator(".jp-NotebookPanel-toolbar .jp-KernelName").inner_text() == KERNEL
    assert page.locator(".jp-Dialog").count() == 0, "JupyterLab asks for a kernel"
    run_cell(page, panel, "check_environment()")
    checked = panel.locator(".jp-CodeCell", has_text="check_environment()").locator(".jp-OutputArea-output")
    checked.first.wait_for()
    current_notebook(page)
    shot(page, "2-course-kernel", checked.first)
    assert "✓ Everything the course needs is installed" in "".join(checked.all_text_contents())


def test_run_all_on_a_solved_notebook_draws_its_figures_without_error(page, lab):
    panel = open_notebook(page, SOLVED)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(SETTLED, arg=[panel.element_handle()], polling=500)
    current_notebook(page)
    panel.locator(".jp-NotebookPanel-toolbar [data-command='docmanager:save']").click()
    current_tab(page, SOLVED).and_(page.locator(":not(.jp-mod-dirty)")).wait_for()
    figures = panel.locator(".jp-OutputArea-output img")
    shot(page, "3-run-all-solved", figures.first)
    outputs = [out for cell in nbformat.read(lab[1] / SOLVED, as_version=4).cells if cell.cell_type == "code" for out in cell.outputs]
    assert [f"{out.ename}: {out.evalue}" for out in outputs if out.output_type == "error"] == []
    assert [out.text for out in outputs if out.get("name") == "stderr"] == []
    assert figures.count() == sum("image/png" in out.get("data", {}) for out in outputs) > 0
    assert figures.evaluate_all("images => images.every(image => image.complete && image.naturalWidth > 0)")


def test_validate_passes_the_solved_notebook(page):
    panel = open_notebook(page, SOLVED)
    assert "Success! Your notebook passes all the tests." in validate(page, panel, "4-validate-solved")


def test_validate_names_the_failing_cell_of_the_untouched_notebook(page):
    panel = open_notebook(page, "01_task_taxonomy.ipynb")
    answer = validate(page, panel, "5-validate-untouched")
    nb = nbformat.read(grading.NOTEBOOKS / "01_task_taxonomy.ipynb", as_version=4)
    first_test = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade"))
    assert "The following cell failed:" in answer and "NotImplementedError" in answer
    assert first_test.source.splitlines()[0] in answer


def test_the_explorer_of_06_answers_its_sliders(page):
    panel = open_notebook(page, "06_convolution_mechanics.ipynb")
    run_cell(page, panel, "import_torch_then_tensorflow")
    run_cell(page, panel, "the geometry explorer")
    explorer = panel.locator(".jp-CodeCell", has_text="the geometry explorer")
    slider = explorer.locator(".widget-slider", has_text="W (input)")
    figure = explorer.locator(".widget-output img")
    figure.wait_for()
    before = figure.get_attribute("src")
    shot(page, "6-explorer", slider)
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(REDRAWN, arg=[explorer.element_handle(), before])
    assert slider.locator(".widget-readout").text_content().strip() == "11"
    shot(page, "7-explorer-moved", slider)


def test_nothing_popped_up_during_the_session(page):
    assert page.locator(".Toastify__toast").all_inner_texts() == []
    assert page.get_by_text("official Jupyter news").count() == 0
