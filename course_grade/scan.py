"""A static scan of student submissions, before grading, for code that could tamper with it.

Not part of any lesson. :func:`scan_course` parses every cell that grading runs
as the student wrote it (every code cell but the locked ones, which nbgrader
restores from the gradebook), with IPython's syntax (``!cmd``, ``%magic``,
``%%magic``) turned into Python first, and lists for the instructor, per
student, notebook, cell and line, anything that reaches into IPython or the
interpreter, overrides comparison, patches a library or the course's checks,
reads outside the submission's folder, runs a shell or the network, or ends
the process. It only flags: it changes nothing and no score. Names are
resolved through the notebook's imports (``from os import _exit as e`` makes
``e()`` an ``os._exit``); code built at run time (``exec``, ``getattr`` with a
computed name) is flagged where it happens, not followed.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from dataclasses import asdict, dataclass, replace
from functools import cache, lru_cache
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

CATEGORIES = (
    IPYTHON := "ipython-internals",
    INTERPRETER := "interpreter-internals",
    COMPARISON := "comparison-override",
    MONKEYPATCH := "monkeypatch",
    OUTSIDE := "outside-paths",
    EXIT := "process-exit",
    SHELL_CMD := "network-or-shell",
    UNPARSEABLE := "unparseable",
)

# Qualified names (a module, or a name in one) and what touching them is; "x*" matches every name that starts with x.
# "builtin:NAME" is a built-in name that nothing in the notebook re-binds.
RULES = {
    **dict.fromkeys(("IPython.core", "IPython.terminal", "IPython.InteractiveShell", "IPython.embed", "IPython.start_ipython",
                     "IPython.start_kernel", "ipykernel", "sys.excepthook", "sys.displayhook", "sys.settrace", "sys.setprofile",
                     "sys.breakpointhook", "threading.settrace", "threading.setprofile"), IPYTHON),
    **dict.fromkeys(("sys.modules", "sys._getframe", "sys._current_frames", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache",
                     "sys.addaudithook", "sys.path.append", "sys.path.insert", "sys.path.extend", "sys.path.remove", "sys.path.clear",
                     "builtins", "builtin:__builtins__", "builtin:__import__", "builtin:exec", "builtin:eval", "builtin:compile",
                     "gc.get_objects", "gc.get_referrers", "gc.get_referents", "gc.callbacks", "ctypes", "_ctypes", "inspect.currentframe",
                     "inspect.stack", "inspect.trace", "inspect.getouterframes", "inspect.getinnerframes", "importlib", "imp", "runpy",
                     "marshal", "pickle.loads", "_pickle.loads", "types.CodeType", "__main__"), INTERPRETER),
    **dict.fromkeys(("unittest.mock", "mock"), MONKEYPATCH),
    **dict.fromkeys(("pathlib.Path.home", "pathlib.PosixPath.home", "pathlib.WindowsPath.home", "os.path.expanduser", "os.path.expandvars",
                     "os.chdir", "os.fchdir", "os.chroot", "pwd", "nbgrader", "nbformat", "nbclient", "nbconvert",
                     "sqlite3", "sqlalchemy"), OUTSIDE),
    **dict.fromkeys(("subprocess", "os.system", "os.popen", "os.exec*", "os.spawn*", "os.posix_spawn*", "os.fork*", "pty", "socket", "ssl",
                     "urllib", "urllib3", "http", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib", "xmlrpc", "paramiko",
                     "webbrowser", "pip", "jupyter_client", "asyncio.create_subprocess_*"), SHELL_CMD),
    **dict.fromkeys(("os._exit", "os.abort", "os.kill", "os.killpg", "sys.exit", "signal", "_thread.interrupt_main", "atexit",
                     "builtin:exit", "builtin:quit", "builtin:SystemExit"), EXIT),
}
NOT_RULED = ("IPython.core.getipython", "IPython.core.display")  # harmless parts of the modules above
CONFIGURATION = ("torch.backends.", "pandas.options.")  # attributes of libraries that are set to configure them

SHELL = "get_ipython()"  # what a call of get_ipython resolves to
SHELL_GETTERS = {"builtin:get_ipython", "IPython.get_ipython", "IPython.core.getipython.get_ipython"}
SHELL_ATTRIBUTES = {  # attributes of the shell (or its kernel) that change how cells run or are reported
    **dict.fromkeys(("input_transformers_cleanup", "input_transformers_post", "input_transformer_manager", "ast_transformers",
                     "transform_cell", "transform_ast", "run_cell", "run_cell_async", "run_code", "run_ast_nodes", "events", "hooks",
                     "set_hook", "register_magic_function", "register_magics", "magics_manager", "run_line_magic", "run_cell_magic",
                     "magic", "extension_manager", "prefilter_manager", "set_custom_exc", "custom_exceptions", "showtraceback",
                     "showsyntaxerror", "showindentationerror", "_showtraceback", "InteractiveTB", "SyntaxTB", "excepthook",
                     "displayhook", "display_pub", "display_formatter", "compile", "user_ns", "user_global_ns", "user_module",
                     "ns_table", "push", "del_var", "ex", "ev", "safe_execfile", "safe_run_module", "shell", "do_execute",
                     "execute_request", "send_response", "session", "iopub_socket"), IPYTHON),
    **dict.fromkeys(("system", "system_raw", "system_piped", "getoutput"), SHELL_CMD),
}
ATTRIBUTES = {  # attribute names that mean one thing on whatever object
    **dict.fromkeys(("parent", "parents", "expanduser"), OUTSIDE),
    **dict.fromkeys(("f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "__globals__",
                     "__subclasses__", "__builtins__"), INTERPRETER),
}
OVERRIDES = {  # special methods through which an answer can pass a test that it should fail
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__", "__int__", "__index__", "__complex__",
    "__round__", "__abs__", "__sub__", "__rsub__", "__array__", "__array_ufunc__", "__array_function__", "__array_interface__",
    "__array_struct__", "__array_priority__", "__array_wrap__", "__torch_function__", "__instancecheck__", "__subclasscheck__",
    "__class__", "__getattribute__", "__getattr__",
}
FUNCTION_PARTS = {"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__bases__"}  # written, on whatever object: a patch
VALUE_BASES = ("builtin:float", "builtin:int", "builtin:complex", "builtin:bool", "builtin:type", "enum.IntEnum", "enum.IntFlag",
               "numpy.", "torch.Tensor", "tensorflow.Tensor", "tensorflow.Variable")  # subclasses that can pose as an answer
TEST_BUILTINS = {"AssertionError", "abs", "all", "any", "bool", "float", "int", "isinstance", "len", "type"}  # hidden tests' verdicts
BUILTIN_NAMES = set(dir(builtins)) | {"__builtins__", "get_ipython", "exit", "quit", "display"}

PYTHON_MAGICS = {"time", "timeit", "prun", "capture"}  # their code is scanned as Python
SAFE_MAGICS = {"matplotlib", "who", "whos", "who_ls", "precision", "pprint", "html", "HTML", "javascript", "js", "latex", "markdown",
               "svg", "lsmagic", "pinfo", "pinfo2", "pdef", "pdoc", "psource", "pwd", "history", "quickref", "debug", "pdb", "tb"}
SHELL_MAGICS = {"bash", "sh", "script", "system", "sx", "sc", "alias", "perl", "ruby", "python", "python2", "python3", "pypy", "cmd",
                "powershell", "pwsh", "pip", "conda", "mamba", "micromamba", "uv"}
FILE_MAGICS = {"cd", "pushd", "popd", "load", "loadpy", "pycat", "writefile", "file", "save"}  # flagged with a path outside
HOME_MAGICS = {"store", "bookmark"}  # they keep values in IPython's profile, outside the submission's folder
WORKING_FOLDER = {"os.getcwd", "os.getcwdb", "os.path.abspath", "os.path.realpath", "pathlib.Path.cwd"}  # its parent is outside
ENV_WRITERS = {"os.environ.setdefault", "os.environ.pop", "os.environ.__setitem__", "os.environ.__delitem__", "os.putenv", "os.unsetenv"}

PATH = re.compile(  # a path outside the submission's folder, or to the course's own files
    r"^\s*(?:/[\w.~$*-]|~|[A-Za-z]:[\\/]|\\\\)"  # absolute, or the home folder
    r"|(?<![\w.])\.\.(?:[/\\]|$)"  # a parent folder
    r"|gradebook|\.ipynb\b|(?-i:nbgrader)"
    r"|(?<![\w.-])(?:source|solutions|autograded|submitted|release|feedback)[/\\]"
    r"|[/\\](?:source|solutions|autograded|submitted|release|feedback)(?![\w.-])",
    re.IGNORECASE,
)
ENV_READ_BY_GRADING = re.compile(r"^(?:NBGRADER|COURSE_|JUPYTER|JPY_|IPYTHON|PYTHON(?!HASHSEED$)|PATH$|HOME$|LD_)", re.IGNORECASE)
SNIPPET_CHARS = 120
_TRANSFORMER = TransformerManager()


@dataclass(frozen=True)
class Finding:
    """One flagged line: ``cell`` (an index into the submission's cells) and ``line`` are None when the whole notebook is unreadable.

    ``added`` says that the cell is not in the released notebook (context for the instructor, not a finding of its own).
    """

    student: str
    notebook: str
    cell: int | None
    cell_id: str
    grade_id: str
    line: int | None
    category: str
    what: str
    snippet: str
    added: bool = False


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _text(node) -> str | None:
    """The value of a string literal, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dotted(node) -> str | None:
    """``"a.b.c"`` for the expression ``a.b.c``, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


@cache
def _rule(qualname: str) -> str | None:
    """The category of :data:`RULES` that ``qualname`` falls under, if any."""
    if any(qualname == p or qualname.startswith(p + ".") for p in NOT_RULED):
        return None
    for prefix, category in RULES.items():
        if qualname.startswith(prefix[:-1]) if prefix.endswith("*") else qualname == prefix or qualname.startswith(prefix + "."):
            return category
    return None


@lru_cache(maxsize=4096)  # the same cells recur across students and in the release
def _parse(source: str) -> ast.Module:
    """The cell's code, IPython syntax turned into calls of ``get_ipython()``; raises SyntaxError."""
    return ast.parse(_TRANSFORMER.transform_cell(source))


def _imports(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str, str]]:
    """``(bound name, what it is bound to, what is imported)`` for each name of an import statement but ``*``."""
    if isinstance(node, ast.Import):
        return [(a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0], a.name) for a in node.names]
    module = "." * node.level + (node.module or "")
    return [(a.asname or a.name, f"{module}.{a.name}", f"{module}.{a.name}") for a in node.names if a.name != "*"]


