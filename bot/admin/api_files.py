"""Spreadsheets in the JSON API, as on the admin pages: exports of dossiers, certificates
and commune reports; the import of a province's list of certified products (a dry run
unless ``apply`` is set)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.admin import exports, importer
from bot.admin.api_common import ERRORS, ContextDep, DossierFilterDep, StaffDep, province_only

files_api = APIRouter()
Kind = Literal["dossiers", "certificates", "commune_reports"]
SPREADSHEETS = {
    200: {
        "description": "The file, with Vietnamese headers",
        "content": {
            exports.CSV: {"schema": {"type": "string"}},
            exports.XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **ERRORS,
}


class Problem(BaseModel):
    """One row of the list and what is wrong with it, or what was read into it."""

    line: int
    text: str


class ImportReportOut(BaseModel):
    """What the import found (dry run) or did."""

    dry_run: bool
    rows: int
    valid: int
    errors: list[Problem]
    renamed: list[Problem]
    already_present: int
    created_products: int
    created_subjects: int
    renewed: int = Field(description="products on record renewed by a newer decision")
    year_only: list[int] = Field(description="lines whose decision gives only a year")


@files_api.get("/exports/{kind}.{fmt}", response_class=Response, responses=SPREADSHEETS)
async def export(
    admin: ContextDep,
    staff: StaffDep,
    kind: Kind,
    fmt: Literal["csv", "xlsx"],
    wanted: DossierFilterDep,
) -> Response:
    """The scope's dossiers (filtered as the list is), certificates or commune reports."""
    async with admin.reading() as session:
        found = await exports.export_file(
            session, staff.scope, kind, fmt, wanted, admin.today(), timezone=admin.timezone
        )
    return Response(found.content, media_type=found.media_type, headers=found.headers)


@files_api.post(
    "/import",
    responses={
        **ERRORS,
        400: {"description": "The file cannot be read (type, header, columns)"},
        403: {"description": "Only province accounts import lists"},
    },
)
async def import_list(
    admin: ContextDep,
    staff: StaffDep,
    file: UploadFile,
    apply: Annotated[bool, Query(description="write the valid rows (default: dry run)")] = False,
) -> ImportReportOut:
    """Check every row of a .xlsx or .csv list; with ``apply``, import the valid ones
    (importing the same list again changes nothing)."""
    province_only(staff)
    content = await file.read()
    await file.close()
    try:
        report = await importer.check_and_import(
            admin, staff, content, file.filename or "", apply=apply
        )
    except importer.ImportFileError as problem:
        raise HTTPException(400, str(problem)) from None
    return ImportReportOut(
        dry_run=report.dry_run,
        rows=report.rows,
        valid=report.valid,
        errors=[Problem(line=line, text=text) for line, text in report.errors],
        renamed=[Problem(line=line, text=text) for line, text in report.renamed],
        already_present=report.already_present,
        created_products=report.created_products,
        created_subjects=report.created_subjects,
        renewed=report.renewed,
        year_only=sorted({item.line for item in report.shown(importer.RowNote.YEAR_ONLY)}),
    )
