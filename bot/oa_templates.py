"""The OA's approved template for each alert kind, as province staff map it on the admin
page, and what became of the template messages sent.

Theory of operation. A template (ZBS, formerly ZNS) is written and approved on Zalo's side;
here staff copy its id, its title and its paragraphs as approved — the parameters appear
in them as ``<name>`` — and say which fact of the alert fills each parameter. Zalo's limits
are checked when the mapping is saved (:func:`check`), so a template that Zalo would
refuse is never sent: a title of 9–65 characters with at most 4 parameters, at most 4
paragraphs of 9–400 characters, at most 10 parameters in all (REFERENCE.md § Zalo OA).

Each template message tried is one :class:`~bot.db.models.OATemplateSend` row: accepted or
refused with Zalo's code, with the daily quota the answer reported. The page counts them by
kind (sent, delivered once its receipt came, failed) and shows the quota Zalo last reported.

The ``ZALO_OA_TEMPLATES`` setting stays as a fallback: a kind mapped on the page uses the
page's template, a kind mapped only in the setting keeps working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.zalo_oa import MAX_TEMPLATE_PARAMS, Template
from bot.db.models import OATemplate, OATemplateSend, OutboxMessage
from handlers.notices import LINK_CODE, RENDERERS

TITLE_LENGTH = (9, 65)
TITLE_MAX_PARAMS = 4
MAX_PARAGRAPHS = 4
PARAGRAPH_LENGTH = (9, 400)
PARAM = re.compile(r"<([A-Za-z_][A-Za-z0-9_]{0,49})>")
FACT = re.compile(r"[a-z_][a-z0-9_]{0,49}")
# Alert kinds a template may carry: every notice but the one-time linking code, which
# someone is waiting for in a chat right now.
KINDS = tuple(kind for kind in RENDERERS if kind != LINK_CODE)


@dataclass(frozen=True, slots=True)
class TemplateForm:
    """What staff entered for one kind."""

    kind: str
    template_id: str
    title: str
    paragraphs: tuple[str, ...]
    params: dict[str, str]  # parameter name → outbox fact


def params_in(text: str) -> list[str]:
    """The ``<name>`` parameters of a title or paragraph, in order, each once."""
    return list(dict.fromkeys(PARAM.findall(text)))


def parse_params(text: str) -> dict[str, str] | str:
    """``name = fact`` lines as a mapping, or what is wrong with them."""
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, fact = (part.strip() for part in line.partition("="))
        if not sep or not name or not fact:
            return f"Dòng “{line.strip()[:60]}” cần dạng tham_so = du_kien."
        params[name.strip("<>")] = fact
    return params


def check(form: TemplateForm) -> list[str]:
    """What breaks Zalo's limits or leaves a parameter unfilled (empty when all is well)."""
    errors: list[str] = []
    if form.kind not in KINDS:
        errors.append("Loại thông báo không có trong danh sách.")
    if not form.template_id or len(form.template_id) > 64 or not form.template_id.isalnum():
        errors.append("Mã mẫu (template_id) là chữ và số, tối đa 64 ký tự.")
    low, high = TITLE_LENGTH
    if not low <= len(form.title) <= high:
        errors.append(f"Tiêu đề cần từ {low} đến {high} ký tự (đang có {len(form.title)}).")
    in_title = params_in(form.title)
    if len(in_title) > TITLE_MAX_PARAMS:
        errors.append(f"Tiêu đề có tối đa {TITLE_MAX_PARAMS} tham số (đang có {len(in_title)}).")
    if len(form.paragraphs) > MAX_PARAGRAPHS:
        errors.append(f"Tối đa {MAX_PARAGRAPHS} đoạn (đang có {len(form.paragraphs)}).")
    low, high = PARAGRAPH_LENGTH
    for number, paragraph in enumerate(form.paragraphs, start=1):
        if not low <= len(paragraph) <= high:
            errors.append(
                f"Đoạn {number} cần từ {low} đến {high} ký tự (đang có {len(paragraph)})."
            )
    used = list(
        dict.fromkeys([*in_title, *(p for text in form.paragraphs for p in params_in(text))])
    )
    if len(used) > MAX_TEMPLATE_PARAMS:
        errors.append(f"Mẫu có tối đa {MAX_TEMPLATE_PARAMS} tham số (đang có {len(used)}).")
    unfilled = [name for name in used if name not in form.params]
    if unfilled:
        errors.append("Chưa nói dữ kiện nào điền vào: " + ", ".join(f"<{n}>" for n in unfilled))
    unused = [name for name in form.params if name not in used]
    if unused:
        errors.append("Tham số không có trong tiêu đề hay đoạn nào: " + ", ".join(unused))
    bad = [fact for fact in form.params.values() if not FACT.fullmatch(fact)]
    if bad:
        errors.append("Tên dữ kiện chỉ gồm chữ thường không dấu, số và _: " + ", ".join(bad))
    return errors


async def save(session: AsyncSession, form: TemplateForm, *, actor: str, now: datetime) -> None:
    """Keep ``form`` (already :func:`check`-ed) as the kind's template, replacing any."""
    row = await session.get(OATemplate, form.kind)
    if row is None:
        row = OATemplate(kind=form.kind)
        session.add(row)
    row.template_id = form.template_id
    row.title = form.title
    row.paragraphs = list(form.paragraphs)
    row.params = dict(form.params)
    row.updated_at = now
    row.updated_by = actor


async def remove(session: AsyncSession, kind: str) -> bool:
    """Forget the kind's template (its alerts go by chat again); False when none was set."""
    row = await session.get(OATemplate, kind)
    if row is None:
        return False
    await session.delete(row)
    return True


async def mapped(session: AsyncSession) -> list[OATemplate]:
    """The templates mapped on the page, by kind."""
    return list(await session.scalars(select(OATemplate).order_by(OATemplate.kind)))


async def template_for(session: AsyncSession, kind: str) -> Template | None:
    """The template the page maps ``kind`` to, or None."""
    row = await session.get(OATemplate, kind)
    return Template(row.template_id, dict(row.params)) if row is not None else None


@dataclass(frozen=True, slots=True)
class Counts:
    """Template messages of one kind: accepted by Zalo, of those delivered, and refused."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0


async def counts(session: AsyncSession) -> dict[str, Counts]:
    """The template messages tried, by kind."""
    accepted = OATemplateSend.error_code.is_(None)
    rows = await session.execute(
        select(
            OATemplateSend.kind,
            func.count(case((accepted, 1))),
            func.count(case((accepted & OutboxMessage.delivered_at.is_not(None), 1))),
            func.count(case((~accepted, 1))),
        )
        .join(OutboxMessage, OutboxMessage.id == OATemplateSend.outbox_id, isouter=True)
        .group_by(OATemplateSend.kind)
    )
    return {kind: Counts(int(s), int(d), int(f)) for kind, s, d, f in rows}


@dataclass(frozen=True, slots=True)
class Quota:
    """The daily template quota as Zalo's last answer reported it."""

    daily: int | None
    left: int
    at: datetime


async def last_quota(session: AsyncSession) -> Quota | None:
    """The quota of the latest answer that reported one; None before any did."""
    row = await session.scalar(
        select(OATemplateSend)
        .where(OATemplateSend.quota_left.is_not(None))
        .order_by(OATemplateSend.at.desc(), OATemplateSend.id.desc())
        .limit(1)
    )
    if row is None or row.quota_left is None:
        return None
    return Quota(row.quota_daily, row.quota_left, row.at)
