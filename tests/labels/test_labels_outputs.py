"""PNG and SVG outputs, logos, the printer socket, and the layering rule."""

from __future__ import annotations

import re
import socket
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import decode, png_image, unit
from PIL import Image

from labels import LabelData, LabelError, PrinterError, builtin_stocks, builtin_templates
from labels.printer import send_zpl
from labels.render import render_pdf, render_png, render_svg, render_zpl

STOCKS = builtin_stocks()
TEMPLATES = builtin_templates()


def test_png_is_at_printer_resolution_with_dpi_metadata():
    image = png_image(render_png(unit(), STOCKS["zebra-2x1"], TEMPLATES["asset"]))
    assert image.size == (406, 203) and image.mode == "1"
    assert image.info["dpi"] == pytest.approx((203, 203), abs=0.01)  # PNG stores dots per metre


def test_svg_has_the_physical_size_and_the_codes():
    svg = render_svg(unit(), STOCKS["dymo-30334"], TEMPLATES["asset"])
    root = ET.fromstring(svg)
    assert root.get("width") == "57.15mm" and root.get("height") == "31.75mm"
    assert root.get("viewBox") == "0 0 675 375"
    assert "Espresso machine" in svg and 'shape-rendering="crispEdges"' in svg


def test_a_logo_is_drawn_in_every_format():
    logo = Image.new("RGBA", (60, 30), (200, 30, 30, 255))
    template = TEMPLATES["badge"].with_logo(logo)
    person = LabelData("person", "P-0000042", "https://t.example/p/P-0000042", {"name": "Ada"})
    stock = STOCKS["zebra-3x2"]
    image = png_image(render_png(person, stock, template, monochrome=False))
    assert decode(image) == {"QRCode": [person.url]}
    assert "^GFA," in render_zpl([person], stock, template)
    assert "<image " in render_svg(person, stock, template)
    assert render_pdf([person], stock, template).startswith(b"%PDF")
    with pytest.raises(LabelError) as info:
        TEMPLATES["badge"].with_logo(b"not a png")
    assert info.value.field == "logo"


def test_label_data_is_validated():
    with pytest.raises(LabelError) as info:
        LabelData("widget", "U-1", "", {})  # type: ignore[arg-type]
    assert info.value.field == "kind"
    with pytest.raises(LabelError) as info:
        LabelData("unit", "U-1\n", "", {})
    assert info.value.field == "tag"


def test_qr_template_without_url_is_refused():
    data = LabelData("unit", "U-0000001", "", {"name": "x"})
    with pytest.raises(LabelError) as info:
        render_png(data, STOCKS["zebra-2x1"], TEMPLATES["qr"])
    assert info.value.field == "url"


def test_zpl_is_sent_to_a_network_printer():
    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(5)

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
                received.append(b"".join(chunks))

        thread = threading.Thread(target=accept)
        thread.start()
        zpl = render_zpl([unit()], STOCKS["zebra-2x1"], TEMPLATES["asset"])
        send_zpl("127.0.0.1", zpl, port=server.getsockname()[1], timeout=5)
        thread.join(5)
    assert received == [zpl.encode("utf-8")]


def test_unreachable_printer_raises_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PrinterError) as info:
        send_zpl("127.0.0.1", "^XA^XZ", port=port, timeout=2)
    assert info.value.field == "host" and f"127.0.0.1:{port}" in str(info.value)


def test_labels_never_imports_the_server():
    package = Path(__file__).resolve().parents[2] / "labels"
    for path in package.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+server\b", source, re.M), path.name