def _scope(body: list[ast.AST], args: ast.arguments | None = None) -> tuple[dict[str, str | None], set[str], set[str]]:
    """Names bound in one scope (not in the functions or classes it defines), each with what it resolves to; names declared
    global; and names bound other than by an import.

    An import binds its module or name, ``x = a.b`` an alias (``"=a.b"``), ``x = a.b()`` one that stands for the shell if
    ``a.b`` is get_ipython (``"=a.b()"``); anything else binds an unknown value (None). Where a name is bound several ways,
    an import wins, then an alias.
    """
    names: dict[str, str | None] = {}
    declared: set[str] = set()
    assigned: set[str] = set()

    def bind(name: str, value: str | None = None, imported: bool = False) -> None:
        if _rank(value) > _rank(names.get(name)) or name not in names:
            names[name] = value
        if not imported:
            assigned.add(name)

    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if args else []:
        if a:
            bind(a.arg)
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for name, value, _ in _imports(node):
                bind(name, value, imported=True)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bind(node.name)
            continue
        elif isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            call = isinstance(value, ast.Call) and not value.args and not value.keywords
            dotted = _dotted(value.func if call else value)
            bind(node.targets[0].id, dotted and f"={dotted}{'()' * call}")
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bind(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bind(node.name)
        stack.extend(ast.iter_child_nodes(node))
    for name in declared:
        names.pop(name, None)
    return names, declared, assigned - declared


def _magic_python(node: ast.AST) -> str | None:
    """The Python code that ``node`` runs, if it is IPython's call of a magic that runs Python (``%time``, ``%%timeit``...)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("run_line_magic", "run_cell_magic")):
        return None
    name, line, body = ([_text(a) for a in node.args] + [None] * 3)[:3]
    if name not in PYTHON_MAGICS:
        return None
    code = "" if name == "capture" else re.sub(r"^(?:\s*-\w+(?:\s+\d+)?)*\s*", "", line or "")  # %%timeit's line is set-up code
    return f"{code or 'pass'}\n{body or ''}" if node.func.attr == "run_cell_magic" else code  # "pass": a blank first line would be dropped


def _with_magics(tree: ast.Module) -> list[ast.Module]:
    """``tree`` and the trees of the Python that its magics run (those that parse)."""
    trees = [tree]
    for node in ast.walk(tree):
        if code := _magic_python(node):
            try:
                trees += _with_magics(_parse(code))
            except (SyntaxError, ValueError):
                pass
    return trees


def _rank(value: str | None) -> int:
    """Which of several bindings of a name counts: an import, then an alias, then an unknown value."""
    return 0 if value is None else 1 if value.startswith("=") else 2


@cache
def _checks_names() -> frozenset[str]:
    """The public names that helpers.checks defines."""
    tree = ast.parse((Path(__file__).parent.parent / "helpers" / "checks.py").read_text())
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    defined += [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    return frozenset(name for name in defined if not name.startswith("_"))


def _is_test(cell) -> bool:
    return bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def _is_locked(cell) -> bool:
    """As nbgrader's ``utils.is_locked``: a test cell, or a cell marked locked that is not an exercise."""
    return not _meta(cell).get("solution") and bool(_meta(cell).get("grade") or _meta(cell).get("locked"))


def _protected(release: list[tuple[object, ast.Module]], trusted: bool) -> dict[str, set[str]]:
    """The names that the tests use and the student has no reason to re-bind, each with the imports that may bind it.

    Those are helpers.checks' names; the modules and names that the release imports outside exercise cells and its test
    cells use; the built-ins that its test cells (or hidden tests) use; less any name that the release itself assigns
    (in its test cells only, unless it is ``trusted``: the instructor's own release, not a submission standing for it).
    """
    origins: dict[str, set[str]] = {name: {f"helpers.checks.{name}"} for name in _checks_names()}
    imported, loaded, assigned = set(), set(), set()
    for cell, tree in release:
        if _is_test(cell):
            loaded |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for node in tree.body if not _meta(cell).get("solution") else []:
            for name, value, _ in _imports(node) if isinstance(node, ast.Import | ast.ImportFrom) else []:
                origins.setdefault(name, set()).add(value)
                imported.add(name)
        assigned |= _scope(tree.body)[2] if trusted or _is_test(cell) else set()
    names = _checks_names() | (imported & loaded) | ((loaded | TEST_BUILTINS) & BUILTIN_NAMES)
    return {name: origins.get(name, set()) for name in names - assigned}


def _cells_that_run(nb, released) -> list[int]:
    """Indices of the cells that grading runs as the student wrote them.

    With the release, as nbgrader does: of the cells carrying a locked cell's grade_id, the last one marked as an nbgrader
    cell is restored from the gradebook (earlier copies lose their metadata and run), and a non-code cell carrying a released
    code cell's grade_id is turned back into code. Without it, every code cell but the test cells.
    """
    if released is None:
        return [i for i, cell in enumerate(nb.cells) if cell.get("cell_type") == "code" and not _is_test(cell)]
    restored = {_meta(c).get("grade_id") for c in released.cells if _is_locked(c)} - {None}
    code = {_meta(c).get("grade_id") for c in released.cells if c.cell_type == "code"} - {None}
    run, seen = [], set()
    for i in reversed(range(len(nb.cells))):
        cell, meta = nb.cells[i], _meta(nb.cells[i])
        grade_id = meta.get("grade_id")
        marked = any(meta.get(key) for key in ("grade", "solution", "locked"))
        duplicate = marked and grade_id in seen
        seen |= {grade_id} if marked else set()
        if grade_id in restored and not duplicate:
            continue
        if cell.get("cell_type") == "code" or (grade_id in code and not duplicate):
            run.append(i)
    return run[::-1]


def _parsed(cells) -> list[tuple[object, ast.Module]]:
    """``(cell, tree)`` for each of ``cells`` that parses."""
    parsed = []
    for cell in cells:
        try:
            parsed.append((cell, _parse(cell.get("source", ""))))
        except (SyntaxError, ValueError):  # ValueError: null bytes, on older Pythons 3.11
            pass
    return parsed


class _Scanner(ast.NodeVisitor):
    """Scans one cell, with the notebook's module scope and protected names, into ``found``: ``{(line, category): what}``."""

    def __init__(self, module: dict[str, str | None], protected: dict[str, set[str]]):
        self.scopes: list[tuple[dict[str, str | None], set[str]]] = [(module, set())]
        self.protected = protected
        self.found: dict[tuple[int, str], str] = {}
        self.offset = 0
        self.parents: dict[ast.AST, ast.AST] = {}

    def scan(self, source: str, offset: int = 0) -> None:
        """Scan ``source``, whose first line is the cell's line ``offset + 1``; code that does not parse is flagged as such."""
        offset += next((i for i, line in enumerate(source.splitlines()) if line and not line.isspace()), 0)  # IPython drops them
        try:
            tree = _parse(source)
        except (SyntaxError, ValueError) as error:
            line = offset + (getattr(error, "lineno", None) or 1)
            self.found.setdefault((line, UNPARSEABLE), f"{type(error).__name__}: {getattr(error, 'msg', error)}")
            return
        saved, self.offset = self.offset, offset
        self.parents.update({child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)})
        self.visit(tree)
        self.offset = saved

    def add(self, node: ast.AST, category: str, what: str) -> None:
        self.found.setdefault((node.lineno + self.offset, category), what)

    # ---------------------------------------------------------------- names

    def resolve(self, name: str, depth: int = 0) -> str | None:
        """What ``name`` stands for: a qualified name, the shell, ``builtin:NAME``, or None (a value of the student's)."""
        for names, _ in reversed(self.scopes):
            if name in names:
                value = names[name]
                if value and value.startswith("="):
                    root, _, rest = value[1:].removesuffix("()").partition(".")
                    base = self.resolve(root, depth + 1) if depth < 5 else None
                    base = base and (f"{base}.{rest}" if rest else base)
                    return (SHELL if base in SHELL_GETTERS else None) if value.endswith("()") else base
                return value
        return f"builtin:{name}" if name in BUILTIN_NAMES else None

    def qual(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.resolve(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qual(node.value)
            return base and f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            func = self.qual(node.func)
            if func in SHELL_GETTERS:
                return SHELL
            if func == "builtin:getattr" and len(node.args) >= 2 and _text(node.args[1]) is not None:
                base = self.qual(node.args[0])
                return base and f"{base}.{_text(node.args[1])}"
        return None

    def check(self, node: ast.AST, qualname: str, store: bool = False) -> None:
        """Flag a reference to ``qualname``; ``store``: it is assigned or deleted."""
        shown = qualname.removeprefix("builtin:")
        if qualname.startswith(SHELL + "."):
            parts = qualname[len(SHELL) + 1 :].split(".")
            category = IPYTHON if store else next((SHELL_ATTRIBUTES[p] for p in parts if p in SHELL_ATTRIBUTES), None)
        else:
            category = _rule(qualname)
            if category is None and store and not qualname.startswith(("builtin:", *CONFIGURATION)):
                category, shown = MONKEYPATCH, f"assigns {shown}"
        if category:
            self.add(node, category, shown)

    def at_module_level(self, name: str) -> bool:
        return len(self.scopes) == 1 or name in self.scopes[-1][1]

    def bind(self, node: ast.AST, name: str, origin: str | None = None) -> None:
        """Flag a module-level binding of a name the tests use, unless it imports what the release imports."""
        if self.at_module_level(name) and name in self.protected and origin not in self.protected[name]:
            self.add(node, MONKEYPATCH, f"re-binds {name}, which the tests use" + (f", to {origin}" if origin else ""))

    # ---------------------------------------------------------------- scopes

    def visit_scope(self, body: list[ast.AST], args: ast.arguments | None = None) -> None:
        self.scopes.append(_scope(body, args)[:2])
        for statement in body:
            self.visit(statement)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in [*node.decorator_list, node.args, node.returns]:
            if child:
                self.visit(child)
        self.bind(node, node.name)
        self.visit_scope(node.body, node.args)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.scopes.append(_scope([], node.args)[:2])
        self.visit(node.body)
        self.scopes.pop()

    def visit_ListComp(self, node: ast.AST) -> None:
        self.scopes.append(({n.id: None for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}, set()))
        self.generic_visit(node)
        self.scopes.pop()

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(child)
        self.bind(node, node.name)
        for base in node.bases:
            qualname = self.qual(base) or ""
            if any(qualname == b or qualname.startswith(b) and b.endswith(".") for b in VALUE_BASES):
                self.add(node, COMPARISON, f"class {node.name} subclasses {qualname.removeprefix('builtin:')}")
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name in OVERRIDES:
                self.add(statement, COMPARISON, f"class {node.name} defines {statement.name}")
            targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in OVERRIDES:
                    self.add(statement, COMPARISON, f"class {node.name} sets {target.id}")
        self.visit_scope(node.body)

    # ---------------------------------------------------------------- statements

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for name, value, imported in _imports(node):
            if category := _rule(imported):
                self.add(node, category, f"imports {imported}")
            self.bind(node, name, value)
        module = "." * getattr(node, "level", 0) + (getattr(node, "module", None) or "")
        if any(a.name == "*" for a in node.names) and not module.startswith("helpers."):
            self.add(node, MONKEYPATCH, f"from {module} import *: may re-bind names the tests use")

    visit_ImportFrom = visit_Import

    def visit_Expr(self, node: ast.Expr) -> None:
        if _text(node.value) is None:  # a string on its own is a docstring or a comment
            self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bind(node, node.name)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load) and self.qual(node.value) == "os.environ":
            self.environment(node, _text(node.slice))
        self.generic_visit(node)

    # ---------------------------------------------------------------- expressions

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.bind(node, node.id)
        elif qualname := self.resolve(node.id):
            self.check(node, qualname)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        store = not isinstance(node.ctx, ast.Load)
        qualname = self.qual(node)
        if store and node.attr in OVERRIDES:
            self.add(node, COMPARISON, f"assigns {node.attr}")
        elif store and node.attr in FUNCTION_PARTS:
            self.add(node, MONKEYPATCH, f"assigns {node.attr}")
        elif node.attr in ATTRIBUTES:
            self.add(node, ATTRIBUTES[node.attr], f".{node.attr}")
        elif node.attr == "__dict__" and qualname and not qualname.startswith("builtin:"):
            self.add(node, MONKEYPATCH, f"{qualname}")
        elif qualname:
            self.check(node, qualname, store)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value in OVERRIDES:
                self.add(node, COMPARISON, f"names {node.value}")
            elif PATH.search(node.value):
                self.add(node, OUTSIDE, f"path {node.value[:60]!r}")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """An f-string is checked as a whole, ``{}`` for each value: ``f"{n}/s"`` is no absolute path, ``f"{root}/../x"`` goes up."""
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if PATH.search(text):
            self.add(node, OUTSIDE, f"path {text[:60]!r}")
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)

    def visit_Call(self, node: ast.Call) -> None:
        func = self.qual(node.func) or ""
        args = node.args
        if func.startswith(SHELL + ".") and func.rsplit(".", 1)[1] in ("run_line_magic", "run_cell_magic", "magic"):
            self.magic(node, func.endswith("run_cell_magic"))
            return
        if func in ("builtin:setattr", "builtin:delattr", "builtin:object.__setattr__", "builtin:object.__delattr__") and args:
            target, name = self.qual(args[0]), _text(args[1]) if len(args) > 1 else None
            if target:
                self.check(node, f"{target}.{name or '?'}", store=True)
        elif func == "builtin:getattr" and len(args) >= 2 and _text(args[1]) is None:
            target = self.qual(args[0])
            if target == SHELL or target in ("sys", "builtins", "builtin:__builtins__"):
                self.add(node, IPYTHON if target == SHELL else INTERPRETER, f"getattr({target.removeprefix('builtin:')}, <computed name>)")
        elif func == "builtin:vars" and args and not (self.qual(args[0]) or "builtin:").startswith("builtin:"):
            self.add(node, MONKEYPATCH, f"vars({self.qual(args[0])})")
        elif func == "builtin:globals" or (func in ("builtin:vars", "builtin:locals") and not args and len(self.scopes) == 1):
            parent = self.parents.get(node)
            read = (isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Load) or isinstance(parent, ast.Compare)
                    or isinstance(parent, ast.Attribute) and parent.attr in ("get", "keys", "values", "items", "copy"))
            if not read:
                self.add(node, INTERPRETER, f"{func.removeprefix('builtin:')}() written or passed on")
        elif func in ENV_WRITERS:
            self.environment(node, _text(args[0]) if args else None)
        elif func in ("os.environ.update", "os.environ.clear", "os.environ.popitem"):
            keys = [_text(k) if k else None for a in args for k in (a.keys if isinstance(a, ast.Dict) else [None])]
            for key in keys + [k.arg for k in node.keywords] or [None]:
                self.environment(node, key)
        elif func in ("os.path.dirname", "os.path.split") and any(
            isinstance(n, ast.Call) and self.qual(n.func) in WORKING_FOLDER for arg in args for n in ast.walk(arg)
        ):
            self.add(node, OUTSIDE, f"{func} of the working folder")
        elif func.startswith(("os.", "pathlib.", "glob.", "shutil.", "builtin:open", "io.open")) and args and _text(args[0]) in ("/", "\\"):
            self.add(node, OUTSIDE, f"path {_text(args[0])!r}")
        self.generic_visit(node)

    def environment(self, node: ast.AST, name: str | None) -> None:
        """Flag setting or removing an environment variable that grading or the course's helpers read (or one not named)."""
        if name is None or ENV_READ_BY_GRADING.match(name):
            self.add(node, MONKEYPATCH, f"sets environment variable {name or '<computed name>'}")

    def magic(self, node: ast.Call, cell: bool) -> None:
        """Flag an IPython magic (``%name line`` or ``%%name line`` over a body), scanning the Python in ``%time`` and the like."""
        name, line, body = ([_text(a) for a in node.args] + [None, None, None])[:3]
        if name is None:
            self.add(node, IPYTHON, "a magic with a computed name")
        elif name in PYTHON_MAGICS:
            self.scan(_magic_python(node) or "", node.lineno - 1 + self.offset)
        elif name in SHELL_MAGICS:
            self.add(node, SHELL_CMD, f"%{'%' * cell}{name}")
        elif name in ("env", "set_env"):
            if key := re.split(r"[=\s]", (line or "").strip(), maxsplit=1)[0]:
                self.environment(node, key)
        elif name in FILE_MAGICS | HOME_MAGICS:
            if name in HOME_MAGICS or PATH.search(line or "") or (name in ("cd", "pushd", "popd") and (line or "").strip() in ("", "-")):
                self.add(node, OUTSIDE, f"%{'%' * cell}{name} {line or ''}".strip())
        elif name not in SAFE_MAGICS:
            self.add(node, IPYTHON, f"%{'%' * cell}{name}")
        if name in SHELL_MAGICS and PATH.search(f"{line or ''} {body or ''}"):
            self.add(node, OUTSIDE, f"path in %{name}")


