"""A realistic demo catalog: counted coffee and cleaning supplies next to espresso machines
and drills tracked as units, and gloves tracked by lot with expiry; with four months of
history behind it (server/services/demo_history.py), so that the reports show something."""

from __future__ import annotations

import datetime as dt

from server.db import items_repo, ledger, units_repo
from server.db.items_repo import ItemFilter
from server.domain.actors import Actor
from server.domain.vocab import Role
from server.services import catalog, demo_history, places, stock, units

DEMO = Actor(user_id=None, name="demo", role=Role.ADMIN)


async def load_demo(*, force: bool = False) -> bool:
    _, total = await items_repo.list_items(ItemFilter(archived=None), sort="id",
                                           descending=False, limit=1, offset=0)
    if total and not force:
        return False
    a = DEMO
    now = dt.datetime.now(dt.UTC)
    # the catalog as it was set up four months ago; then its history; then today
    with ledger.backdated(now - dt.timedelta(days=demo_history.DAYS + 1)):
        cast, made = await _catalog(a)
    await demo_history.run(a, cast, now)
    await _today(a, made, cast, now)
    return True


async def _catalog(a: Actor) -> tuple[demo_history.Cast, dict[str, int]]:
    site = await places.create_location(a, "Main warehouse")
    stockroom = await places.create_location(a, "Stockroom", site)
    shelf_a1 = await places.create_location(a, "Shelf A1", stockroom)
    shelf_b3 = await places.create_location(a, "Shelf B3", stockroom)
    bin_b3_1 = await places.create_location(a, "Bin B3-1", shelf_b3)
    crib = await places.create_location(a, "Tool crib", site)
    crib_rack = await places.create_location(a, "Drill rack", crib)
    cage = await places.create_location(a, "IT cage", site)
    cafe = await places.create_location(a, "Café", None)
    bar = await places.create_location(a, "Bar", cafe)
    counter = await places.create_location(a, "Counter", bar)

    dana = await places.create_person(a, "Dana Whitfield", email="dana@example.com",
                                      badge_code="BADGE-1001")
    sam = await places.create_person(a, "Sam Okafor", email="sam@example.com",
                                     badge_code="BADGE-1002")
    priya = await places.create_person(a, "Priya Raman", email="priya@example.com")
    crew = [await places.create_person(a, name, email=f"{name.split()[0].lower()}@example.com")
            for name in ("Lee Marsh", "Jo Park", "Alex Chen", "Maria Silva")]

    beans = await catalog.create_item(
        a, sku="COF-ESP-1KG", name="Espresso beans, house blend, 1 kg bag", tracking="quantity",
        category="Coffee", unit_of_measure="bag", reorder_point=10, unit_cost="18.50",
        barcodes=["4006381333931"])
    spray = await catalog.create_item(
        a, sku="CLN-SPRAY-500", name="Surface cleaner spray, 500 ml", tracking="quantity",
        category="Cleaning", unit_of_measure="bottle", reorder_point=6, unit_cost="3.20")
    gloves = await catalog.create_item(
        a, sku="PPE-NITRILE-M", name="Nitrile gloves, size M, box of 100", tracking="lot",
        category="Safety", unit_of_measure="box", reorder_point=20, unit_cost="7.90")
    batteries = await catalog.create_item(
        a, sku="EL-BAT-AA4", name="AA batteries, pack of 4", tracking="quantity",
        category="Electrical", unit_of_measure="pack", reorder_point=15, unit_cost="6.40")
    await stock.receive(a, batteries, shelf_b3, 60, note="opening stock")
    laptops = await catalog.create_item(
        a, sku="IT-LAP-14", name="Laptop 14 inch, 16 GB (kept as a count)", tracking="quantity",
        category="IT", unit_of_measure="laptop", reorder_point=4, unit_cost="1450.00",
        loan_days=14)
    await stock.receive(a, laptops, shelf_b3, 12, note="refresh batch")

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

    drill = await catalog.create_item(
        a, sku="TL-DRL-DDF485", name="Cordless drill Makita DDF485", tracking="serial",
        category="Tools", unit_cost="189.00",
        custom_fields=[{"key": "battery_pack", "label": "Battery pack", "type": "text"}])
    drills = await units.create_units(a, drill, crib_rack, serial_pattern="DDF485-{0001..0006}",
                                      fields={"purchase_date": "2025-09-01",
                                              "warranty_end": "2028-09-01"})
    projector = await catalog.create_item(
        a, sku="AV-PROJ-EB", name="Projector Epson EB-W51", tracking="serial",
        category="AV", unit_cost="780.00", loan_days=3)
    projectors = await units.create_units(a, projector, crib, serial_pattern="EBW51-{01..03}",
                                          fields={"purchase_cost": "780.00"})
    ladder = await catalog.create_item(
        a, sku="TL-LAD-3M", name="Step ladder, 3 m", tracking="serial", category="Tools",
        unit_cost="240.00", reorder_point=4)
    ladders = await units.create_units(a, ladder, crib, count=4,
                                       fields={"purchase_cost": "240.00"})
    ties = await catalog.create_item(
        a, sku="CT-TIE-200", name="Cable ties, 200 mm", tracking="serial",
        category="Electrical", unit_cost="0.08")
    await units.create_units(a, ties, bin_b3_1, count=40, fields={"purchase_cost": "0.08"})

    cast = demo_history.Cast(
        people=[sam, *crew, priya], lendable=await demo_history.tags(drills),
        ladders=await demo_history.tags(ladders),
        projectors=await demo_history.tags(projectors), batteries=batteries, beans=beans,
        laptops=laptops, shelf=shelf_b3, beans_shelf=shelf_a1)
    made = {"beans": beans, "spray": spray, "gloves": gloves, "shelf_a1": shelf_a1,
            "shelf_b3": shelf_b3, "bin_b3_1": bin_b3_1, "counter": counter,
            "stockroom": stockroom, "machine": machines[1], "drill1": drills[0],
            "drill3": drills[2], "dana": dana, "cage": cage}
    return cast, made


async def _today(a: Actor, m: dict[str, int], cast: demo_history.Cast, now: dt.datetime) -> None:
    await stock.receive(a, m["beans"], m["shelf_a1"], 40, note="weekly roaster delivery")
    await stock.move(a, m["beans"], m["shelf_a1"], m["counter"], 6, note="for the bar")
    await stock.consume(a, m["beans"], m["counter"], 2, note="morning service")
    await stock.receive(a, m["spray"], m["bin_b3_1"], 24)
    await stock.adjust(a, m["spray"], m["bin_b3_1"], 22,
                       "counted on shelf: two leaking bottles binned")
    today = now.date()
    await stock.receive(a, m["gloves"], m["shelf_b3"], 30, lot="L2407A",
                        expires_on=today + dt.timedelta(days=400))
    await stock.receive(a, m["gloves"], m["shelf_b3"], 12, lot="L2311C",
                        expires_on=today + dt.timedelta(days=45))
    second = await units_repo.get(unit_id=m["machine"])
    await units.move_unit(a, second.tag, m["stockroom"], note="spare machine")
    first = await units_repo.get(unit_id=m["drill1"])
    await units.check_out(a, first.tag, m["dana"], due_at=now + dt.timedelta(days=3),
                          note="site visit, Building C")
    third = await units_repo.get(unit_id=m["drill3"])
    await units.set_condition(a, third.tag, "needs_repair", note="chuck slips")
    await demo_history.lend_laptops(a, cast, now)
