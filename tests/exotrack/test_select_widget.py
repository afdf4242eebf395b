"""The project's select template writes what Django's own would, option for option:
selected and disabled options, groups, attributes, escaping, multiple choice."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, TemplatesSetting

CHOICES = [
    ("", "---------"),
    ("1", 'Knee <left> & "right"'),
    ("Lots", [("7", "MV26-0713"), ("8", "BE26-0879")]),
    (9, "Nine"),
]


class OptionWithData(forms.Select):
    """An option carrying an attribute of its own, as a lot picker's might."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["data-vials"] = 3
        if option["value"] == "8":
            option["attrs"]["disabled"] = True
        return option


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), "1"),
        (forms.Select(choices=CHOICES, attrs={"required": True, "aria-label": "Site"}), 9),
        (forms.SelectMultiple(choices=CHOICES), ["7", "9"]),
        (OptionWithData(choices=CHOICES), "8"),
        (forms.NullBooleanSelect(), None),
    ],
    ids=["plain", "attributes", "multiple", "option attributes", "yes-no"],
)
def test_the_same_markup_as_django(widget, value):
    assert isinstance(forms.Form().renderer, TemplatesSetting)
    ours = widget.render("field", value, renderer=TemplatesSetting())
    django = widget.render("field", value, renderer=DjangoTemplates())
    assert ours == django
    assert "<option" in ours
