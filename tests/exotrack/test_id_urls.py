"""`{% id_url %}` links a record as `{% url %}` would, for every address the templates use
it with, under any script prefix."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, get_resolver, reverse, set_script_prefix
from django.urls.converters import IntConverter

from exotrack.templatetags.id_urls import id_url

ROOT = Path(__file__).resolve().parents[2]
USED = re.compile(r"\{% id_url '([\w-]+:[\w-]+)' ")


def _names_in_templates() -> set[str]:
    return {
        name
        for template in ROOT.glob("apps/**/templates/**/*.html")
        for name in USED.findall(template.read_text())
    }


def _converters(name: str) -> list[object]:
    namespace, short = name.split(":")
    resolver = get_resolver().namespace_dict[namespace][1]
    return [
        converter
        for *_, converters in resolver.reverse_dict.getlist(short)
        for converter in converters.values()
    ]


def test_the_templates_link_records_with_it():
    assert len(_names_in_templates()) > 40


@pytest.mark.parametrize("name", sorted(_names_in_templates()))
def test_each_address_takes_one_integer_id_and_reads_as_reverse(name):
    converters = _converters(name)
    assert len(converters) == 1 and isinstance(converters[0], IntConverter), converters
    for pk in (1, 42, 10**9):
        assert id_url(name, pk) == reverse(name, args=[pk])


def test_the_script_prefix_is_honoured():
    try:
        set_script_prefix("/clinic/")
        assert id_url("patients:detail", 7) == reverse("patients:detail", args=[7])
        assert id_url("patients:detail", 7).startswith("/clinic/")
    finally:
        set_script_prefix("/")
    assert id_url("patients:detail", 7) == reverse("patients:detail", args=[7])


def test_an_address_without_an_id_is_refused():
    with pytest.raises(NoReverseMatch):
        id_url("patients:list", 1)


def test_the_tag_names_its_result_like_url_does():
    rendered = Template(
        "{% load id_urls %}{% id_url 'patients:detail' pk as link %}<a href=\"{{ link }}\">"
    ).render(Context({"pk": 12}))
    assert rendered == f'<a href="{reverse("patients:detail", args=[12])}">'
