"""A service refuses with Django's ValidationError; a staff page shows each message next
to the field it names (the GOV.UK error summary then links to it). One helper for every
view, so a page never crashes on a key its form has no field for."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def add_service_errors(
    form: BaseForm,
    error: ValidationError,
    *,
    nested: Mapping[str, Sequence[BaseForm]] | None = None,
) -> None:
    """Put a service's errors on `form`: a key naming one of its fields next to that
    field, a key `<name>.<n>.<field>` next to that field of the n-th form in
    `nested[name]` (the rows of a page, e.g. a visit's doses), and everything else
    (a message without a key, a key no form has) above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        name, _, rest = key.partition(".")
        index, _, field = rest.partition(".")
        rows = (nested or {}).get(name)
        if rows is not None and index.isdigit() and int(index) < len(rows) and field.isidentifier():
            row = rows[int(index)]
            row.add_error(field if field in row.fields else None, errors)
        else:
            form.add_error(key if key in form.fields else None, errors)
