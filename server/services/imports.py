"""Spreadsheet imports: a dry run by default, a commit that applies the whole file or
nothing, and scans that keep flowing meanwhile.

The hard part is "all or nothing" without stopping the scans. Everything slow happens
before the write lock: the file is read and typed in a worker process (import_worker.py),
the stored keys are loaded once (one query per table), and the plan (server/domain/
import_rows.py) is made on the event loop in slices of SLICE rows with a turn for other
tasks between slices. A dry run stops there and writes nothing but its report. A commit
then opens ONE write transaction and only writes: ids drawn in bulk, rows inserted and
updated thousands at a time, the events appended last in one record_many.

The plan was made against a snapshot taken outside the transaction, so it may be stale by
the time the lock is held. Every change writes an event, so the events after the
snapshot's last one say exactly what changed meanwhile: if none of them touches a record
the plan touches (and none creates an item, location, person or lot, which could take a
key the file creates), the plan still holds and is applied as it is; otherwise the
snapshot is loaded again and the plan made again inside the transaction (the slow path,
rare: a scan of one of the file's own units during the check). On PostgreSQL, where other
processes keep committing until our chain lock, the updates also check each row's version,
and a row changed in between fails the import with a conflict rather than being
overwritten. So the write lock is held for the writes alone: on SQLite, scans wait that
long (they queue, none is lost: bench/bench_import.py measures it)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from server.db import imports_repo
from server.db.engine import write_transaction
from server.domain.actors import Actor
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.import_plan import Plan
from server.domain.import_rows import Planner
from server.domain.imports import FIELDS, KINDS, Options, Problem
from server.domain.vocab import EventKind, Role
from server.services import import_worker, offload
from server.services.import_apply import Writer

SLICE = 2000  # rows planned between two turns of the event loop
MAX_ERRORS = 10_000  # problems kept in a run's report (error_count counts them all)
_CREATIONS = {EventKind.ITEM_CREATED, EventKind.ITEM_UPDATED, EventKind.ITEM_TRACKING_CHANGED,
              EventKind.LOCATION_CREATED, EventKind.LOCATION_UPDATED, EventKind.LOCATION_DELETED,
              EventKind.PERSON_CREATED, EventKind.PERSON_UPDATED, EventKind.LOT_CREATED,
              EventKind.LOT_EXPIRY_CHANGED, EventKind.UNIT_CREATED, EventKind.TAGS_RESERVED}


@dataclass(frozen=True)
class Job:
    kind: str
    path: Path  # the stored upload
    file_name: str  # as the user named it
    mapping: dict[str, str] | None = None  # header (or "#n") -> field key; None: guess
    options: Options = field(default_factory=Options)
    dry_run: bool = True


@dataclass
class Progress:
    """How far a run is (this process's runs; others read the run's row)."""

    phase: str = "queued"  # queued, reading, checking, applying, then the run's status
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate and self.total >= self.done else None
        return {"phase": self.phase, "done": self.done, "total": self.total,
                "rows_per_s": round(rate), "eta_s": None if eta is None else round(eta, 1)}


_progress: dict[int, Progress] = {}
_tasks: set[asyncio.Task[Any]] = set()


def check_job(actor: Actor, job: Job) -> None:
    actor.require(Role.MANAGER)
    if job.kind not in KINDS:
        raise InvalidInput(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    known = {f.key for f in FIELDS[job.kind]}
    for header, key in (job.mapping or {}).items():
        if key and key != "-" and key not in known and not key.startswith("custom:"):
            raise InvalidInput(f"mapping: {key} (for column {header}) is not a column of "
                               f"{job.kind}; the columns are {', '.join(sorted(known))}",
                               field="mapping")


async def begin(actor: Actor, job: Job, status: str = "queued") -> int:
    """The run's row, queued (or "mapping": waiting for the page's column choices)."""
    check_job(actor, job)
    run_id = await imports_repo.create_run({
        "kind": job.kind, "file_name": job.file_name, "stored_file": str(job.path),
        "status": status, "dry_run": job.dry_run, "options": asdict(job.options),
        "mapping": job.mapping or {}, "user_id": actor.user_id, "username": actor.name,
        "created_at": dt.datetime.now(dt.UTC)})
    _progress[run_id] = Progress()
    return run_id


def start(actor: Actor, run_id: int, job: Job) -> None:
    """Run it in the background (the API answers at once; the page polls)."""
    task = asyncio.get_running_loop().create_task(execute(actor, run_id, job))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def execute(actor: Actor, run_id: int, job: Job,
                  on_progress: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """Read, check and (unless a dry run) apply; the run's report."""
    progress = _progress.setdefault(run_id, Progress())
    tick = on_progress or (lambda p: None)
    try:
        result = await _read(job, progress, tick)
        if result.fatal:
            return await _finish(run_id, "failed", message=result.fatal,
                                 errors=[Problem(0, "", result.fatal)])
        await imports_repo.update_run(run_id, {"status": "checking",
                                               "rows_total": len(result.rows),
                                               "mapping": {result.headers[i]: k for i, k in
                                                           result.columns.items()}})
        headers = {k: result.headers[i] for i, k in result.columns.items()}
        watermark = await imports_repo.last_event_id()
        snapshot = await imports_repo.snapshot(job.kind, *_unit_keys(result))
        progress.phase, progress.done, progress.total = "checking", 0, len(result.rows)
        progress.started = time.monotonic()
        planner = Planner(snapshot, headers, job.options)
        plan = await _plan_in_slices(planner, job.kind, result, progress, tick)
        if job.dry_run or plan.problems:
            status = "checked" if job.dry_run else "failed"
            message = "" if job.dry_run else (
                f"nothing was imported: {len(plan.problems):,} rows have problems; fix them "
                "and import the file again")
            return await _finish(run_id, status, plan=plan, message=message)
        progress.phase, progress.done, progress.total = "applying", 0, plan.writes
        tick(progress)
        events = 0
        if plan.writes:  # an unchanged file opens no transaction and writes no event
            events = await _apply(actor, run_id, job, plan, watermark, headers, result)
        progress.done = plan.writes
        return await _finish(run_id, "applied", plan=plan, events=events)
    except (InvalidInput, Conflict) as e:
        return await _finish(run_id, "failed", message=e.message,
                             errors=[Problem(0, "", e.message)])
    except BaseException as e:
        with contextlib.suppress(Exception):
            await _finish(run_id, "error", message=f"the import stopped: {type(e).__name__}")
        raise
    finally:
        tick(progress)


