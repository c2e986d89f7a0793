"""Batch scoring jobs: POST /v1/batches (upload), GET /v1/batches[/{id}], DELETE /v1/batches/{id},
GET /v1/batches/{id}/results, GET /v1/batches/{id}/report."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ...batch import jobs
from ...batch.runner import CONVERSATION_FIELDS, OUTPUT_FIELDS, csv_row
from ...errors import InputError
from ...schemas import error_responses
from ..auth import CallerDep

router = APIRouter(prefix="/v1/batches", tags=["batches"])


async def _receive_upload(request: Request, tmp_dir: Path) -> tuple[Path, str, dict]:
    """Stream the upload to a temporary file: multipart (field `file`, plus optional
    `format`, `encoding`, `judge`) or a raw body with ?filename=. Never held in memory whole."""
    ctype = request.headers.get("content-type", "")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkstemp(dir=tmp_dir, suffix=".upload")[1])
    fields: dict = {}
    try:
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=10)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InputError("multipart upload needs a `file` field", field="file")
            filename = upload.filename or "upload.jsonl"
            with target.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    await run_in_threadpool(out.write, chunk)
            await upload.close()
            fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str) and v}
        else:
            filename = request.query_params.get("filename") or (
                "upload.tsv" if "tab-separated" in ctype else "upload.csv" if "csv" in ctype else "upload.jsonl")
            with target.open("wb") as out:
                async for chunk in request.stream():
                    out.write(chunk)
            fields = {k: v for k, v in request.query_params.items() if k in ("format", "encoding", "judge") and v}
        return target, filename, fields
    except BaseException:
        target.unlink(missing_ok=True)
        raise


@router.post("", status_code=202, summary="Upload an export (replies, conversations or a helpdesk's JSON) "
             "to score in the background")
async def create_batch(request: Request, who: CallerDep) -> dict:
    """Columns: `id`, `reply`, optional `complaint`, `agent`, `channel`, `created_at`, `lang`;
    or one row per message: `conversation_id`, `role`, `text`, optional `agent`,
    `created_at`, `channel`. Send multipart/form-data with a `file` field (and optional
    `format`: csv, tsv, txt, jsonl, or a helpdesk export: zendesk, chatwoot, intercom,
    freshdesk, zammad; default by the file name's extension; `encoding`, e.g. gbk, big5 or utf-16, default
    detected), or the raw file as the body with `?filename=export.csv`. Returns the job at
    once; a file that cannot be read as a whole is refused with 422. The batch belongs to the
    calling key: other keys (but `admin`) get 404 for it and do not see it listed."""
    settings = request.app.state.settings
    path, filename, fields = await _receive_upload(request, Path(settings.data_dir) / "uploads")
    try:
        job = await run_in_threadpool(jobs.create_job, settings, path, filename,
                                      encoding=fields.get("encoding"), format=fields.get("format"),
                                      judge=fields.get("judge"), owner=who.owner)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    request.app.state.jobs.submit(job["id"])
    return job


@router.get("", summary="Past batches, newest first (the calling key's own; `admin`: all)")
def get_batches(request: Request, who: CallerDep, limit: int = Query(50, ge=1, le=500)) -> list[dict]:
    return jobs.list_jobs(request.app.state.settings, limit, owner=who.sees)


@router.get("/{job_id}", summary="State and progress of a batch", responses=error_responses(404))
def get_batch(job_id: str, request: Request, who: CallerDep) -> dict:
    return jobs.job_status(request.app.state.settings, job_id, owner=who.sees)


@router.delete("/{job_id}", summary="Cancel a queued or running batch", responses=error_responses(404, 409))
def cancel_batch(job_id: str, request: Request, who: CallerDep) -> dict:
    return jobs.cancel(request.app.state.settings, job_id, owner=who.sees)


@router.get("/{job_id}/results", summary="One row per input row (for conversations: per agent turn, "
            "then the conversation's scorecard), in order (streamed)",
            responses=error_responses(404))
def get_results(job_id: str, request: Request, who: CallerDep,
                format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
    settings = request.app.state.settings
    lines = jobs.iter_results(settings, job_id, owner=who.sees)
    conversations = jobs.job_status(settings, job_id, owner=who.sees)["conversations"]

    if format == "csv":
        import csv
        import io

        def body():
            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow(CONVERSATION_FIELDS if conversations else OUTPUT_FIELDS)
            for n, line in enumerate(lines, 1):
                w.writerow(csv_row(json.loads(line), conversations))
                if n % 1000 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()

        return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                                 headers={"content-disposition": f'attachment; filename="{job_id}.csv"'})

    def body_jsonl():
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 1000:
                yield "\n".join(batch) + "\n"
                batch = []
        if batch:
            yield "\n".join(batch) + "\n"

    return StreamingResponse(body_jsonl(), media_type="application/x-ndjson",
                             headers={"content-disposition": f'attachment; filename="{job_id}.jsonl"'})


@router.get("/{job_id}/report", summary="The QA report: overall, by agent, by channel, weekly",
            responses=error_responses(404))
def get_report(job_id: str, request: Request, who: CallerDep, format: Literal["json", "html"] = "json"):
    report = jobs.cached_report(request.app.state.settings, job_id, owner=who.sees)
    if format == "html":
        from ...batch.report_html import render_html

        return HTMLResponse(render_html(report))
    return report
