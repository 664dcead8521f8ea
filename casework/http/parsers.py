"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

Python's json module recurses per level: a body nested a few thousand levels deep ends in a
RecursionError (a 500, without signing in). The body is measured first, without recursion, and
refused with a 400 and a clear message when it nests deeper than any of the API's payloads can.
"""

import io
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
# One left-to-right pass: a whole string (or an unterminated one, to the end) or a bracket.
TOKENS = re.compile(rb'"(?:\\.|[^"\\])*(?:"|\Z)|[\[\]{}]', re.DOTALL)


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for token in TOKENS.findall(body):
        if token.startswith(b'"'):
            continue
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class DepthLimitedJSONParser(JSONParser):
    """JSONParser that refuses bodies nested deeper than MAX_DEPTH levels with a 400."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if nesting_depth(body) > self.max_depth:
            raise ParseError(_("The JSON body nests deeper than %(depth)d levels.") % {"depth": self.max_depth})
        return super().parse(io.BytesIO(body), media_type, parser_context)

