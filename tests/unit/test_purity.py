"""The policy core stays pure: no web framework, database, network, logging or clock, directly or through server.*.

Checked statically with `ast` over the source, so a forbidden import is caught even
inside a function body or an `if TYPE_CHECKING` block that a runtime check would miss.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "server"
PURE_MODULES = [
    "server.model",
    "server.directory",
    "server.signals",
    "server.policy",
    "server.messages",
    "server.approvals",
    "server.approval_texts",
    "server.addin_texts",
    # What the check could not read, and its texts (issue 12).
    "server.limits",
    "server.limit_texts",
    # A package: its __init__ re-exports from the modules below, which the scan follows.
    "server.csv_formats",
    "server.csv_formats.reading",
    "server.csv_formats.cells",
    "server.csv_formats.departures",
    "server.csv_formats.clients",
    "server.csv_formats.formulas",
    # The sync merge rules and their values (issue 7).
    "server.sync.records",
    "server.sync.merge",
    "server.sync.merge_clients",
    "server.sync.linking",
    # The admin console's form parsing, filters, evidence rows and CSV cells (issue 6).
    "server.console.policy_form",
    "server.console.policy_diff",
    "server.console.probe_form",
    "server.console.audit_query",
    "server.console.evidence",
    "server.console.csv_out",
    # The Departures and Clients forms: typed fields as model values, or a message per field (issue 6).
    "server.console.register_forms",
    # Who a sign-in provider's verified claims name, and the roles they grant (issue 6).
    "server.signin_claims",
    # Every identity a caller's token proves, and which departure is theirs (issue 12).
    "server.identities",
    # The Gmail add-on's cards and texts (issue 5).
    "server.gmail_cards",
    "server.gmail_texts",
    # Row ids from URLs, and what the retention periods keep (issue 12).
    "server.row_ids",
    "server.retention",
]

#: Top-level packages that no pure module may import, directly or through another server module.
FORBIDDEN = {
    "flask", "werkzeug", "sqlalchemy", "alembic", "requests", "urllib", "urllib3", "http", "httpx",
    "socket", "ssl", "psycopg", "psycopg2", "time", "os", "subprocess", "random", "secrets",
}  # fmt: skip
#: Extra imports forbidden in particular modules.
FORBIDDEN_IN = {"server.policy": {"logging"}}
#: Calls that read the clock.
CLOCK_CALLS = {"now", "utcnow", "today"}  # (the `time` module itself is in FORBIDDEN)


def source_of(module: str, root: Path = SERVER) -> Path:
    """The file of a `server.*` module under `root` (the server package directory)."""
    relative = Path(*module.split(".")[1:])
    package = root / relative / "__init__.py"
    if not relative.parts:
        return package
    return package if package.exists() else root / relative.with_suffix(".py")


@cache
def tree_of(module: str, root: Path = SERVER) -> ast.Module:
    path = source_of(module, root)
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports_of(module: str, root: Path = SERVER) -> set[str]:
    """Every module `module` imports, anywhere in its source, as absolute dotted names."""
    is_package = source_of(module, root).name == "__init__.py"
    package = module if is_package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree_of(module, root)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            if base.split(".")[0] == "server":  # `from . import store` imports a module, not a name
                found |= {f"{base}.{a.name}" for a in node.names if source_of(f"{base}.{a.name}", root).exists()}
    return found


def server_closure(module: str, root: Path = SERVER) -> list[str]:
    """`module` and every server.* module it imports, transitively."""
    seen, todo = [], [module]
    while todo:
        current = todo.pop()
        if current in seen or not source_of(current, root).exists():
            continue
        seen.append(current)
        # `server` itself (create_app) runs whenever any server.* module is imported; it is not the core's choice.
        todo += [m for m in imports_of(current, root) if m.startswith("server.")]
    return seen


def impure_imports(module: str, root: Path = SERVER) -> list[str]:
    """`<module> imports <name>` for every forbidden import reachable from `module` through server.*."""
    offences = []
    for current in server_closure(module, root):
        forbidden = FORBIDDEN | FORBIDDEN_IN.get(module, set()) | FORBIDDEN_IN.get(current, set())
        offences += [
            f"{current} imports {n}" for n in sorted(imports_of(current, root)) if n.split(".")[0] in forbidden
        ]
    return offences


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_pure_module_imports_nothing_impure_directly_or_through_server_modules(module):
    assert impure_imports(module) == []


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_pure_module_only_reaches_other_pure_modules(module):
    assert set(server_closure(module)) <= set(PURE_MODULES)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_pure_module_never_reads_the_clock(module):
    calls = [
        f"{current} line {node.lineno}: .{node.func.attr}()"
        for current in server_closure(module)
        for node in ast.walk(tree_of(current))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]

    assert calls == []


def test_the_policy_takes_now_as_an_argument():
    (evaluate,) = [n for n in tree_of("server.policy").body if isinstance(n, ast.FunctionDef) and n.name == "evaluate"]

    assert "now" in [a.arg for a in evaluate.args.kwonlyargs]


# --- the checks themselves catch what they are for ------------------------------------------------------


def offending(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    clock = {
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in CLOCK_CALLS
    }
    return {name for name in names if name.split(".")[0] in FORBIDDEN | {"logging"}} | clock


CAUGHT = [
    pytest.param("from flask import current_app",                  {"flask"},          id="a Flask import"),
    pytest.param("import urllib.request",                          {"urllib.request"}, id="a submodule of urllib"),
    pytest.param("def f():\n    import sqlalchemy",                {"sqlalchemy"},     id="an import in a function"),
    pytest.param("import logging",                                 {"logging"},        id="logging"),
    pytest.param("from datetime import datetime\nx = datetime.now()", {"now"},         id="datetime.now()"),
    pytest.param("import datetime\nx = datetime.datetime.utcnow()", {"utcnow"},        id="datetime.utcnow()"),
    pytest.param("from datetime import date\nx = date.today()",    {"today"},          id="date.today()"),
    pytest.param("from datetime import datetime\nx = datetime(2026, 1, 1)", set(),     id="a fixed datetime is fine"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "caught"), CAUGHT)
def test_the_scan_catches(source, caught):
    assert offending(source) == caught


SOURCE_TREES = [
    pytest.param(
        {
            "pure.py": "from .helper import x\nfrom . import sub\n",
            "helper.py": "from .sub.deep import y\nx = 1\n",
            "sub/__init__.py": "from .. import leaf\n",
            "sub/deep.py": "def f():\n    import socket\n",
            "leaf.py": "import logging\n",
        },
        "server.pure",
        ["server.sub.deep imports socket"],
        {"server.pure", "server.helper", "server.sub", "server.sub.deep", "server.leaf"},
        id="relative imports through modules and packages",
    ),
    pytest.param(
        {
            "formats/__init__.py": "from .reading import x\nfrom .rows import y\n",
            "formats/reading.py": "x = 1\n",
            "formats/rows.py": "from ..model import z\nfrom .reading import x\ny = 2\n",
            "model.py": "import socket\nz = 3\n",
        },
        "server.formats",
        ["server.model imports socket"],
        {"server.formats", "server.formats.reading", "server.formats.rows", "server.model"},
        id="a package's re-exports into its modules",
    ),
]


@pytest.mark.parametrize(("files", "module", "offences", "closure"), SOURCE_TREES)
def test_the_scan_follows_relative_imports_through_server_modules(tmp_path, files, module, offences, closure):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)

    assert impure_imports(module, tmp_path) == offences
    assert set(server_closure(module, tmp_path)) == closure


def test_importing_the_pure_modules_loads_no_web_framework_or_database_at_run_time():
    import subprocess
    import sys

    probe = (
        "import sys\n"
        f"for name in {PURE_MODULES!r}: __import__(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'werkzeug', 'sqlalchemy', 'alembic'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=SERVER.parent
    )
    assert result.stdout.strip() == "[]"
