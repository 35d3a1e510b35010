"""The apps depend one way (docs/architecture.md): these tests fail on an upward import.

- import-linter's layers contract (pyproject.toml, [tool.importlinter]): no module of a lower app
  imports a higher one, at module level or inside a function;
- no import of another app inside a function (the old way of dodging a cycle); the only ones allowed
  are in `AppConfig.ready()`, where Django wants signal receivers connected.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["auction_site", "accounts", "notifications", "lots", "avm", "valuation", "escrow", "bidding", "settlement", "following"]


def test_apps_depend_one_way():
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, inside: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            where = inside
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                where = child.name
            if where is not None and where != "ready" and isinstance(child, ast.Import | ast.ImportFrom):
                names = [child.module] if isinstance(child, ast.ImportFrom) and child.module else [a.name for a in getattr(child, "names", [])]
                for name in names:
                    top = (name or "").split(".")[0]
                    own = path.relative_to(ROOT).parts[0]
                    if top in APPS and top != own:
                        found.append(f"{path.relative_to(ROOT)}:{child.lineno} {where}() imports {name}")
            visit(child, where)

    visit(tree, None)
    return found


def test_no_import_of_another_app_inside_a_function():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found.extend(_function_level_imports(path))
    assert found == [], "\n".join(found)
