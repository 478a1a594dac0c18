"""Whether a submission's exercise file is Python source: one rule, for ``grade`` and ``grade batch`` alike.

Python itself imports a file whose only bytes that are not UTF-8 sit in a comment, so the rule is the kit's:
the file must decode as its coding declaration says (UTF-8 without one), and hold no binary data.
"""

from __future__ import annotations

import tokenize
from io import BytesIO

from grader.i18n import _


class NotPython(ValueError):
    """The file is not Python source; the message, for people, names it and says what to do."""


def python_source(name: str, data: bytes) -> bytes:
    """``data``, the file ``name``, as UTF-8 Python source; raises :class:`NotPython` for binary or undecodable text."""
    if b"\0" in data:
        raise NotPython(_("{name} is not Python source (it holds binary data)").format(name=name))
    try:
        encoding, _lines = tokenize.detect_encoding(BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        raise NotPython(_("{name} is not UTF-8 text (saved in another encoding?); save it as UTF-8").format(name=name)) from None
    return text.encode("utf-8") if encoding not in ("utf-8", "utf-8-sig") else data
