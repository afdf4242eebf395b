"""Apps meet over REST through services, selectors and the API registries of exotrack/api,
never through each other's API or view modules: an app adds actions to another app's
resource with `exotrack.api.extensions.resource_actions_add`."""

import ast
import re
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2] / "apps"
_OTHER_APPS_UI = re.compile(r"^apps\.(?P<app>\w+)\.(api|views)(\.|$)")


def _api_modules() -> list[Path]:
    return sorted([*APPS.glob("*/api.py"), *APPS.glob("*/api/*.py")])


def _imported(module: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


@pytest.mark.parametrize("module", _api_modules(), ids=lambda path: str(path.relative_to(APPS)))
def test_an_api_module_imports_no_other_apps_api_or_views(module):
    app = module.relative_to(APPS).parts[0]
    crossings = sorted(
        name
        for name in _imported(module)
        if (found := _OTHER_APPS_UI.match(name)) and found["app"] != app
    )
    assert not crossings


def test_the_walk_finds_the_api_modules():
    assert len(_api_modules()) > 10
