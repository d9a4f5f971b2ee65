"""Reading a rendered page by meaning: its headings and its tables, as text.

Pricing pages change their CSS every few months; their words ("Input", "Cached input",
"/ 1M tokens", "Batch") change far less. ``read_page`` turns HTML into a list of sections:
each table (HTML ``<table>`` or an ARIA ``role="table"`` / ``role="row"`` / ``role="cell"``
grid) with the headings above it. Parsers then look for the labels and units they need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "noscript", "template", "svg"}
_CELL_TAGS = {"td", "th"}
_CELL_ROLES = {"cell", "columnheader", "rowheader", "gridcell"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


@dataclass
class Table:
    """A table's rows of cell texts, under the headings that precede it (outermost first)."""

    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return self.rows[0] if self.rows else []

    @property
    def body(self) -> list[list[str]]:
        return self.rows[1:]

    @property
    def title(self) -> str:
        return self.headings[-1] if self.headings else ""


@dataclass
class Page:
    title: str
    headings: list[str]
    tables: list[Table]
    text: str  # all visible text, spaces collapsed


def clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class TableReader(HTMLParser):
    """Collects a page's title, headings, tables and text; subclass it to read more (alt texts)."""
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page(title="", headings=[], tables=[], text="")
        self._stack: list[tuple[str, str | None]] = []  # (tag, role)
        self._skip = 0
        self._in_title = False
        self._heading: tuple[int, list[str]] | None = None
        self._levels: dict[int, str] = {}
        self._tables: list[Table] = []  # open tables, innermost last
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._text: list[str] = []

    # Structure --------------------------------------------------------------------------
    def _current_headings(self) -> list[str]:
        return [self._levels[level] for level in sorted(self._levels)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        role = dict(attrs).get("role")
        if tag in _VOID:
            return  # void elements never close
        if self._row is not None and self._cell is not None and (tag in _CELL_TAGS or role in _CELL_ROLES):
            self._row.append(clean(" ".join(self._cell)))  # the previous cell was left unclosed
            self._cell = None
        if self._tables and self._row is not None and (tag == "tr" or role == "row"):
            if any(self._row):
                self._tables[-1].rows.append(self._row)  # the previous row was left unclosed
        self._stack.append((tag, role))
        if tag in _SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self._heading = (int(tag[1]), [])
        elif tag == "table" or role in ("table", "grid"):
            self._tables.append(Table(headings=self._current_headings()))
        elif self._tables and (tag == "tr" or role == "row"):
            self._row = []
        elif self._row is not None and (tag in _CELL_TAGS or role in _CELL_ROLES):
            self._cell = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or all(open_tag != tag for open_tag, _ in self._stack):
            return  # a void or stray end tag closes nothing
        while self._stack:
            open_tag, role = self._stack.pop()
            self._close(open_tag, role)
            if open_tag == tag:
                break

    def _close(self, tag: str, role: str | None) -> None:
        if tag in _SKIP:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            level, parts = self._heading
            text = clean(" ".join(parts))
            self._heading = None
            if text:
                self._levels = {lvl: t for lvl, t in self._levels.items() if lvl < level}
                self._levels[level] = text
                self.page.headings.append(text)
        elif (tag in _CELL_TAGS or role in _CELL_ROLES) and self._cell is not None and self._row is not None:
            self._row.append(clean(" ".join(self._cell)))
            self._cell = None
        elif (tag == "tr" or role == "row") and self._row is not None and self._tables:
            if any(self._row):
                self._tables[-1].rows.append(self._row)
            self._row = None
        elif (tag == "table" or role in ("table", "grid")) and self._tables:
            table = self._tables.pop()
            if table.rows:
                self.page.tables.append(table)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.page.title += data
        if self._heading is not None:
            self._heading[1].append(data)
        if self._cell is not None:
            self._cell.append(data)
        self._text.append(data)

    def close(self) -> None:
        super().close()
        while self._stack:
            self._close(*self._stack.pop())
        self.page.title = clean(self.page.title)
        self.page.text = clean(" ".join(self._text))


def read_page(html: bytes | str) -> Page:
    reader = TableReader()
    reader.feed(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html)
    reader.close()
    return reader.page


_MONEY = re.compile(r"\$\s*([0-9]+(?:[.,][0-9]+)*)")


def dollars(text: str) -> float | None:
    """The first dollar amount in ``text`` ("$2.50 / 1M tokens" -> 2.5); None when there is none."""
    found = _MONEY.search(text.replace("\u00a0", " "))
    return float(found.group(1).replace(",", "")) if found else None


def per_million(text: str) -> bool:
    """Whether ``text`` states a price per 1M (one million) tokens."""
    t = text.lower().replace("\u00a0", " ")
    if re.search(r"(/|per)\s*1\s*m\b", t) or "mtok" in t:
        return True
    return "token" in t and bool(re.search(r"\b(1\s*m|1,000,000|one million|million)\b", t))
