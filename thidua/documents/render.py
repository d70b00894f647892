"""Rendering a Word template: docxtpl's own preprocessing, done once per template.

docxtpl reloads the .docx, re-runs its regex patching and recompiles the Jinja source on every
render; load and save are most of its time. Here a template is patched and compiled once; each
render runs the compiled Jinja on the body XML, applies the same post-processing docxtpl applies
(listing characters, table grid fixes, drawing ids) and writes the zip from the parts saved
once. word/document.xml comes out byte for byte as docxtpl writes it (tests compare them).
Templates that put Jinja where this path does not look (core properties, footnotes) are
rendered by docxtpl itself.
"""

import contextvars
import io
import re
import struct
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import parse_xml
from docx.oxml.ns import nsmap
from docx.oxml.shape import CT_Inline
from docx.shared import Length, Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, meta
from lxml import etree

from thidua.documents import ziparchive

_LISTING = re.compile("[\t\a\n\f]")
_TAG = re.compile(r"\{\{|\{%|\{#")
_IMAGE_REL = RT.IMAGE
_PROPS = ("author", "comments", "identifier", "language", "subject", "title")
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


@dataclass
class _RenderState:
    images: list[tuple[str, str, bytes]] = field(default_factory=list)  # rId, zip name, png


_state: contextvars.ContextVar[_RenderState | None] = contextvars.ContextVar(
    "thidua_render_state", default=None
)


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("ảnh phải là PNG")
    return struct.unpack(">II", png[16:24])


class Image:
    """A PNG placed inline, width in millimetres (height follows the aspect ratio).

    Works like docxtpl's InlineImage, but needs no DocxTemplate object: rendering records the
    picture and the writer adds the media part and its relationship."""

    def __init__(self, png: bytes, width_mm: float = 150) -> None:
        self.png = png
        self.width_mm = width_mm
        w, h = _png_size(png)
        self.cx = int(Mm(width_mm))
        self.cy = int(self.cx * h / w)

    def __html__(self) -> str:
        state = _state.get()
        if state is None:
            raise RuntimeError("Image rendered outside a document")
        n = len(state.images) + 1
        rid, name = f"rIdThidua{n}", f"thidua_image{n}.png"
        state.images.append((rid, f"word/media/{name}", self.png))
        inline = CT_Inline.new_pic_inline(n, rid, name, Length(self.cx), Length(self.cy))
        xml = etree.tostring(inline, encoding="unicode")
        return f'</w:t></w:r><w:r><w:drawing>{xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'

    __str__ = __html__


