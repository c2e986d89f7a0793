"""HTML message bodies as plain text, with the standard library's parser (lenient with the
broken markup that email clients and rich-text editors write).

    html_to_text("<p>您好,</p><p>订单&nbsp;<b>20261103886</b><br>已发货</p>")
    == "您好,\n\n订单 20261103886\n已发货"

Paragraphs and other blocks become line breaks (a blank line between paragraphs), `<br>` a
line break, entities are decoded, scripts, styles and the document head are dropped, and runs
of white space collapse to one space as a browser shows them (except in `<pre>`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text", "looks_like_html"]

# elements whose content is never shown
_HIDDEN = frozenset(("script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"))
# a blank line before and after
_PARAGRAPH = frozenset(("p", "blockquote", "pre", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6",
                        "hr", "figure", "form", "fieldset", "address", "section", "article", "aside",
                        "header", "footer", "details"))
# a line break before and after
_LINE = frozenset(("div", "li", "tr", "dt", "dd", "caption", "figcaption", "summary", "main", "nav", "center"))
_CELL = frozenset(("td", "th"))
_SPACE = re.compile(r"[ \t\n\r\f]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))  # zero-width spaces: dropped
_NBSP = {0xA0: " "}
_TAG = re.compile(r"<\s*(p|br|div|span|a|b|i|u|em|strong|ul|ol|li|table|tr|td|img|blockquote|h[1-6]|"
                  r"html|body|font|pre|hr)\b[^<>]*>|&(nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);", re.I)


class _Text(HTMLParser):
    """Collects text pieces, and between them how many line breaks are owed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.breaks = 0  # line breaks owed before the next text (at most 2: one blank line)
        self.hidden = 0  # depth inside elements that are not shown
        self.pre = 0
        self.cells = 0  # cells so far in this table row

    def _break(self, at_least: int = 0, add: int = 0) -> None:
        if self.out:  # nothing is owed before the first text
            self.breaks = min(2, max(self.breaks + add, at_least))

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if self.hidden:
            return
        if tag == "br":
            self._break(add=1)
        elif tag in _PARAGRAPH:
            self._break(2)
            self.pre += tag == "pre"
        elif tag in _LINE:
            self._break(1)
            self.cells = 0
        elif tag in _CELL:
            if self.cells and not self.breaks:
                self.out.append(" ")
            self.cells += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag not in _HIDDEN:  # <script/> hides nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden:
            return
        if tag in _PARAGRAPH:
            self._break(2)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _LINE:
            self._break(1)

    def handle_data(self, data: str) -> None:
        if self.hidden or not data:
            return
        if self.pre:
            lines = data.replace("\r\n", "\n").split("\n")
            for i, line in enumerate(lines):
                if i:
                    self._break(add=1)
                if line:
                    self._text(line.translate(_INVISIBLE).translate(_NBSP))
            return
        text = _SPACE.sub(" ", data.translate(_INVISIBLE).translate(_NBSP))
        if text == " ":
            if self.out and not self.breaks and not self.out[-1].endswith(" "):
                self.out.append(" ")
            return
        self._text(text)

    def _text(self, text: str) -> None:
        if self.breaks:  # (owed only once there is text before)
            self.out.append("\n" * self.breaks)
            self.breaks = 0
            text = text.lstrip(" ")
        elif not self.out or self.out[-1].endswith(" "):
            text = text.lstrip(" ")
        if text:
            self.out.append(text)

    def text(self) -> str:
        return "\n".join(line.strip(" ") for line in "".join(self.out).split("\n")).strip()


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment or document, as a reader sees it (see the module)."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return parser.text()


def looks_like_html(text: str) -> bool:
    """Whether a body said to be plain text is HTML all the same (some integrations write HTML
    into plain-text fields): it has a common tag or entity."""
    return bool(_TAG.search(text))
