"""Record ids read from a query string or a posted name, as pages take them
(`/visits/new/?patient=12`).

`str.isdigit()` is true for superscripts and other digits `int()` refuses ('²'), and
`int()` takes any length: an id is ASCII digits that fit the database's bigint, or it
is no id at all (the page then answers as for a missing record, never a 500)."""

from collections.abc import Mapping

# PostgreSQL's bigint, the widest primary key the clinic's tables use.
LARGEST_ID = 2**63 - 1


def parse_id(text: str | None) -> int | None:
    """The id `text` spells, or None when it spells none."""
    if not text or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= LARGEST_ID else None


def id_from_query(query: Mapping[str, str], name: str) -> int | None:
    """The id in `query[name]` (e.g. request.GET), or None when it is missing or bad."""
    return parse_id(query.get(name))
