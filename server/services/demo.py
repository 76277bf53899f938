"""A realistic demo catalog: counted coffee and cleaning supplies next to espresso machines
and drills tracked as units, and gloves tracked by lot with expiry."""

from __future__ import annotations

import datetime as dt

from server.db import items_repo, units_repo
from server.db.items_repo import ItemFilter
from server.domain.actors import Actor
from server.domain.vocab import Role
from server.services import catalog, places, stock, units

DEMO = Actor(user_id=None, name="demo", role=Role.ADMIN)


async def load_demo(*, force: bool = False) -> bool:
    _, total = await items_repo.list_items(ItemFilter(archived=None), sort="id",
                                           descending=False, limit=1, offset=0)
    if total and not force:
        return False
    a = DEMO
    site = await places.create_location(a, "Main warehouse")
    stockroom = await places.create_location(a, "Stockroom", site)
    shelf_a1 = await places.create_location(a, "Shelf A1", stockroom)
    shelf_b3 = await places.create_location(a, "Shelf B3", stockroom)
    bin_b3_1 = await places.create_location(a, "Bin B3-1", shelf_b3)
    crib = await places.create_location(a, "Tool crib", site)
    crib_rack = await places.create_location(a, "Drill rack", crib)
    cafe = await places.create_location(a, "Café", None)
    bar = await places.create_location(a, "Bar", cafe)
    counter = await places.create_location(a, "Counter", bar)

    dana = await places.create_person(a, "Dana Whitfield", email="dana@example.com",
                                      badge_code="BADGE-1001")
    await places.create_person(a, "Sam Okafor", email="sam@example.com",
                               badge_code="BADGE-1002")
    await places.create_person(a, "Priya Raman", email="priya@example.com")

    beans = await catalog.create_item(
        a, sku="COF-ESP-1KG", name="Espresso beans, house blend, 1 kg bag", tracking="quantity",
        category="Coffee", unit_of_measure="bag", reorder_point=10, unit_cost="18.50",
        barcodes=["4006381333931"])
    await stock.receive(a, beans, shelf_a1, 40, note="weekly roaster delivery")
    await stock.move(a, beans, shelf_a1, counter, 6, note="for the bar")
    await stock.consume(a, beans, counter, 2, note="morning service")
    spray = await catalog.create_item(
        a, sku="CLN-SPRAY-500", name="Surface cleaner spray, 500 ml", tracking="quantity",
        category="Cleaning", unit_of_measure="bottle", reorder_point=6, unit_cost="3.20")
    await stock.receive(a, spray, bin_b3_1, 24)
    await stock.adjust(a, spray, bin_b3_1, 22, "counted on shelf: two leaking bottles binned")

    gloves = await catalog.create_item(
        a, sku="PPE-NITRILE-M", name="Nitrile gloves, size M, box of 100", tracking="lot",
        category="Safety", unit_of_measure="box", reorder_point=20, unit_cost="7.90")
    today = dt.date.today()
    await stock.receive(a, gloves, shelf_b3, 30, lot="L2407A",
                        expires_on=today + dt.timedelta(days=400))
    await stock.receive(a, gloves, shelf_b3, 12, lot="L2311C",
                        expires_on=today + dt.timedelta(days=45))

    espresso = await catalog.create_item(
        a, sku="EQ-ESP-LM-LINEA", name="Espresso machine La Marzocco Linea Mini",
        tracking="serial", category="Equipment", unit_cost="5900.00",
        custom_fields=[
            {"key": "voltage", "label": "Voltage", "type": "choice",
             "choices": ["120V", "230V"], "required": True},
            {"key": "last_descaled", "label": "Last descaled", "type": "date"},
        ])
    machines = await units.create_units(
        a, espresso, counter, serials=["LM-24-00871", "LM-24-00872"],
        fields={"purchase_date": "2025-03-14", "purchase_cost": "5900.00",
                "warranty_end": "2027-03-14", "custom": {"voltage": "230V"}})
    second = await units_repo.get(unit_id=machines[1])
    await units.move_unit(a, second.tag, stockroom, note="spare machine")

    drill = await catalog.create_item(
        a, sku="TL-DRL-DDF485", name="Cordless drill Makita DDF485", tracking="serial",
        category="Tools", unit_cost="189.00",
        custom_fields=[{"key": "battery_pack", "label": "Battery pack", "type": "text"}])
    drills = await units.create_units(a, drill, crib_rack, serial_pattern="DDF485-{0001..0006}",
                                      fields={"purchase_date": "2025-09-01",
                                              "warranty_end": "2028-09-01"})
    first = await units_repo.get(unit_id=drills[0])
    await units.check_out(a, first.tag, dana,
                          due_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
                          note="site visit, Building C")
    third = await units_repo.get(unit_id=drills[2])
    await units.set_condition(a, third.tag, "needs_repair", note="chuck slips")
    return True
