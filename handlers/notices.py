"""What the bot says unasked: each outbox kind rendered in the recipient's language.

The outbox stores a kind and plain facts (names, dates, counts), never sentences, so a
notice is worded when it is sent, in the language the person has then. Each notice says
what, when and what to do, with a button to the right screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot.messages import Option, Outbound, Reply
from handlers.certificate_words import GROUND_LABELS
from handlers.dates import format_day
from handlers.i18n import N_, Translator
from handlers.payloads import PayloadKind, make
from handlers.ports import HandlerContext
from handlers.renewal import renew_payload
from handlers.returns import change_lines
from handlers.status import samples_required
from ocop_rules import (
    COMMUNE_LIMIT_SOURCE,
    COMMUNE_WORKING_DAYS,
    RevocationGround,
    reevaluation_window,
    requirement,
)

# Kinds a person may turn off with /thongbao, with what they are. Each can be turned off:
# under QĐ 26/2026/QĐ-TTg no one owes a written expiry notice, so none is forced through.
OPTIONAL_KINDS: dict[str, str] = {
    "cert_expiry": N_("Certificate expiry reminders"),
    "round_opening": N_("Evaluation round opening"),
    "round_deadline": N_("Dossier deadline reminders"),
    "missing_items": N_("Missing papers before a deadline"),
    "officer_digest": N_("Weekly digest of waiting dossiers (officers)"),
    "announcement": N_("Announcements from the province and the commune"),
    "commune_limit": N_("The commune's working-day limit for a dossier (officers)"),
}

Payload = dict[str, Any]
LINK_CODE = "link_code"
# One-time messages someone is waiting for right now: sent even in quiet hours, and their
# payload (the code) is forgotten once the row is done.
URGENT_KINDS = frozenset({LINK_CODE})
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo",
    "zalo_oa": N_("the province's Zalo Official Account"),
    "console": N_("the console"),
}


def _day(value: str, language: str) -> str:
    return format_day(date.fromisoformat(value), language)


def _button(t: Translator, label: str, target: str) -> tuple[tuple[Option, ...], ...]:
    return ((Option(t.gettext(label), make(PayloadKind.FEATURE, target)),),)


def _cert_expiry(p: Payload, t: Translator, language: str) -> Reply:
    when = _day(p["expires_on"], language)
    if p.get("audience") == "officer":
        text = t.gettext(
            "Notice: the OCOP certificate of “{product}” ({subject}) in your commune expires on "
            "{day}. The producer has been told; please help them prepare the re-evaluation."
        ).format(product=p["product"], subject=p.get("subject", ""), day=when)
        return Reply(text, _button(t, N_("Products of my commune"), "commune"))
    expires_on = date.fromisoformat(p["expires_on"])
    window = reevaluation_window(expires_on)
    due_on = expires_on - timedelta(days=p["days_before"])
    renew = None
    if p["days_before"] == 0:
        # It lapses at expiry (QĐ 26, Điều 4.3): stars are not kept by a later round.
        text = t.gettext(
            "Your {stars}★ OCOP certificate for “{product}” expires today ({day}) and is no "
            "longer valid after today. If its re-evaluation was filed in time, the province's "
            "decision gives the new certificate; otherwise the product needs a new evaluation: "
            "register it with /dangky."
        )
    elif due_on <= window.closes:
        # Every day from the window's opening to its last day (Điều 7.6.a).
        text = t.gettext(
            "Reminder: your {stars}★ OCOP certificate for “{product}” expires on {day}. To "
            "keep the stars, file the re-evaluation dossier with your commune from {opens} to "
            "{closes} at the latest."
        )
        if "certificate_id" in p and due_on >= window.opens:
            renew = Option(
                t.gettext("Open the re-evaluation dossier"), renew_payload(p["certificate_id"])
            )
    else:
        text = t.gettext(
            "Your {stars}★ OCOP certificate for “{product}” expires on {day}, in {days} days. "
            "The time to file its re-evaluation ended on {closes}; ask your commune officer "
            "what can still be done."
        )
    body = text.format(
        stars=p["stars"],
        product=p["product"],
        day=when,
        days=p["days_before"],
        opens=_day(window.opens.isoformat(), language),
        closes=_day(window.closes.isoformat(), language),
    )
    rows = _button(t, N_("My certificates"), "certificates")
    return Reply(body, ((renew,), *rows) if renew is not None else rows)


def _round_opening(p: Payload, t: Translator, language: str) -> Reply:
    text = t.gettext(
        "The OCOP evaluation round “{round}” is open. Dossiers are due by {day}."
    ).format(round=p["round"], day=_day(p["deadline"], language))
    return Reply(text, _button(t, N_("Where my dossier stands"), "status"))


def _round_deadline(p: Payload, t: Translator, language: str) -> Reply:
    text = t.gettext(
        "{days} day(s) left: dossiers for the round “{round}” are due on {day}."
    ).format(days=p["days_before"], round=p["round"], day=_day(p["deadline"], language))
    return Reply(text, _button(t, N_("Dossier checklist"), "dossier"))


def _missing_items(p: Payload, t: Translator, language: str) -> Reply:
    lines = [
        t.gettext(
            "Dossiers for the round “{round}” are due on {day}. “{product}” still misses:"
        ).format(round=p["round"], day=_day(p["deadline"], language), product=p["product"])
    ]
    lines.extend(f"• {requirement(code).name_vi}" for code in p["missing"])
    return Reply("\n".join(lines), _button(t, N_("Dossier checklist"), "dossier"))


def _officer_digest(p: Payload, t: Translator, _language: str) -> Reply:
    lines: list[str] = []
    if p["count"]:
        lines.append(
            t.gettext("{count} dossier(s) have waited more than 7 days for the commune:").format(
                count=p["count"]
            )
        )
        lines.extend(
            "• "
            + t.gettext("{product} ({code}), {days} days").format(
                product=product, code=code or "—", days=days
            )
            for product, code, days in p["items"]
        )
    asked = p.get("questions") or []
    if asked:
        lines.append(
            t.gettext(
                "{count} question(s) from producers have waited more than 2 working days:"
            ).format(count=len(asked))
        )
        lines.extend(
            "• "
            + t.gettext("#{number} {producer}, {days} days").format(
                number=number, producer=producer or "—", days=days
            )
            for number, producer, days in asked
        )
    rows = _button(t, N_("Dossiers waiting for the commune"), "queue")
    if asked:
        rows = (*rows, *_button(t, N_("Answer producers' questions"), "answer"))
    return Reply("\n".join(lines), rows)


def _announcement(p: Payload, t: Translator, _language: str) -> Reply:
    lead = t.gettext("Announcement from {sender}:").format(sender=p["sender"])
    return Reply(f"{lead}\n{p['body']}")


def _officer_question(p: Payload, t: Translator, _language: str) -> Reply:
    who = p.get("producer") or t.gettext("A producer")
    if p.get("phone"):
        who = f"{who} ({p['phone']})"
    if p.get("unreadable"):
        text = t.gettext(
            "{who} sent the bot a voice message or a message Zalo does not pass on, so it "
            "could not be read (question #{number}). Please call them back, then note your "
            "answer here."
        ).format(who=who, number=p["question_id"])
    else:
        about = (
            t.gettext(" about “{product}”").format(product=p["product"]) if p.get("product") else ""
        )
        text = t.gettext("Question #{number} from {who}{about}:\n{body}").format(
            number=p["question_id"], who=who, about=about, body=p["body"]
        )
    return Reply(text, _button(t, N_("Answer producers' questions"), "answer"))


def _officer_answer(p: Payload, t: Translator, _language: str) -> Reply:
    who = p.get("by") or t.gettext("The commune officer")
    text = t.gettext("{who} answered your question “{question}”:\n{answer}").format(
        who=who, question=p["question"], answer=p["answer"]
    )
    return Reply(text, _button(t, N_("Ask my commune officer"), "ask"))


def _commune_limit(p: Payload, t: Translator, language: str) -> Reply:
    # What is left of the commune's limit is the list of steps itself (QĐ 26, Điều 7.2.a–b),
    # each a numbered choice so a Zalo officer answers with its number.
    text = t.gettext(
        "Working day {day} of {total}: the commune received the dossier of “{product}” on "
        "{received}; its report (Mẫu 03) and proposal to the province are due by {deadline} "
        "({source}). What is left to do:"
    ).format(
        day=p["working_day"],
        total=COMMUNE_WORKING_DAYS,
        product=p["product"],
        received=_day(p["received_on"], language),
        deadline=_day(p["deadline"], language),
        source=f"{COMMUNE_LIMIT_SOURCE.document}, {COMMUNE_LIMIT_SOURCE.part}",
    )
    dossier = p["dossier_id"]
    steps = (
        (N_("Check the dossier's form"), "form"),
        (N_("Assess the four criteria"), "crit"),
        (N_("Send the proposal to the province"), "submit"),
    )
    rows = tuple(
        (Option(t.gettext(label), make(PayloadKind.OFFICER, action, dossier)),)
        for label, action in steps
    )
    return Reply(text, rows)


def _new_idea(p: Payload, t: Translator, _language: str) -> Reply:
    text = t.gettext("A new product idea was registered in your commune: {code}.").format(
        code=p["code"]
    )
    return Reply(text, _button(t, N_("Dossiers waiting for the commune"), "queue"))


def _dossier_returned(p: Payload, t: Translator, _language: str) -> Reply:
    lines = [
        t.gettext("The commune asks you to complete the dossier of “{product}”:").format(
            product=p["product"]
        )
    ]
    for code, note in p["fixes"]:
        name = requirement(code).name_vi
        lines.append(f"• {name}: {note}" if note else f"• {name}")
    return Reply("\n".join(lines), _button(t, N_("Dossier checklist"), "dossier"))


def _dossier_resent(p: Payload, t: Translator, _language: str) -> Reply:
    lines = [
        t.gettext(
            "The producer has completed the returned dossier of “{product}” ({code}) and sent "
            "it back. Changed:"
        ).format(product=p["product"], code=p.get("code") or "—")
    ]
    lines.extend(change_lines(t, [tuple(change) for change in p["changed"]]) or ["  —"])
    rows = (
        (
            Option(
                t.gettext("Open the dossier"), make(PayloadKind.OFFICER, "open", p["dossier_id"])
            ),
        ),
    )
    return Reply("\n".join(lines), rows)


CONCLUSIONS = {
    "met": N_("met all four criteria"),
    "not_met": N_("did not meet every criterion"),
    "needs_more": N_("needs more evidence"),
}


def _commune_result(p: Payload, t: Translator, language: str) -> Reply:
    # Since QĐ 26 the commune's report concludes nothing (None) and always proposes.
    label = CONCLUSIONS.get(p["conclusion"])
    lines = [
        t.gettext("The commune has assessed “{product}”: {conclusion}.").format(
            product=p["product"], conclusion=t.gettext(label)
        )
        if label
        else t.gettext("The commune has assessed “{product}”.").format(product=p["product"])
    ]
    if p["conclusion"] in ("met", None):
        lines.append(t.gettext("Next, the commune proposes the product to the province."))
        found = p.get("round")
        if found:
            lines.append(
                t.gettext("Round “{round}”: dossiers due on {day}.").format(
                    round=found["name"], day=_day(found["registration_deadline"], language)
                )
            )
            if found.get("council_from"):
                lines.append(
                    t.gettext("The provincial council meets from {day}.").format(
                        day=_day(found["council_from"], language)
                    )
                )
    else:
        lines.append(
            t.gettext("Please contact the commune officer to see what to add, then try again.")
        )
    return Reply("\n".join(lines), _button(t, N_("Where my dossier stands"), "status"))


def _submitted(p: Payload, t: Translator, _language: str) -> Reply:
    lines = [
        t.gettext("The commune has proposed “{product}” to the province for evaluation.").format(
            product=p["product"]
        )
    ]
    # Notices queued before the set was in the payload name no samples rather than a wrong
    # count; tourism services send none (QĐ 26, Điều 6.2.d).
    samples = samples_required(p.get("product_set"), p["group"]) if "group" in p else 0
    if samples:
        lines.append(
            t.gettext("Keep {samples} samples of the product ready for the council.").format(
                samples=samples
            )
        )
    text = "\n".join(lines)
    return Reply(text, _button(t, N_("Where my dossier stands"), "status"))


def channel_name(t: Translator, channel: str) -> str:
    """ "Telegram", "Zalo"… as the person calls the app."""
    return t.gettext(CHANNEL_NAMES.get(channel, channel))


def _link_code(p: Payload, t: Translator, _language: str) -> Reply:
    text = t.gettext(
        "Your Trợ lý OCOP code is {code}. Someone is signing in on {channel} with your phone "
        "number: if it is you, type this code there (it works for 10 minutes). If it is not "
        "you, do not give the code to anyone."
    ).format(code=p["code"], channel=channel_name(t, p["channel"]))
    return Reply(text)


LEVELS = {
    "province": N_("the provincial People's Committee"),
    "central": N_("the Ministry of Agriculture and Environment"),
    "district": N_("the district People's Committee"),
}


def _council_result(p: Payload, t: Translator, language: str) -> Reply:
    forwarded, certifier = p.get("forwarded_to"), p.get("certified_by")
    if forwarded:
        # No stars yet: only the level it goes to certifies them (route_score said where).
        text = t.gettext(
            "The provincial council has scored “{product}”: {average} points. The province "
            "now proposes it to {level} for evaluation; only that level can certify 5★, and "
            "the bot will tell you its result."
        ).format(product=p["product"], average=p["average"], level=t.gettext(LEVELS[forwarded]))
        return Reply(text, _button(t, N_("Where my dossier stands"), "status"))
    lines = [
        t.gettext(
            "The provincial council has scored “{product}”: {average} points, {stars}★."
        ).format(product=p["product"], average=p["average"], stars=p["stars"])
    ]
    if certifier:
        lines.append(
            t.gettext(
                "The certificate will be issued by {level}; you will get a message then."
            ).format(level=t.gettext(LEVELS[certifier]))
        )
    else:
        lines.append(
            t.gettext(
                "Under 50 points a product is not certified OCOP this time (3★ starts at 50). "
                "This is not a final verdict on the product: the council's sheet shows where "
                "points were missing — often the papers, the packaging and label, or the "
                "market — and the product can be registered again in a later round."
            )
        )
        found = p.get("next_round")
        if found:
            lines.append(
                t.gettext(
                    "The next round, “{round}”, opens on {opens}; dossiers are due by {day}."
                ).format(
                    round=found["name"],
                    opens=_day(found["opens_on"], language),
                    day=_day(found["registration_deadline"], language),
                )
            )
        else:
            lines.append(
                t.gettext(
                    "The province holds evaluation rounds every year; the bot will tell you "
                    "when the next one opens."
                )
            )
    return Reply("\n".join(lines), _button(t, N_("Where my dossier stands"), "status"))


def _central_result(p: Payload, t: Translator, _language: str) -> Reply:
    certifier = p.get("certified_by")
    lines = [
        t.gettext(
            "The Ministry's council has scored “{product}”: {average} points, {stars}★."
        ).format(product=p["product"], average=p["average"], stars=p["stars"])
    ]
    if certifier:
        lines.append(
            t.gettext(
                "The certificate will be issued by {level}; you will get a message then."
            ).format(level=t.gettext(LEVELS[certifier]))
        )
    else:
        lines.append(
            t.gettext(
                "Only products with 3★ or more are certified. You can improve the product and "
                "register it again in a later round."
            )
        )
    return Reply("\n".join(lines), _button(t, N_("Where my dossier stands"), "status"))


def _certificate_issued(p: Payload, t: Translator, language: str) -> Reply:
    text = t.gettext(
        "Congratulations! “{product}” is certified OCOP {stars}★ (certificate {number}, issued "
        "{issued}). It is valid until {expires}; the bot will remind you before then."
    ).format(
        product=p["product"],
        stars=p["stars"],
        number=p["number"],
        issued=_day(p["issued_on"], language),
        expires=_day(p["expires_on"], language),
    )
    return Reply(text, _button(t, N_("My certificates"), "certificates"))


def _certificate_revoked(p: Payload, t: Translator, language: str) -> Reply:
    try:
        ground = t.gettext(GROUND_LABELS[RevocationGround(p.get("ground", ""))])
    except ValueError:  # a notice queued before grounds were recorded
        ground = p.get("reason", "")
    since = _day(p["revoked_on"], language) if p.get("revoked_on") else ""
    if p.get("audience") == "officer":
        text = t.gettext(
            "Notice: the OCOP certificate {number} of “{product}” ({subject}) in your commune "
            "has been revoked from {day}. Ground: {ground}."
        ).format(
            number=p["number"] or "",
            product=p["product"],
            subject=p.get("subject", ""),
            day=since,
            ground=ground,
        )
        return Reply(text, _button(t, N_("Products of my commune"), "commune"))
    text = t.gettext(
        "The OCOP certificate {number} of “{product}” has been revoked. Reason: {reason}. "
        "Please contact the commune officer if you have questions."
    ).format(product=p["product"], number=p["number"] or "", reason=ground)
    if since:
        text += "\n" + t.gettext("The stars can no longer be used from {day}.").format(day=since)
    return Reply(text, _button(t, N_("My certificates"), "certificates"))


RENDERERS: dict[str, Callable[[Payload, Translator, str], Reply]] = {
    "cert_expiry": _cert_expiry,
    "round_opening": _round_opening,
    "round_deadline": _round_deadline,
    "missing_items": _missing_items,
    "officer_digest": _officer_digest,
    "commune_limit": _commune_limit,
    "new_idea": _new_idea,
    "dossier_returned": _dossier_returned,
    "dossier_resent": _dossier_resent,
    "commune_result": _commune_result,
    "submitted_to_province": _submitted,
    LINK_CODE: _link_code,
    "council_result": _council_result,
    "certificate_issued": _certificate_issued,
    "certificate_revoked": _certificate_revoked,
    "announcement": _announcement,
    "officer_question": _officer_question,
    "officer_answer": _officer_answer,
    "central_result": _central_result,
}


def render(kind: str, payload: Payload, t: Translator, language: str) -> list[Outbound]:
    """The messages of one outbox row, in the recipient's language."""
    return [RENDERERS[kind](payload, t, language)]


