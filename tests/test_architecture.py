"""How the apps may import each other, read from the source with `ast` (nothing is
imported, so the test needs no database and sees imports inside functions too).

An app's modules are named by their first part under `apps/<app>/`, the *layer*:
`apps/safety/views/recalls.py` is safety's `views`, `apps/inventory/api.py` inventory's
`api`, `apps/followups/services/self_reports.py` followups' `services`.

Rules:

1. A view or API module never imports another app's view or API module: no module of
   layer `views` or `api` in app X imports a module of layer `views` or `api` in app Y,
   Y != X. (`audit.api_mixins` is the shared access-logging mixin, not an API resource.)
   Apps meet through services, selectors and models, and a page or resource that shows
   several apps' records is assembled from what each app registers (exotrack.sections).

2. The app-level graph has no cycle once the meeting points are left out. An edge X -> Y
   counts when a module of X imports a module of Y whose layer is one of SURFACES: views,
   API, forms, template tags, tasks, URL modules, admin. Imports of Y's models,
   services, selectors, signals and receivers, sections, and its other domain modules
   (rules, timepoints, tokens, barcodes, ...) are how apps are meant to meet, and do
   not count.

3. exotrack/ is the domain-free shell: it imports no app, except the modules listed in
   EXOTRACK_MAY_IMPORT_APPS (the seed commands, which load data through services).

Run as a script (`python -m tests.test_architecture [root]`) it prints the app import
graph, every edge with the modules behind it, and the cycles of rule 2.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VIEW_OR_API = {"views", "api"}
SURFACES = {"views", "api", "forms", "templatetags", "tasks", "urls", "public_urls", "admin"}
EXOTRACK_MAY_IMPORT_APPS = {
    "exotrack/management/commands/seed.py",
    "exotrack/management/commands/seed_synthetic.py",
    "exotrack/management/commands/_demo_history.py",
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, package: str) -> dict[str, Path]:
    return {
        _module_name(path, root): path
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules `path` (module `name`) imports, as dotted names; `from a import b`
    is module a.b when that is a module, else a."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")
                package = package[: len(package) - node.level + (1 if is_package else 0)]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def _app_and_layer(module: str) -> tuple[str, str] | None:
    parts = module.split(".")
    if parts[0] != "apps" or len(parts) < 2:
        return None
    return parts[1], parts[2] if len(parts) > 2 else ""


def import_edges(root: Path = ROOT) -> list[tuple[str, str]]:
    """(importer, imported) for every import between two different apps."""
    modules = _modules(root, "apps")
    known = set(modules)
    edges = []
    for name, path in modules.items():
        source = _app_and_layer(name)
        if source is None:
            continue
        for target in sorted(_imports(path, name, known)):
            imported = _app_and_layer(target)
            if imported and imported[0] != source[0]:
                edges.append((name, target))
    return edges


def view_api_violations(root: Path = ROOT) -> list[str]:
    return [
        f"{importer} imports {imported}"
        for importer, imported in import_edges(root)
        if _app_and_layer(importer)[1] in VIEW_OR_API and _app_and_layer(imported)[1] in VIEW_OR_API
    ]


def app_graph(root: Path = ROOT, *, surfaces_only: bool) -> dict[str, dict[str, list[str]]]:
    """app -> imported app -> the imports behind that edge."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for importer, imported in import_edges(root):
        if surfaces_only and _app_and_layer(imported)[1] not in SURFACES:
            continue
        graph[_app_and_layer(importer)[0]][_app_and_layer(imported)[0]].append(
            f"{importer} -> {imported}"
        )
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        for other in graph.get(app, {}):
            if other not in index:
                visit(other)
                low[app] = min(low[app], low[other])
            elif other in stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == app:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for app in sorted(graph):
        if app not in index:
            visit(app)
    return found


def exotrack_violations(root: Path = ROOT) -> list[str]:
    modules = _modules(root, "exotrack")
    known = set(modules) | set(_modules(root, "apps"))
    return [
        f"{name} imports {target}"
        for name, path in modules.items()
        if path.relative_to(root).as_posix() not in EXOTRACK_MAY_IMPORT_APPS
        for target in sorted(_imports(path, name, known))
        if target == "apps" or target.startswith("apps.")
    ]


def test_no_view_or_api_module_imports_another_apps_views_or_api():
    assert view_api_violations() == []


def test_apps_form_no_cycle_outside_services_selectors_and_models():
    assert cycles(app_graph(surfaces_only=True)) == []


def test_exotrack_imports_no_app_but_the_seed_commands():
    assert exotrack_violations() == []


def test_the_walk_sees_the_imports_it_judges():
    # Guards the test itself: a walk that resolved nothing would pass every rule.
    edges = import_edges()
    assert ("apps.patients.views", "apps.audit.services") in edges
    assert any(imported.startswith("apps.patients.models") for _, imported in edges)


def _print_report(root: Path) -> None:
    for title, surfaces_only in (("All imports between apps", False), ("Counted edges", True)):
        graph = app_graph(root, surfaces_only=surfaces_only)
        print(f"{title} (app -> app: number of imports):")
        for app in sorted(graph):
            for other in sorted(graph[app]):
                print(f"  {app} -> {other}: {len(graph[app][other])}")
                if surfaces_only:
                    for line in graph[app][other]:
                        print(f"      {line}")
        print(f"Cycles: {cycles(graph) or 'none'}")
    print("View/API modules importing another app's views or API:")
    for line in view_api_violations(root) or ["none"]:
        print(f"  {line}")
    print("exotrack modules importing apps (outside the seed commands):")
    for line in exotrack_violations(root) or ["none"]:
        print(f"  {line}")


if __name__ == "__main__":
    _print_report(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT)
