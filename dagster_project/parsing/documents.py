"""Turn a downloaded file into the text the parser reads, whatever its kind.

A file is recognised by its bytes, not its name: PDF, Word (.docx), HTML, or plain text. Each
document becomes text in which every table row is one markdown row of its cells, read from
the document's own table structure (a PDF's ruled grid, HTML and Word table cells), and the
rest of the text one line per paragraph or printed line. PDF pages are separated by form feeds
(as `pdftotext` separates them), so a cell's page is known from its line. Each line also keeps
where it came from (`locations`: "page 3", "table 2, row 5"), so every parsed cell can be
traced to its place in the original.

Files that cannot be read get a reason that says what they are and what to do about them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from dagster_project.parsing.decode import Decoded, decode_bytes

KINDS = ("text", "pdf", "html", "docx")
PAGE_BREAK = "\f"
# A document carries its fonts and images (seals, scanned signatures): a report's PDF may be
# tens of megabytes where its text is tens of kilobytes. Text files keep decode.MAX_BYTES.
MAX_DOCUMENT_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Document:
    """The text read from one file, its kind and each line's place in the original, or the
    reason it could not be read."""

    kind: str | None
    text: str | None
    encoding: str | None
    error: str | None
    locations: list[str | None] | None = None

    @classmethod
    def failed(cls, kind: str | None, reason: str) -> Document:
        return cls(kind, None, None, reason)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title"
    rb"|div|table|p)\b",
    re.IGNORECASE | re.DOTALL,
)


def kind_of(data: bytes) -> str:
    """The kind of a file from its first bytes: pdf, docx, zip, ole, html or text."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or _zip_has(data, "word/document.xml") else "zip"
    if data.startswith(_OLE):
        return "ole"
    sample = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(sample) or (b"<html" in data[:8192].lower() and b"</" in data[:65536]):
        return "html"
    return "text"


def _zip_has(data: bytes, name: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return name in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def read_document(data: bytes) -> Document:
    """The text of a file of any accepted kind, or the reason it cannot be read."""
    kind = kind_of(data)
    if len(data) > MAX_DOCUMENT_BYTES and kind != "text":
        return Document.failed(
            kind,
            f"too large: {len(data) / 2**20:.1f} MiB, over the {MAX_DOCUMENT_BYTES // 2**20} MiB "
            "a report's document can have",
        )
    if kind == "ole":
        return Document.failed(
            "doc",
            "Word 97-2003 document (.doc) or other legacy Office file: not read; convert it to "
            ".docx or PDF (soffice --headless --convert-to docx FILE) and put the result in its "
            "place",
        )
    if kind == "zip":
        return Document.failed("zip", "a ZIP archive that is not a Word .docx document")
    if kind == "pdf":
        return _pdf(data)
    if kind == "docx":
        return _docx(data)
    decoded = decode_bytes(data)
    if decoded.text is None or kind == "text":
        return Document(kind, decoded.text, decoded.encoding, decoded.error)
    return _html(decoded)


# ---------------------------------------------------------------------------------------------
# Rows of cells, the one shape every kind's tables are written in


def _cell_text(text: str) -> str:
    """A cell on one line: its wrapped lines joined, its spaces collapsed, a cell holding only
    blanks empty. Digits run on across a line only after a line of three or more digits (a
    wide count wrapped in a narrow cell, 3779 / 0); short numbers on lines of their own stay
    apart (two rows' values in one cell where a rule is missing), for the parser to doubt."""
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in text.splitlines()]
    joined = ""
    for line in filter(None, lines):
        end = re.search(r"\d*$", joined).group()
        if joined and joined[-1].isdigit() and line[0].isdigit():
            glue = "" if len(end) >= 3 else " "
        else:
            # Words of Latin script keep a space between wrapped lines; Han does not.
            glue = " " if joined and joined[-1].isascii() and joined[-1].isalpha() else ""
        joined += glue + line
    return joined


def _row_line(cells: list[str | None]) -> str:
    """One table row as a markdown row of its cells (not the places a merged cell spans): the
    parser reads an empty field there as an empty cell, which a tab or space would hide."""
    return "| " + " | ".join(c.replace("|", "/") for c in cells if c is not None) + " |"


