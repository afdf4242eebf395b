"""JSON request bodies, refused before parsing when they are too large or too deeply nested.

Python's json module parses nested arrays and objects by recursion: a 2 KB body of 1,000
opening brackets raised RecursionError, a 500. Nesting is measured first, by a linear scan
that skips string contents, so no body of any depth or size reaches the recursive parser
deeper than API_JSON_MAX_DEPTH. The size limit is Django's: DRF hands JSON parsers
`request.body`, which refuses more than DATA_UPLOAD_MAX_MEMORY_SIZE (exotrack/api/errors.py
answers that with 413)."""

import io
import re

from django.conf import settings
from rest_framework import exceptions, parsers

# A whole string literal (escapes included) or one bracket; brackets inside strings are
# consumed with their string and so never counted.
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPENING = frozenset(b"[{")


def json_nesting_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a bare value)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if json_nesting_depth(body) > settings.API_JSON_MAX_DEPTH:
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {settings.API_JSON_MAX_DEPTH} levels."
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)