def scan_notebook(nb: nbformat.NotebookNode, released: nbformat.NotebookNode | None = None) -> list[Finding]:
    """The findings in one notebook, ``student`` and ``notebook`` left blank.

    ``released`` is the notebook as released: it says which cells grading restores, which cells the student added, and which
    names the tests use. Without it the notebook stands for its own release.
    """
    run = _cells_that_run(nb, released)
    release = _parsed([c for c in (released or nb).cells if c.get("cell_type") == "code"])
    submission = _parsed([c for i, c in enumerate(nb.cells) if c.get("cell_type") == "code" or i in run])
    module: dict[str, str | None] = {}
    for tree in [t for _, cell_tree in release + submission for t in _with_magics(cell_tree)]:
        for name, value in _scope(tree.body)[0].items():
            if name not in module or _rank(value) > _rank(module[name]):
                module[name] = value
    protected = _protected(release, trusted=released is not None)
    released_ids = {c.get("id") for c in released.cells} | {_meta(c).get("grade_id") for c in released.cells} if released else set()
    released_ids.discard(None)
    findings = []
    for index in run:
        cell = nb.cells[index]
        source, meta = cell.get("source", ""), _meta(cell)
        scanner = _Scanner(module, protected)
        scanner.scan(source)
        lines = source.splitlines()
        added = released is not None and cell.get("id") not in released_ids and meta.get("grade_id") not in released_ids
        for (line, category), what in sorted(scanner.found.items()):
            snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            snippet = snippet if len(snippet) <= SNIPPET_CHARS else snippet[: SNIPPET_CHARS - 3] + "..."
            findings.append(Finding("", "", index, cell.get("id") or "", meta.get("grade_id") or "", line, category, what, snippet, added))
    return findings


