from django import forms
from django.core.exceptions import ValidationError

from exotrack.forms import add_service_errors


class VisitForm(forms.Form):
    visited_on = forms.DateField(required=False)


class DoseForm(forms.Form):
    billions = forms.IntegerField(required=False)


def _bound(form_class):
    form = form_class({})
    assert form.is_valid()
    return form


def test_a_field_error_goes_next_to_its_field_and_the_rest_above_the_form():
    form = _bound(VisitForm)
    add_service_errors(
        form,
        ValidationError({"visited_on": "Not in the future.", "patient": "This patient is voided."}),
    )
    assert form.errors == {
        "visited_on": ["Not in the future."],
        "__all__": ["This patient is voided."],
    }


def test_a_message_without_a_field_goes_above_the_form():
    form = _bound(VisitForm)
    add_service_errors(form, ValidationError("The visit is voided."))
    assert form.errors == {"__all__": ["The visit is voided."]}


def test_a_row_error_goes_next_to_that_rows_field():
    form, doses = _bound(VisitForm), [_bound(DoseForm), _bound(DoseForm)]
    add_service_errors(
        form,
        ValidationError(
            {
                "doses.1.billions": "Above the site's dose range.",
                "doses.0.lot": "This lot is recalled.",
                "doses.5.billions": "No such row.",
            }
        ),
        nested={"doses": doses},
    )
    assert doses[1].errors == {"billions": ["Above the site's dose range."]}
    assert doses[0].errors == {"__all__": ["This lot is recalled."]}
    assert form.errors == {"__all__": ["No such row."]}
