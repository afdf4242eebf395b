"""The access log's "What" column says in words what was read: every subject the code logs
a read under has a label, found by reading the source (ast) for what reaches
access_log_record's `subject`, however it is passed along the way."""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.audit.services import access_log_record
from apps.audit.subjects import ACCESS_SUBJECT_LABELS, SUBJECT_FAMILIES, access_subject_label
from apps.fhir.resources import RESOURCE_TYPES
from apps.reports.exports import EXPORTS

ROOTS = ("apps", "exotrack")
# A viewset of AccessLoggedReadsMixin names its subjects in these class attributes.
SUBJECT_ATTRIBUTES = {"access_log_subject", "access_log_list_subject"}
# The audit services that write an entry under the `subject` they are given.
LOGGING_SERVICES = {("access_log_record", False), ("access_log_patients_read", False)}


@dataclass
class Subjects:
    codes: set[str] = field(default_factory=set)  # "visit-form", "staff:invite"
    families: set[str] = field(default_factory=set)  # "export" of f"export:{name}"
    unreadable: list[str] = field(default_factory=list)  # where the scan cannot tell


def _parameters(function: ast.FunctionDef) -> list[str]:
    arguments = function.args
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


class _Scan(ast.NodeVisitor):
    """One module: calls of access_log_record, and of the module's own helpers that take a
    `subject` and hand it on (by keyword or position), and the viewsets' attributes."""

    def __init__(self, where: str, tree: ast.Module, found: Subjects) -> None:
        self.where, self.found = where, found
        self.functions: dict[tuple[str, bool], list[ast.FunctionDef]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault((node.name, _is_method(node)), []).append(node)
        self.calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        self.enclosing: list[ast.FunctionDef] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.enclosing.append(node)
        self.generic_visit(node)
        self.enclosing.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value:
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if any(isinstance(t, ast.Name) and t.id in SUBJECT_ATTRIBUTES for t in targets):
                    self._subject(statement.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        called = _called(node)
        helpers = self.functions.get(called, []) if called else []
        helper = next((f for f in helpers if "subject" in _parameters(f)), None)
        if called in LOGGING_SERVICES or helper:
            subject = _argument(node, "subject", helper)
            if subject is not None:
                self._subject(subject)
        self.generic_visit(node)

    def _subject(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found.codes.add(node.value)
        elif isinstance(node, ast.IfExp):
            self._subject(node.body)
            self._subject(node.orelse)
        elif isinstance(node, ast.Subscript):  # f"history:{...}"[:60]
            self._subject(node.value)
        elif isinstance(node, ast.JoinedStr):
            self._built(node)
        elif isinstance(node, ast.Name) and self._is_parameter(node.id):
            pass  # handed on: its callers' values are found where they call
        elif isinstance(node, ast.Attribute) and node.attr in SUBJECT_ATTRIBUTES:
            pass  # the viewsets' class attributes, found in visit_ClassDef
        else:
            self.found.unreadable.append(f"{self.where}:{node.lineno}: {ast.unparse(node)}")

    def _built(self, node: ast.JoinedStr) -> None:
        """f"family:{detail}": each value a caller of the enclosing helper gives `detail`
        (staff:{action} -> staff:invite), or the family alone when that is not known here."""
        head, *rest = node.values
        if not (isinstance(head, ast.Constant) and str(head.value).endswith(":")):
            self.found.unreadable.append(f"{self.where}:{node.lineno}: {ast.unparse(node)}")
            return
        prefix = str(head.value)
        detail = (
            rest[0].value if len(rest) == 1 and isinstance(rest[0], ast.FormattedValue) else None
        )
        values = self._given(detail.id) if isinstance(detail, ast.Name) else None
        if values:
            self.found.codes.update(prefix + value for value in values)
        else:
            self.found.families.add(prefix[:-1])

    def _is_parameter(self, name: str) -> bool:
        return bool(self.enclosing) and name in _parameters(self.enclosing[-1])

    def _given(self, parameter: str) -> set[str] | None:
        """The constants this module's calls of the enclosing helper pass as `parameter`;
        None if it is not the helper's parameter or some call passes a variable."""
        if not self._is_parameter(parameter):
            return None
        helper = self.enclosing[-1]
        values = set()
        for call in self.calls:
            if _called(call) != (helper.name, _is_method(helper)):
                continue
            value = _argument(call, parameter, helper)
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                return None
            values.add(value.value)
        return values


def _is_method(function: ast.FunctionDef) -> bool:
    return _parameters(function)[:1] == ["self"]


def _called(call: ast.Call) -> tuple[str, bool] | None:
    """The name of a function the module may define, and whether it is called as a method
    (self._log(...)); None for any other call (request.GET.get(...))."""
    if isinstance(call.func, ast.Name):
        return call.func.id, False
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    ):
        return func.attr, True
    return None


def _argument(call: ast.Call, name: str, function: ast.FunctionDef | None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if function is None:
        return None
    positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if _is_method(function):  # called as self.name(...): self is not among the arguments
        positional = positional[1:]
    if name in positional and positional.index(name) < len(call.args):
        return call.args[positional.index(name)]
    return None


def _modules() -> Iterator[tuple[str, ast.Module]]:
    base = Path(settings.BASE_DIR)
    for root in ROOTS:
        for path in sorted((base / root).rglob("*.py")):
            if "migrations" not in path.parts:
                yield str(path.relative_to(base)), ast.parse(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def logged() -> Subjects:
    found = Subjects()
    for where, tree in _modules():
        _Scan(where, tree, found).visit(tree)
    return found


def test_the_scan_finds_subjects_however_they_are_passed(logged):
    assert {
        "visit-form",  # access_log_record(subject="visit-form")
        "patient",  # access_log_subject = "patient" on a viewset
        "photo-thumbnail",  # _log(request, "photo-thumbnail" if thumbnail else ...)
        "photo-image",
        "lot-recall-calls",  # a helper's keyword, handed on to access_log_record
        "staff:invite",  # f"staff:{action}" with _log(..., action="invite")
        "own:passkey-remove",
        "export:lot-recipients",
    } <= logged.codes
    assert {"export", "history", "fhir"} <= logged.families
    # The code base logs reads under about sixty subjects: a scan that finds few is broken.
    assert len(logged.codes) > 50
    assert logged.unreadable == []


def test_every_subject_in_the_code_has_words(logged):
    assert sorted(logged.codes - ACCESS_SUBJECT_LABELS.keys()) == []
    assert sorted(logged.families - SUBJECT_FAMILIES.keys()) == []


def test_every_report_export_and_fhir_resource_has_words():
    # export:{name} and fhir:{resource_type} are built from these at run time.
    assert [n for n in EXPORTS if f"export:{n}" not in ACCESS_SUBJECT_LABELS] == []
    assert access_subject_label("export:outcomes") == "Outcomes report (CSV)"
    for name in RESOURCE_TYPES:
        assert access_subject_label(f"fhir:{name}") == f"FHIR {name} resources"


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        ("visit-form", "Visit form"),
        ("lot-recipients", "Lot recipients"),
        ("patient", "Patient record"),
        ("history:patients.patient", "Change history: patient"),
        ("history:safety.adverseevent", "Change history: adverse event"),
        ("history:nowhere.nothing", "Change history: nowhere.nothing"),
        ("staff:a-new-action", "Staff account: a new action"),
        # Codes no table knows yet (old entries, new pages) still read as words.
        ("consent-withdrawal", "Consent withdrawal"),
        ("calendar:day-view", "Calendar: day view"),
    ],
)
def test_a_subject_reads_as_words(subject, words):
    assert access_subject_label(subject) == words


@pytest.mark.django_db
def test_the_access_log_page_shows_words_not_codes(client, manager, clinician):
    codes = {
        "visit-form": "Visit form",
        "lot-recipients": "Lot recipients",
        "patient": "Patient record",
        "export:outcomes": "Outcomes report (CSV)",
        "consent-withdrawal": "Consent withdrawal",
    }
    for code in codes:
        access_log_record(user=clinician, action="view", subject=code, path="/somewhere/")
    access_log_record(user=clinician, action="view", subject="visit-search")
    client.force_login(manager)

    body = client.get(reverse("audit:access-log")).content.decode()

    for code, words in codes.items():
        assert f'<a href="/somewhere/">{words}</a>' in body
        assert f">{code}<" not in body
    # Without a path, the words stand alone.
    assert "<td>Visit search</td>" in body