def scan_course(root: Path, students: list[str] | None = None, names: list[str] | None = None) -> dict[str, dict[str, list[Finding]]]:
    """Findings per student and notebook over ``root/submitted`` (every student and released notebook unless named).

    Notebooks not handed in are left out; one that cannot be read or scanned is one ``unparseable`` finding.
    """
    root = Path(root)
    submitted = root / "submitted"
    students = students or sorted(p.name for p in submitted.glob("[!.]*") if p.is_dir())
    names = names or sorted(p.parent.name for p in (root / "release").glob("*/*.ipynb") if p.stem == p.parent.name)
    names = names or sorted({p.parent.name for p in submitted.glob("*/*/*.ipynb") if p.stem == p.parent.name})
    releases = {}
    for name in names:
        path = root / "release" / name / f"{name}.ipynb"
        try:
            releases[name] = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 (no usable release: each submission then stands for its own)
            releases[name] = None
    results: dict[str, dict[str, list[Finding]]] = {}
    for student in students:
        results[student] = {}
        for name in names:
            path = submitted / student / name / f"{name}.ipynb"
            if not path.is_file():
                continue
            try:
                nb = nbformat.read(path, as_version=4)
                findings = [replace(f, student=student, notebook=name) for f in scan_notebook(nb, releases[name])]
            except Exception as error:  # noqa: BLE001 (whatever is wrong with the file, the instructor is told and the scan goes on)
                what = f"could not be read or scanned: {type(error).__name__}: {str(error)[:200]}"
                findings = [Finding(student, name, None, "", "", None, UNPARSEABLE, what, "")]
            results[student][name] = findings
    return results