async def _read(job: Job, progress: Progress, tick: Callable[[Progress], None]
                ) -> import_worker.ReadResult:
    """The file read and typed in a worker process; progress polled from its file."""
    custom = await _custom_names()
    progress.phase = "reading"
    with tempfile.TemporaryDirectory() as tmp:
        pfile = str(Path(tmp) / "progress")
        work = asyncio.ensure_future(offload.run_cpu(
            import_worker.read, str(job.path), job.kind, job.mapping, job.options, custom,
            pfile, busy="the server is busy with other long jobs: import again in a moment"))
        while not work.done():
            await asyncio.wait({work}, timeout=0.2)
            seen = import_worker.read_progress(pfile)
            if seen is not None:
                progress.done, progress.total = seen
                tick(progress)
        return work.result()


async def _custom_names() -> dict[str, str]:
    """Every item's custom fields, label and key -> custom:<key>, for matching headers."""
    out: dict[str, str] = {}
    snapshot_items = (await imports_repo.snapshot("items")).items.values()
    for item in snapshot_items:
        for d in item.custom_fields:
            out.setdefault(d.label.lower(), f"custom:{d.key}")
            out.setdefault(d.key.lower(), f"custom:{d.key}")
    return out


async def _plan_in_slices(planner: Planner, kind: str, result: import_worker.ReadResult,
                          progress: Progress, tick: Callable[[Progress], None]) -> Plan:
    rows = result.rows
    bad = {p.row for p in result.problems}
    planner.begin(kind, result.problems)
    for start in range(0, len(rows), SLICE):
        for number, values in rows[start:start + SLICE]:
            if number not in bad:
                planner.step(number, values)
        progress.done = min(start + SLICE, len(rows))
        tick(progress)
        await asyncio.sleep(0)
    return planner.finish(len(rows))


async def _apply(actor: Actor, run_id: int, job: Job, plan: Plan, watermark: int,
                 headers: dict[str, str], result: import_worker.ReadResult) -> int:
    async with write_transaction():
        if _stale(plan, await imports_repo.events_since(watermark)):
            snapshot = await imports_repo.snapshot(job.kind, *_unit_keys(result))
            planner = Planner(snapshot, headers, job.options)
            plan = await _plan_in_slices(planner, job.kind, result, Progress(), lambda p: None)
            if plan.problems:
                raise Conflict("the records this file touches changed while it was checked, "
                               "and it no longer applies cleanly: check it again",
                               code="import_stale")
        return await Writer(actor, run_id, job.file_name, plan).write()


def _unit_keys(result: import_worker.ReadResult) -> tuple[set[str], set[str]]:
    """The unit tags and serials a file names: the units its plan can touch."""
    tags: set[str] = set()
    serials: set[str] = set()
    for _number, values in result.rows:
        if tag := values.get("tag"):
            tags.add(str(tag).strip().upper())
        if serial := values.get("serial"):
            serials.add(str(serial).strip())
    return tags, serials


def _stale(plan: Plan, events: list[dict[str, Any]]) -> bool:
    if not events:
        return False
    units = {c.before.id for c in plan.unit_updates}
    items = {c.before.id for c in plan.item_updates} | {s.item for s in plan.stock_sets}
    for e in events:
        if e["kind"] in _CREATIONS:
            return True
        if e["unit_id"] is not None and e["unit_id"] in units:
            return True
        if e["unit_id"] is None and e["item_id"] in items:
            return True
    return False


