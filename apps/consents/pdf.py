"""The archived PDF of a signed consent, built with reportlab.

reportlab rather than WeasyPrint: it is pure Python with no system libraries (WeasyPrint
needs Debian's pango on every machine, the embedded `make run` included), builds a
one-page consent in a few milliseconds, and the consent text is a small, sanitised subset
of Markdown whose few tags map one to one onto its paragraph styles. The PDF shows what
the signing page showed: the same filled-in text, then the photo choice, typed name,
signature, time and witness."""

import io
from dataclasses import dataclass
from html.parser import HTMLParser

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

_styles = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=10.5, leading=14)
_H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=13, spaceBefore=8)
_H3 = ParagraphStyle("h3", parent=_styles["Heading3"], fontSize=11.5, spaceBefore=6)
_TITLE = ParagraphStyle("title", parent=_styles["Title"], fontSize=17, alignment=0)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=9, textColor=colors.HexColor("#444444"))
# Sanitised HTML tag -> reportlab's paragraph markup.
_INLINE = {"strong": "b", "em": "i"}


class _Blocks(HTMLParser):
    """Turns the sanitised consent HTML (rendering.ALLOWED_TAGS) into flowables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.flowables: list = []
        self._text: list[str] = []
        self._style = _BODY
        self._lists: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag in _INLINE:
            self._text.append(f"<{_INLINE[tag]}>")
        elif tag == "br":
            self._text.append("<br/>")
        elif tag in ("ul", "ol"):
            self._flush()
            self._lists.append([])
        elif tag in ("h2", "h3", "p", "li"):
            self._flush()
            self._style = {"h2": _H2, "h3": _H3}.get(tag, _BODY)

    def handle_endtag(self, tag):
        if tag in _INLINE:
            self._text.append(f"</{_INLINE[tag]}>")
        elif tag in ("h2", "h3", "p", "li"):
            self._flush()
        elif tag in ("ul", "ol") and self._lists:
            items = self._lists.pop()
            bullet = "bullet" if tag == "ul" else "1"
            self._add(ListFlowable(items, bulletType=bullet, leftIndent=14, bulletFontSize=8))

    def handle_data(self, data):
        self._text.append(data.replace("&", "&amp;").replace("<", "&lt;"))

    def handle_entityref(self, name):
        self._text.append(f"&{name};")

    def handle_charref(self, name):
        self._text.append(f"&#{name};")

    def _flush(self) -> None:
        text = "".join(self._text).strip()
        self._text = []
        if text:
            self._add(Paragraph(text, self._style))
        self._style = _BODY

    def _add(self, flowable) -> None:
        if self._lists:
            self._lists[-1].append(ListItem(flowable))
        else:
            self.flowables.append(flowable)

    def close(self):
        super().close()
        self._flush()


@dataclass(frozen=True)
class ConsentPage:
    """Everything the archived PDF shows, as text already formatted for the clinic."""

    clinic: str
    title: str
    version: str
    patient: str
    body_html: str
    photo_use: str
    signed_name: str
    signature_png: bytes
    signed_at: str
    witness: str


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def consent_pdf(page: ConsentPage) -> bytes:
    blocks = _Blocks()
    blocks.feed(page.body_html)
    blocks.close()
    signature = Image(io.BytesIO(page.signature_png))
    # Fit the drawn signature into a 70 x 25 mm box, keeping its shape.
    scale = min(70 * mm / signature.imageWidth, 25 * mm / signature.imageHeight, 1.0)
    signature.drawWidth = signature.imageWidth * scale
    signature.drawHeight = signature.imageHeight * scale
    signed = Table(
        [
            ["Photos may be used for", Paragraph(_escaped(page.photo_use), _BODY)],
            ["Name typed by the patient", Paragraph(_escaped(page.signed_name), _BODY)],
            ["Signature", signature],
            ["Signed", Paragraph(_escaped(page.signed_at), _BODY)],
            ["Witness", Paragraph(_escaped(page.witness), _BODY)],
        ],
        colWidths=[50 * mm, None],
        hAlign="LEFT",
    )
    signed.setStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTSIZE", (0, 0), (0, -1), 9.5),
            ("LINEABOVE", (0, 0), (-1, 0), 0.75, colors.black),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]
    )
    story = [
        Paragraph(_escaped(page.clinic), _SMALL),
        Paragraph(_escaped(page.title), _TITLE),
        Paragraph(_escaped(f"{page.version} · Patient: {page.patient}"), _SMALL),
        Spacer(1, 4 * mm),
        *blocks.flowables,
        Spacer(1, 6 * mm),
        signed,
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        title=page.title,
        author=page.clinic,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story)
    return out.getvalue()
