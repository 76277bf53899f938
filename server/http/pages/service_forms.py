"""The unit page's maintenance forms (posted to /units/{tag}/service, see units.py): plan a
service (and start it at once if asked), start, finish done or failed, cancel. Each answers
the message the page shows; a refusal is the service's domain error."""

from __future__ import annotations

from server.domain.actors import Actor
from server.domain.errors import InvalidInput
from server.services import maintenance as service

FINISHES = {"done": "Service done.", "failed": "Service recorded as failed.",
            "cancelled": "Service cancelled."}


def _record_id(form: dict[str, str]) -> int:
    raw = form.get("record", "")
    if not raw.isdecimal():
        raise InvalidInput("choose a service record", field="record")
    return int(raw)


async def apply(actor: Actor, tag: str, form: dict[str, str]) -> str:
    step = form.get("step", "")
    if step == "plan":
        record_id = await service.plan_record(
            actor, tag, form.get("kind", ""), planned_on=form.get("planned_on") or None,
            fields={k: form.get(k, "") for k in ("performed_by", "vendor", "notes")})
        if form.get("start_now") == "on":
            await service.start_record(actor, record_id)
            return f"Service {record_id} started: the unit is in repair until it is finished."
        return f"Service {record_id} planned."
    record_id = _record_id(form)
    if step == "start":
        await service.start_record(actor, record_id)
        return f"Service {record_id} started: the unit is in repair until it is finished."
    if step in FINISHES:
        fields = {k: form[k] for k in ("cost", "notes") if form.get(k)}
        if step != "cancelled":
            fields["under_warranty"] = form.get("under_warranty") == "on"  # type: ignore[assignment]
        await service.finish_record(actor, record_id, step, fields)
        return FINISHES[step]
    raise InvalidInput("step must be plan, start, done, failed or cancelled", field="step")
