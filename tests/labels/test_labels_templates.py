"""Templates: sandboxed Jinja2 lines; escape attempts and errors fail cleanly."""

from __future__ import annotations

import pytest
from conftest import unit

from labels import LabelTemplate, LineSpec, TemplateError, builtin_templates, parse_template
from labels.templates import render_lines

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ fields.__class__.__init__.__globals__ }}",
    "{{ name.format.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ fields.clear() }}",
]


@pytest.mark.parametrize("expr", ESCAPES)
def test_escape_attempts_fail_with_a_template_error(expr: str):
    template = LabelTemplate("evil", "evil", lines=(LineSpec(expr),))
    with pytest.raises(TemplateError) as info:
        render_lines(template, unit())
    assert info.value.field == "lines[0]"


def test_lines_are_filled_from_the_record():
    lines = render_lines(builtin_templates()["asset"], unit(serial="SN-1"))
    assert lines == [
        "Espresso machine La Marzocco Linea Mini",
        "U-0004171 \u00b7 S/N SN-1",
        "Acme Coffee Co.",
    ]


def test_missing_fields_give_empty_lines_and_filters_work():
    template = LabelTemplate(
        "t", "t", lines=(LineSpec("{{ custodian }}"), LineSpec("{{ tag|lower }}"))
    )
    assert render_lines(template, unit()) == ["", "u-0004171"]


def test_syntax_errors_are_reported_at_definition():
    with pytest.raises(TemplateError) as info:
        LabelTemplate("t", "t", lines=(LineSpec("{{ name "),))
    assert info.value.field == "lines[0]"


def test_user_templates_parse_from_a_mapping():
    template = parse_template(
        "mine", {"qr": True, "lines": ["{{ name }}", {"expr": "{{ tag }}", "bold": True}]}
    )
    assert template.qr and not template.code128 and template.lines[1].bold
    with pytest.raises(TemplateError) as info:
        parse_template("mine", {"qr": "yes"})
    assert info.value.field == "qr"
    with pytest.raises(TemplateError) as info:
        parse_template("mine", {"lines": [{"expr": "x", "colour": "red"}]})
    assert info.value.field == "lines[0]"