class _Lines:
    """Lines of text being written, each with where it came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.locations: list[str | None] = []
        self.tables = 0

    def add(self, text: str, location: str | None = None) -> None:
        for line in text.split("\n"):
            self.lines.append(line)
            self.locations.append(location)

    def table(self, rows: list[list[str | None]], where: str = "") -> None:
        self.tables += 1
        for r, cells in enumerate(rows, 1):
            # A row of empty cells is kept (table 4 of a report with no case is one), a row
            # with nothing but the places of merged cells is not.
            if any(cells) or sum(c is not None for c in cells) > 1:
                self.add(_row_line(cells), f"{where}table {self.tables}, row {r}")

    def document(self, kind: str, encoding: str | None = None) -> Document:
        text = "\n".join(self.lines)
        return Document(kind, text, encoding, None, self.locations)


# ---------------------------------------------------------------------------------------------
# PDF


def _pdf(data: bytes) -> Document:
    """Each page's printed lines in reading order, its ruled tables as rows of cells where
    they stand; pages separated by form feeds."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    if b"%%EOF" not in data[-2048:]:
        return Document.failed(
            "pdf", "truncated PDF: it does not end with %%EOF (a download cut short?)"
        )
    out = _Lines()
    chars = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, 1):
                if number > 1:
                    out.add(PAGE_BREAK)
                chars += len(page.chars)
                _pdf_page(page, number, out)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds on a broken file
        # pdfplumber wraps pdfminer's errors: name the one inside.
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            return Document.failed("pdf", "encrypted PDF: it cannot be opened without a password")
        return Document.failed("pdf", f"broken PDF: {type(cause).__name__}: {cause}".rstrip(": "))
    if chars == 0:
        return Document.failed("pdf", "scanned: no text layer (an image-only PDF needs OCR)")
    return _join_page_breaks(out).document("pdf")


def _join_page_breaks(out: _Lines) -> _Lines:
    """A form feed starts the first line of its page, as in pdftotext's output."""
    joined = _Lines()
    pending = False
    for line, location in zip(out.lines, out.locations, strict=True):
        if line == PAGE_BREAK:
            pending = True
            continue
        joined.add((PAGE_BREAK if pending else "") + line, location)
        pending = False
    joined.tables = out.tables
    return joined


def _pdf_page(page: object, number: int, out: _Lines) -> None:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj: dict) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    items: list[tuple[float, int, object]] = [
        (line["top"], 0, line["text"]) for line in page.filter(outside).extract_text_lines()
    ]
    items += [(t.bbox[1], 1, t) for t in tables]
    items.sort(key=lambda item: (item[0], item[1]))
    where = f"page {number}"
    for _, is_table, item in items:
        if is_table:
            rows = [[None if c is None else _cell_text(c) for c in row] for row in item.extract()]
            out.table(rows, where + ", ")
        else:
            out.add(item, where)
    if not items:
        out.add("", where)


# ---------------------------------------------------------------------------------------------
# HTML

_SKIP = {"script", "style", "noscript", "template", "iframe", "nav", "select", "button", "svg"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "header", "footer", "aside", "main", "blockquote", "pre", "dd", "dt", "dl",
    "tr", "td", "th", "title", "form", "center", "hr",
}  # fmt: skip


def _html(decoded: Decoded) -> Document:
    """The visible text of a page, each table that holds no other table as rows of cells."""
    import lxml.html
    from lxml import etree

    source = re.sub(r"^\s*<\?xml[^>]*>", "", decoded.text)
    try:
        root = lxml.html.document_fromstring(source)
    except (etree.ParserError, ValueError) as exc:
        return Document.failed("html", f"broken HTML: {exc}")
    out = _Lines()
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        out.add(_cell_text(title.text_content()))
    body = root.find("body")
    buffer: list[str] = []
    _html_walk(body if body is not None else root, buffer, out)
    _flush(buffer, out)
    return out.document("html", decoded.encoding)


