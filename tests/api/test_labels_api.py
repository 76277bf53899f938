"""The labels API: stocks, one label per tag, batches, blank tags, network printing."""

import io
import socket
import threading
from dataclasses import replace

import pypdfium2
import zxingcpp
from PIL import Image

from server.services import labels as label_service
from tests.factories import event_count, item, location, ok, person, problem, units


def decoded(image: Image.Image) -> set[tuple[str, str]]:
    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)}


def first_page(pdf: bytes, dpi: int = 300) -> Image.Image:
    page = pypdfium2.PdfDocument(pdf)[0]
    return page.render(scale=dpi / 72).to_pil()


def test_the_stocks_list_names_sizes_and_resolution(viewer):
    stocks = {s["id"]: s for s in ok(viewer.get("/api/v1/labels/stocks"))}
    assert stocks["zebra-2x1"]["width_mm"] == 50.8
    assert stocks["zebra-2x1"]["dpi"] == 203
    assert stocks["avery-5160"]["per_page"] == 30


def test_a_unit_label_decodes_to_its_url_and_tag(manager, viewer):
    shelf = location(manager, "Shelf B3")
    drill = item(manager, tracking="serial", name="Cordless drill")
    tag = units(manager, drill["id"], shelf["tag"])[0]["tag"]
    answer = viewer.get(f"/api/v1/labels/{tag}", params={"stock": "zebra-2x1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.size == (406, 203)  # 2 x 1 inch at 203 dpi
    assert decoded(image) == {("QRCode", f"http://tagtrack.test/u/{tag}"), ("Code128", tag)}


def test_location_and_person_labels_hold_their_own_urls(manager, viewer):
    shelf = location(manager, "Shelf B3")
    dana = person(manager, "Dana Whitfield")
    for tag, segment in ((shelf["tag"], "l"), (dana["tag"], "p")):
        answer = viewer.get(f"/api/v1/labels/{tag}", params={"stock": "zebra-3x2"})
        image = Image.open(io.BytesIO(answer.content))
        assert ("QRCode", f"http://tagtrack.test/{segment}/{tag}") in decoded(image)


def test_a_sheet_of_an_items_units_decodes_on_every_label(manager):
    shelf = location(manager)
    drill = item(manager, tracking="serial", name="Cordless drill")
    tags = {u["tag"] for u in units(manager, drill["id"], shelf["tag"], count=4)}
    answer = manager.post("/api/v1/labels", json={"stock": "avery-l7163", "item": drill["id"]})
    assert answer.headers["content-type"] == "application/pdf"
    found = {text for kind, text in decoded(first_page(answer.content)) if kind == "Code128"}
    assert found == tags


def test_blank_tags_are_reserved_with_one_event_and_print_as_zpl(manager):
    before = event_count(manager)
    answer = manager.post("/api/v1/labels", json={"stock": "zebra-2x1", "format": "zpl",
                                                  "blank": 3})
    zpl = answer.text
    assert zpl.count("^XA") == 3 and zpl.count("^XZ") == 3
    assert "^BQN" in zpl
    assert event_count(manager) == before + 1


def test_a_label_that_cannot_fit_is_refused_with_the_reason(manager, viewer):
    shelf = location(manager)
    drill = item(manager, tracking="serial")
    tag = units(manager, drill["id"], shelf["tag"])[0]["tag"]
    answer = viewer.get(f"/api/v1/labels/{tag}",
                        params={"stock": "ptouch-tze-12mm", "template": "asset"})
    body = problem(answer, 422)
    assert "does not fit" in body["detail"]


def test_an_unknown_stock_is_refused_naming_the_field(viewer, manager):
    shelf = location(manager)
    problem(viewer.get(f"/api/v1/labels/{shelf['tag']}", params={"stock": "nope"}), 422,
            "stock")


def test_a_viewer_cannot_print_batches(viewer):
    problem(viewer.post("/api/v1/labels", json={"stock": "zebra-2x1", "blank": 1}), 403)


def test_labels_are_sent_to_a_network_printer_as_zpl(manager, monkeypatch):
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    port = server.getsockname()[1]

    def listen() -> None:
        conn, _ = server.accept()
        with conn:
            chunks = []
            while data := conn.recv(65536):
                chunks.append(data)
            received.append(b"".join(chunks))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    settings = replace(label_service.get_settings(), printers={"dock": ("127.0.0.1", port)})
    monkeypatch.setattr(label_service, "get_settings", lambda: settings)
    shelf = location(manager, "Shelf B3")
    answer = ok(manager.post("/api/v1/labels/print", json={
        "printer": "dock", "stock": "zebra-2x1", "tags": [shelf["tag"]]}))
    thread.join(10)
    server.close()
    assert answer == {"printer": "dock", "labels": 1}
    assert received and received[0].startswith(b"^XA") and shelf["tag"].encode() in received[0]


def test_an_unknown_printer_is_named_in_the_refusal(manager):
    shelf = location(manager)
    body = problem(manager.post("/api/v1/labels/print", json={
        "printer": "nowhere", "stock": "zebra-2x1", "tags": [shelf["tag"]]}), 404, "printer")
    assert "nowhere" in body["detail"]


def test_a_printer_that_does_not_answer_gives_503_naming_it(manager, monkeypatch):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    settings = replace(label_service.get_settings(), printers={"dock": ("127.0.0.1", port)})
    monkeypatch.setattr(label_service, "get_settings", lambda: settings)
    shelf = location(manager)
    body = problem(manager.post("/api/v1/labels/print", json={
        "printer": "dock", "stock": "zebra-2x1", "tags": [shelf["tag"]]}), 503, "printer")
    assert f"127.0.0.1:{port}" in body["detail"]
