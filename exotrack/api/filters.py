"""Query parameters of list endpoints. A FilterSet validates and documents them; the
app's selector does the filtering, the same one its pages use."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


def number_filter(**kwargs) -> django_filters.NumberFilter:
    """An id parameter. The schema has always documented these as numbers; named like a
    foreign key of the listed model, they would otherwise be documented as integers."""
    return extend_schema_field(OpenApiTypes.NUMBER)(django_filters.NumberFilter(**kwargs))