def _to_docxtpl(tpl: DocxTemplate, value: Any) -> Any:
    """Our Image objects as docxtpl InlineImages, for the docxtpl path."""
    if isinstance(value, Image):
        return InlineImage(tpl, io.BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {k: _to_docxtpl(tpl, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_docxtpl(tpl, v) for v in value]
    return value


def _post(xml: str) -> str:
    """What docxtpl's render_xml_part does after Jinja."""
    # docxtpl's re.sub(r"\n<w:p([ >])", r"<w:p\1") and its escaped braces, in fewer passes
    xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
    if "{_" in xml or "_}" in xml:
        for escaped, brace in (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}")):
            xml = xml.replace(escaped, brace)
    if not _LISTING.search(xml):  # nothing for resolve_listing to turn into breaks or tabs
        return xml
    return DocxTemplate.resolve_listing(None, xml)  # uses no instance state


def _pre(xml: str) -> str:
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


class CompiledTemplate:
    """A .docx template, patched and compiled once; render() gives the .docx bytes."""

    def __init__(self, path: Path, env: Environment) -> None:
        self.path = Path(path)
        self.env = env
        tpl = DocxTemplate(str(self.path))
        tpl.init_docx()
        docx = tpl.docx
        body_src = _pre(tpl.patch_xml(tpl.get_xml()))
        sources = [body_src]
        self.body = env.from_string(body_src)
        # Headers and footers with Jinja in them are rendered too; the others are copied.
        self.parts: dict[str, Any] = {}
        for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
            for _rid, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                if _TAG.search(xml):
                    src = _pre(tpl.patch_xml(xml))
                    sources.append(src)
                    self.parts[part.partname.lstrip("/")] = env.from_string(src)
        self.fast = not self._needs_docxtpl(docx)
        if self.fast:  # what docxtpl's render_properties does to tag-free properties
            props = docx.core_properties
            for name in _PROPS:
                setattr(props, name, env.from_string(getattr(props, name) or "").render())
        self.variables = set()
        for src in sources:
            self.variables |= meta.find_undeclared_variables(env.parse(src))
        # The parts as python-docx writes them, in its order; document.xml is replaced.
        buf = io.BytesIO()
        docx.save(buf)
        with zipfile.ZipFile(buf) as z:  # each member deflated once, here
            self.entries = [(n, z.read(n), ziparchive.member(n, z.read(n))) for n in z.namelist()]
        self.root = docx.element
        self.lock = threading.Lock()

    @staticmethod
    def _needs_docxtpl(docx) -> bool:
        props = docx.core_properties
        for name in _PROPS:
            if _TAG.search(getattr(props, name) or ""):
                return True
        return any(
            p.content_type == _FOOTNOTES and _TAG.search(p.blob.decode("utf-8"))
            for p in docx.part.package.parts
        )

    def render(self, context: dict[str, Any]) -> bytes:
        if not self.fast:
            return self.render_docxtpl(context)
        state = _RenderState()
        token = _state.set(state)
        try:
            # UTF-8 is half the size of the str (a Vietnamese text's str takes 2 bytes a
            # character), and the parse below holds it beside the whole tree
            body = _post(self.body.render(context)).encode("utf-8")
            rendered = {name: _post(t.render(context)) for name, t in self.parts.items()}
        finally:
            _state.reset(token)
        tree = DocxTemplate.fix_tables(None, body)  # uses no instance state
        del body
        for i, elt in enumerate(tree.xpath("//wp:docPr", namespaces=nsmap), start=1001):
            elt.attrib["id"] = str(i)
        with self.lock:
            self.root.replace(self.root.body, tree)
            document = etree.tostring(self.root, encoding="UTF-8", standalone=True)
            # The cached template must not keep the last document's tree until its next
            # render: a decision's annex is ~120 MB of lxml nodes. (Emptied in place: taking
            # the tree out of the root would re-home every node's namespace, for minutes.)
            tree.clear()
        members = []
        for name, data, packed in self.entries:
            if name == "word/document.xml":
                packed = ziparchive.member(name, document)
            elif name in rendered:
                # bytes, as lxml needs for a part with an XML declaration; typed str only
                xml = parse_xml(rendered[name].encode("utf-8"))  # type: ignore[arg-type]
                packed = ziparchive.member(
                    name, etree.tostring(xml, encoding="UTF-8", standalone=True)
                )
            elif state.images and name == "word/_rels/document.xml.rels":
                packed = ziparchive.member(name, _add_image_rels(data, state.images))
            elif state.images and name == "[Content_Types].xml":
                packed = ziparchive.member(name, _add_png_type(data))
            members.append(packed)
        members += [ziparchive.member(name, png) for _rid, name, png in state.images]
        return ziparchive.write(members)

    def render_docxtpl(self, context: dict[str, Any]) -> bytes:
        """The same document through docxtpl itself (the reference for the fast path)."""
        tpl = DocxTemplate(str(self.path))
        tpl.render(_to_docxtpl(tpl, context), jinja_env=self.env, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()


def _add_image_rels(rels: bytes, images: list[tuple[str, str, bytes]]) -> bytes:
    extra = "".join(
        f'<Relationship Id="{rid}" Type="{_IMAGE_REL}" Target="{name.removeprefix("word/")}"/>'
        for rid, name, _ in images
    )
    return rels.replace(b"</Relationships>", extra.encode() + b"</Relationships>")


def _add_png_type(types: bytes) -> bytes:
    if b'Extension="png"' in types:
        return types
    return types.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>')
