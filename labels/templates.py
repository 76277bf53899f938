"""Label templates: which codes go on a label and which text lines, as sandboxed Jinja2."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from PIL import Image

from labels.data import KINDS, LabelData
from labels.errors import TemplateError

MAX_LINES = 5
MAX_EXPR = 300
MAX_LINE_CHARS = 200
_MAX_REPEAT = 1000


class _Sandbox(ImmutableSandboxedEnvironment):
    """No loader, no globals, no unsafe attributes, no huge repeats: lines only format data."""

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        # The stock sandbox renders this as an empty string; a user should learn it was refused.
        raise jinja2.sandbox.SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__} is not allowed"
        )

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise jinja2.sandbox.SecurityError("the ** operator is not allowed")
        sized = left if isinstance(left, str | list | tuple) else right
        count = right if sized is left else left
        if (
            isinstance(sized, str | list | tuple)
            and isinstance(count, int)
            and len(sized) * count > _MAX_REPEAT
        ):
            raise jinja2.sandbox.SecurityError("repetition result is too long")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(autoescape=False)
_ENV.globals.clear()


@lru_cache(maxsize=512)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One text line: a Jinja2 template over the label data, its relative size and weight."""

    expr: str
    weight: float = 1.0
    bold: bool = False
    required: bool = False  # the label is refused if this line cannot be shown legibly


@dataclass(frozen=True, slots=True)
class LabelTemplate:
    key: str
    name: str
    qr: bool = False
    code128: bool = False
    lines: tuple[LineSpec, ...] = ()
    kinds: tuple[str, ...] = KINDS
    logo_png: bytes | None = None

    def __post_init__(self) -> None:
        if len(self.lines) > MAX_LINES:
            raise TemplateError("lines", f"template {self.key!r}: at most {MAX_LINES} lines")
        for i, line in enumerate(self.lines):
            field = f"lines[{i}]"
            if len(line.expr) > MAX_EXPR:
                raise TemplateError(field, f"expression longer than {MAX_EXPR} characters")
            if not 0.5 <= line.weight <= 3.0:
                raise TemplateError(f"{field}.weight", "must be between 0.5 and 3")
            try:
                _compile(line.expr)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(field, f"template {self.key!r}: {exc.message}") from exc
        for kind in self.kinds:
            if kind not in KINDS:
                raise TemplateError("kinds", f"unknown kind {kind!r}")
        if self.logo_png is not None:
            logo_image(self.logo_png)

    def with_logo(self, logo: Image.Image | bytes) -> LabelTemplate:
        """A copy carrying a logo (a PIL image or PNG bytes), drawn above the text lines."""
        if isinstance(logo, Image.Image):
            buffer = io.BytesIO()
            logo.save(buffer, format="PNG")
            logo = buffer.getvalue()
        return replace(self, logo_png=bytes(logo))


@lru_cache(maxsize=16)
def logo_image(png: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise TemplateError("logo", f"not a readable image: {exc}") from exc
    return image.convert("LA")


def render_lines(template: LabelTemplate, data: LabelData) -> list[str]:
    """Evaluate each line in the sandbox. Any failure, including a refusal, is a TemplateError."""
    context = _context(data)
    out = []
    for i, line in enumerate(template.lines):
        try:
            text = _compile(line.expr).render(context)
        except Exception as exc:  # sandboxed user code: every failure becomes one clear error
            raise TemplateError(f"lines[{i}]", f"template {template.key!r}: {exc}") from exc
        out.append(" ".join(text.split())[:MAX_LINE_CHARS])
    return out


def _context(data: LabelData) -> Mapping[str, Any]:
    context: dict[str, Any] = dict(data.fields)
    context.update(tag=data.tag, kind=data.kind, url=data.url, fields=dict(data.fields))
    return context


_SERIAL = "{{ tag }}{% if serial %} \u00b7 S/N {{ serial }}{% endif %}"
_BUILTIN = (
    LabelTemplate(
        "asset",
        "Asset tag: QR, Code 128 and three lines",
        qr=True,
        code128=True,
        lines=(
            LineSpec("{{ name }}", 1.15, bold=True, required=True),
            LineSpec(_SERIAL),
            LineSpec("{{ org }}", 0.9),  # never the location: the tag stays, the unit moves
        ),
        kinds=("unit",),
    ),
    LabelTemplate(
        "qr",
        "QR code and lines",
        qr=True,
        lines=(
            LineSpec("{{ name }}", 1.15, bold=True, required=True),
            LineSpec(_SERIAL),
            LineSpec("{{ org }}", 0.9),
        ),
        kinds=("unit",),
    ),
    LabelTemplate(
        "code128",
        "Code 128 and a line",
        code128=True,
        lines=(LineSpec("{{ tag }}  {{ name }}", bold=True, required=True),),
        kinds=("unit",),
    ),
    LabelTemplate(
        "location",
        "Location: QR, name and path",
        qr=True,
        lines=(
            LineSpec("{{ name }}", 1.5, bold=True, required=True),
            LineSpec("{{ path }}", 0.9),
            LineSpec("{{ tag }}", 0.9),
        ),
        kinds=("location",),
    ),
    LabelTemplate(
        "badge",
        "Person badge: QR, name, organisation",
        qr=True,
        lines=(
            LineSpec("{{ name }}", 1.5, bold=True, required=True),
            LineSpec("{{ org }}"),
            LineSpec("{{ tag }}", 0.9),
        ),
        kinds=("person",),
    ),
    LabelTemplate(
        "blank",
        "Blank tag, claimed later: QR and tag",
        qr=True,
        lines=(LineSpec("{{ tag }}", 1.2, bold=True, required=True), LineSpec("{{ org }}", 0.9)),
        kinds=("blank",),
    ),
)


def builtin_templates() -> dict[str, LabelTemplate]:
    return {t.key: t for t in _BUILTIN}


def builtin_for(kind: str) -> tuple[LabelTemplate, ...]:
    """The built-in templates for one kind of label, the usual one first, then smaller ones:
    when no template is chosen, the first of these that fits the stock is used."""
    return tuple(t for t in _BUILTIN if kind in t.kinds)


def parse_template(key: str, raw: Mapping[str, Any]) -> LabelTemplate:
    """A user-defined template from a mapping (TOML/JSON): qr, code128, lines=[{expr, ...}]."""
    allowed = {"name", "qr", "code128", "lines", "kinds"}
    for name in raw:
        if name not in allowed:
            raise TemplateError(name, f"template {key!r}: unknown field")
    lines_raw = raw.get("lines", [])
    if not isinstance(lines_raw, list):
        raise TemplateError("lines", f"template {key!r}: must be a list")
    lines = []
    for i, line in enumerate(lines_raw):
        if isinstance(line, str):
            line = {"expr": line}
        if not isinstance(line, dict) or not isinstance(line.get("expr"), str):
            raise TemplateError(f"lines[{i}]", "must be a string or a table with 'expr'")
        try:
            lines.append(LineSpec(**line))
        except TypeError as exc:
            raise TemplateError(f"lines[{i}]", f"template {key!r}: {exc}") from exc
    for flag in ("qr", "code128"):
        if not isinstance(raw.get(flag, False), bool):
            raise TemplateError(flag, f"template {key!r}: must be true or false")
    return LabelTemplate(
        key,
        str(raw.get("name", key)),
        qr=bool(raw.get("qr", False)),
        code128=bool(raw.get("code128", False)),
        lines=tuple(lines),
        kinds=tuple(raw.get("kinds", KINDS)),
    )