async def settings_screen(ctx: HandlerContext, lead: str = "") -> list[Outbound]:
    """/thongbao: which notices are on, with a button to turn each off or on."""
    t = ctx.t
    if ctx.profile is None:
        return [Reply(t.gettext("Please sign up first: type /start."))]
    off = await ctx.store.alert_opt_outs(ctx.profile.person_id)
    lines = [lead] if lead else []
    lines.append(t.gettext("Notices I send you on my own:"))
    rows: list[tuple[Option, ...]] = []
    for kind, label in OPTIONAL_KINDS.items():
        state = t.gettext("off") if kind in off else t.gettext("on")
        lines.append(f"• {t.gettext(label)}: {state}")
        action = t.gettext("Turn on") if kind in off else t.gettext("Turn off")
        rows.append((Option(f"{action}: {t.gettext(label)}", make(PayloadKind.TOGGLE, kind)),))
    return [Reply("\n".join(lines), tuple(rows))]


async def toggle(ctx: HandlerContext, kind: str) -> list[Outbound]:
    """Turn one kind of notice off or on, then show the settings again."""
    if ctx.profile is None or kind not in OPTIONAL_KINDS:
        return await settings_screen(ctx)
    off = await ctx.store.alert_opt_outs(ctx.profile.person_id)
    await ctx.store.set_alert_opt_out(ctx.profile.person_id, kind, off=kind not in off)
    return await settings_screen(ctx, ctx.t.gettext("Saved."))