def _flush(buffer: list[str], out: _Lines) -> None:
    text = "".join(buffer)
    buffer.clear()
    for line in text.split("\n"):
        line = re.sub(r"[ \t\u3000\xa0]+", " ", line).strip()
        if line:
            out.add(line)


def _tag(element: object) -> str:
    tag = element.tag
    return tag.lower().rsplit(":", 1)[-1] if isinstance(tag, str) else ""


def _html_walk(element: object, buffer: list[str], out: _Lines) -> None:
    for child in element:
        tag = _tag(child)
        if tag in _SKIP or not tag:
            buffer.append(child.tail or "")
            continue
        if tag == "table" and child.find(".//table") is None:
            _flush(buffer, out)
            out.table(_html_grid(child))
        else:
            if tag in _BLOCK or tag == "table":
                buffer.append("\n")
            buffer.append(child.text or "")
            _html_walk(child, buffer, out)
            if tag in _BLOCK or tag == "table":
                buffer.append("\n")
        buffer.append(child.tail or "")


def _html_grid(table: object) -> list[list[str | None]]:
    """The rows of a table with merged cells expanded: the places a cell spans hold None, so a
    row keeps its cells' columns."""
    rows: list[list[str | None]] = []
    pending: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(tr for tr in table.iter() if _tag(tr) == "tr"):
        row: list[str | None] = []
        c = 0
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            while pending.pop((r, c), False):
                row.append(None)
                c += 1
            rowspan, colspan = _span(cell, "rowspan"), _span(cell, "colspan")
            row.append(_cell_text(_html_cell_text(cell)))
            row.extend([None] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    pending[(r + dr, c + dc)] = True
            c += colspan
        while pending.pop((r, c), False):
            row.append(None)
            c += 1
        rows.append(row)
    return rows


def _html_cell_text(cell: object) -> str:
    """A cell's visible text; its paragraphs and line breaks are lines of the cell."""
    buffer: list[str] = [cell.text or ""]
    for child in cell:
        tag = _tag(child)
        if tag not in _SKIP and tag:
            if tag in _BLOCK:
                buffer.append("\n")
            buffer.append(_html_cell_text(child))
        buffer.append(child.tail or "")
    return "".join(buffer)


def _span(cell: object, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), 1000))
    except ValueError:
        return 1


# ---------------------------------------------------------------------------------------------
# Word (.docx)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(data: bytes) -> Document:
    """A Word document's paragraphs and tables in the order of its body."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            body = etree.fromstring(archive.read("word/document.xml")).find(f"{_W}body")
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        return Document.failed("docx", f"broken Word document: {type(exc).__name__}: {exc}")
    out = _Lines()
    for element in _blocks(body):
        if element.tag == f"{_W}tbl":
            out.table(_docx_grid(element))
        else:
            out.add(_docx_text(element))
    return out.document("docx")


def _blocks(parent: object) -> Iterator[object]:
    """Paragraphs and tables of a body, inside content controls too."""
    for child in parent:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _blocks(child)


def _docx_text(paragraph: object) -> str:
    parts = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        else:
            parts.append("\t" if node.tag == f"{_W}tab" else "\n")
    return "".join(parts)


def _docx_grid(table: object) -> list[list[str | None]]:
    """The rows of a Word table: a cell spanning columns (gridSpan) is followed by None for
    the columns it covers; the continuation of a vertically merged cell is None."""
    rows = []
    for tr in table.findall(f"{_W}tr"):
        row: list[str | None] = []
        for tc in tr.findall(f"{_W}tc"):
            props = tc.find(f"{_W}tcPr")
            span, merged = 1, False
            if props is not None:
                grid = props.find(f"{_W}gridSpan")
                span = int(grid.get(f"{_W}val", "1")) if grid is not None else 1
                vmerge = props.find(f"{_W}vMerge")
                merged = vmerge is not None and vmerge.get(f"{_W}val", "continue") == "continue"
            text = "\n".join(_docx_text(p) for p in tc.iter(f"{_W}p"))
            row.append(None if merged else _cell_text(text))
            row.extend([None] * (span - 1))
        rows.append(row)
    return rows
