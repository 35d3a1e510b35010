"""The shape of the valuation app (issue 11): modules of at most ~600 lines, imports at module level only, and the
services package layered in the order its docstring gives (so no module needs an import inside a function)."""

import ast
from pathlib import Path

import valuation.services

APP = Path(valuation.services.__file__).resolve().parent.parent
ORDER = ["refusals", "locks", "providers", "outbox", "notices", "reference", "lottery", "reports", "sending", "lifecycle", "network",
         "appraisal", "negotiated", "answers", "objections", "fees", "organisations", "deadlines"]


def _modules():
    return [p for p in APP.rglob("*.py") if "migrations" not in p.parts]


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(APP)): n for p in _modules() if (n := len(p.read_text().splitlines())) > 600}
    assert not long


def test_every_import_is_at_module_level():
    inside = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [f"{path.relative_to(APP)}:{n.lineno}" for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not inside


def _imported_services(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "valuation.services":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("valuation.services."):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_the_services_modules_import_only_those_below_them():
    package = APP / "services"
    assert sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__") == sorted(ORDER)
    upward = {name: sorted(m for m in _imported_services(package / f"{name}.py") if ORDER.index(m) >= ORDER.index(name))
              for name in ORDER}
    assert not {name: found for name, found in upward.items() if found}