async def _finish(run_id: int, status: str, *, plan: Plan | None = None, message: str = "",
                  errors: list[Problem] | None = None, events: int = 0) -> dict[str, Any]:
    problems = errors if errors is not None else (plan.problems if plan else [])
    values: dict[str, Any] = {
        "status": status, "message": message, "finished_at": dt.datetime.now(dt.UTC),
        "errors": [asdict(p) for p in problems[:MAX_ERRORS]], "error_count": len(problems)}
    if plan is not None:
        values.update(counts=plan.counts, changes=plan.changes, rows_total=plan.rows,
                      rows_done=plan.rows)
    await imports_repo.update_run(run_id, values)
    progress = _progress.get(run_id)
    if progress is not None:
        progress.phase = status
    report = await status_of(run_id)
    report["events"] = events
    return report


async def status_of(run_id: int) -> dict[str, Any]:
    run = await imports_repo.get_run(run_id)
    progress = _progress.get(run_id)
    run["progress"] = progress.as_dict() if progress else {
        "phase": run["status"], "done": run["rows_done"], "total": run["rows_total"],
        "rows_per_s": 0, "eta_s": None}
    return run


def forget(run_id: int) -> None:
    _progress.pop(run_id, None)


async def rejected_csv(actor: Actor, run_id: int) -> tuple[str, str]:
    """The rejected rows of a run with a Reason column, and a file name for them."""
    actor.require(Role.MANAGER)
    run = await imports_repo.get_run(run_id)
    reasons: dict[int, str] = {}
    for p in run["errors"]:
        said = f"{p['column']}: {p['reason']}" if p["column"] else p["reason"]
        reasons[p["row"]] = f"{reasons[p['row']]}; {said}" if p["row"] in reasons else said
    path = run["stored_file"]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(run["file_name"]).stem).strip("-.") or "import"
    if not path or not Path(path).exists():
        raise Conflict("the uploaded file of this import is no longer kept", code="gone")
    options = Options(**run["options"])
    text = await offload.run_cpu(import_worker.rejected_rows, path, options, reasons)
    return text, f"{name}-rejected.csv"


async def recommit(actor: Actor, run_id: int) -> tuple[int, Job]:
    """A new run that applies the upload of an earlier one (checked again first)."""
    actor.require(Role.MANAGER)
    run = await imports_repo.get_run(run_id)
    path = Path(run["stored_file"])
    if not run["stored_file"] or not path.exists():
        raise Conflict("the uploaded file of this import is no longer kept: upload it again",
                       code="gone")
    job = Job(kind=run["kind"], path=path, file_name=run["file_name"],
              mapping=dict(run["mapping"]) or None, options=Options(**run["options"]),
              dry_run=False)
    return await begin(actor, job), job


async def save_mapping(actor: Actor, kind: str, name: str, columns: dict[str, Any]) -> None:
    actor.require(Role.MANAGER)
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise InvalidInput("a mapping's name is 1-100 characters", field="name")
    if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise InvalidInput('a mapping is an object like {"S/N": "serial"}', field="mapping")
    check_job(actor, Job(kind=kind, path=Path(), file_name="", mapping=columns))
    await imports_repo.save_mapping(kind, clean, columns, actor.name)


async def delete_mapping(actor: Actor, kind: str, name: str) -> None:
    actor.require(Role.MANAGER)
    if not await imports_repo.delete_mapping(kind, name):
        raise NotFound(f"no saved {kind} mapping named {name}", field="mapping")


async def job_of(run_id: int, *, dry_run: bool = True) -> Job:
    run = await imports_repo.get_run(run_id)
    return Job(kind=run["kind"], path=Path(run["stored_file"]), file_name=run["file_name"],
               mapping=dict(run["mapping"]) or None, options=Options(**run["options"]),
               dry_run=dry_run)


async def preview(actor: Actor, run_id: int) -> import_worker.Preview:
    """The first rows of a run's file and the columns as they would be mapped."""
    actor.require(Role.MANAGER)
    job = await job_of(run_id)
    return await offload.run_cpu(import_worker.preview, str(job.path), job.kind, job.mapping,
                                 job.options, await _custom_names())


async def check_with(actor: Actor, run_id: int, mapping: dict[str, str],
                     save_as: str = "") -> None:
    """The page's column choices: saved (by name, if given), then the dry run, started."""
    actor.require(Role.MANAGER)
    run = await imports_repo.get_run(run_id)
    if run["status"] != "mapping":
        raise Conflict("this import has been checked already", code="import_started")
    job = replace(await job_of(run_id), mapping=mapping)
    check_job(actor, job)
    if save_as:
        await save_mapping(actor, job.kind, save_as, mapping)
    await imports_repo.update_run(run_id, {"status": "queued", "mapping": mapping})
    _progress[run_id] = Progress()
    start(actor, run_id, job)
