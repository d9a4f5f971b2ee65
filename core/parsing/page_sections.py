"""A rendered page as the sections its headings open: what ``html_tables.read_page`` does not keep.

``read_page`` gives the tables under their headings and the page's text as one string. Pricing
pages that are not tables (Mistral's model cards) need the text *under each heading*, and the
Gemini page shows a model's API id in a ``<code>`` element next to its heading. A section runs
from one heading (``h1``-``h6``, any level) to the next; its ``text`` is its visible text and
its ``codes`` the texts of its ``<code>`` elements. Heading texts are cleaned the way
``read_page`` cleans them, so a section can be matched with ``Table.headings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from core.parsing.html_tables import clean

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "noscript", "template", "svg"}
_VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "base", "col", "embed", "param", "track"}


@dataclass
class Section:
    level: int  # 1-6; 0 for the text before the first heading
    heading: str
    path: list[str]  # the headings above it and its own, outermost first
    text: str = ""
    codes: list[str] = field(default_factory=list)


class _SectionReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = [Section(level=0, heading="", path=[])]
        self._parts: list[str] = []
        self._skip = 0
        self._heading: tuple[int, list[str]] | None = None
        self._levels: dict[int, str] = {}
        self._code: list[str] | None = None
        self._code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br":
                self.handle_data(" ")
            return
        if tag in _SKIP:
            self._skip += 1
        elif tag in _HEADINGS and not self._skip:
            self._flush()
            self._heading = (int(tag[1]), [])
        elif tag == "code" and not self._skip:
            self._code_depth += 1
            if self._code is None:
                self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS and self._heading is not None:
            level, parts = self._heading
            self._heading = None
            text = clean(" ".join(parts))
            if text:
                self._levels = {lvl: t for lvl, t in self._levels.items() if lvl < level}
                self._levels[level] = text
                path = [self._levels[lvl] for lvl in sorted(self._levels)]
                self.sections.append(Section(level=level, heading=text, path=path))
        elif tag == "code" and self._code is not None:
            self._code_depth -= 1
            if self._code_depth <= 0:
                code = clean(" ".join(self._code))
                if code:
                    self.sections[-1].codes.append(code)
                self._code, self._code_depth = None, 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading[1].append(data)
            return
        if self._code is not None:
            self._code.append(data)
        self._parts.append(data)

    def _flush(self) -> None:
        self.sections[-1].text = clean(" ".join([self.sections[-1].text, *self._parts]))
        self._parts = []

    def close(self) -> None:
        super().close()
        self._flush()


def read_sections(html: bytes | str) -> list[Section]:
    """The page's sections in document order (the first one is the text before any heading)."""
    reader = _SectionReader()
    reader.feed(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html)
    reader.close()
    return reader.sections