def _summary(results: dict[str, dict[str, list[Finding]]]) -> tuple[int, int, int]:
    """``(findings, notebooks scanned, students)``."""
    return sum(len(f) for nbs in results.values() for f in nbs.values()), sum(len(nbs) for nbs in results.values()), len(results)


def write_report(results: dict[str, dict[str, list[Finding]]], path_json: Path) -> None:
    """Write the findings, per student and notebook, and their counts as JSON."""
    findings, notebooks, students = _summary(results)
    report = {
        "summary": {"findings": findings, "notebooks": notebooks, "students": students},
        "students": {s: {n: [asdict(f) for f in fs] for n, fs in nbs.items()} for s, nbs in results.items()},
    }
    Path(path_json).parent.mkdir(parents=True, exist_ok=True)
    Path(path_json).write_text(json.dumps(report, indent=1) + "\n")


def format_report(results: dict[str, dict[str, list[Finding]]]) -> str:
    """The findings as text, a line each under their student and notebook, then "N findings in M notebooks of K students"."""
    lines = []
    for student, notebooks in results.items():
        flagged = {name: findings for name, findings in notebooks.items() if findings}
        lines += [student] if flagged else []
        for name, findings in flagged.items():
            lines.append(f"  {name}")
            for f in findings:
                where = "notebook" if f.cell is None else f"cell {f.cell}"
                where += f" ({f.grade_id or f.cell_id})" if f.cell is not None and (f.grade_id or f.cell_id) else ""
                where += f", line {f.line}" if f.line else ""
                where += ", an added cell" if f.added else ""
                lines.append(f"    {where}: [{f.category}] {f.what}" + (f": {f.snippet}" if f.snippet else ""))
    findings, notebooks, students = _summary(results)

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    lines.append(f"{count(findings, 'finding')} in {count(notebooks, 'notebook')} of {count(students, 'student')}")
    return "\n".join(lines)
