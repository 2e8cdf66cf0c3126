"""Fit replies to what a channel can show.

Choices become numbered lines where there are no buttons (the handlers accept the numbers),
a phone request becomes a plain question where there is no contact button, and long text is
split at paragraph boundaries under the channel's limit. A plain text followed by another
message of one turn is sent as one message with it (:func:`coalesce`).
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Capabilities, Option, Outbound, PhoneRequest, RemoveKeyboard, Reply
from handlers.i18n import Translator


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, preferring paragraph,
    then line, then word boundaries."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def numbered(reply: Reply, t: Translator) -> Reply:
    """The reply with its choices written as a numbered list."""
    options = [option for row in reply.choices for option in row]
    lines = [reply.text, ""]
    lines += [f"{number}. {option.label}" for number, option in enumerate(options, start=1)]
    lines.append(t.gettext("Type the number of your choice."))
    return Reply("\n".join(lines))


# Characters of an inline button a phone shows before it cuts the label off.
BUTTON_LABEL_MAX = 30
NUMBERS_PER_ROW = 5


def numbered_buttons(reply: Reply, t: Translator) -> Reply:
    """The reply with its options listed in the text and buttons that carry only their
    numbers: for labels too long for a button (the payloads, and so the actions, are the
    same, and a typed number or the words still work)."""
    options = [option for row in reply.choices for option in row]
    listed = numbered(reply, t).text
    buttons = [Option(str(n), option.payload) for n, option in enumerate(options, start=1)]
    rows = tuple(
        tuple(buttons[i : i + NUMBERS_PER_ROW]) for i in range(0, len(buttons), NUMBERS_PER_ROW)
    )
    return Reply(listed, rows)


def degrade(outbound: Outbound, capabilities: Capabilities, t: Translator) -> list[Outbound]:
    """Rewrite ``outbound`` into messages the channel can show."""
    if isinstance(outbound, PhoneRequest) and not capabilities.contact_request:
        outbound = Reply(outbound.text)
    if (
        isinstance(outbound, Reply)
        and capabilities.max_buttons is not None
        and sum(len(row) for row in outbound.choices) > capabilities.max_buttons
    ):
        outbound = numbered(outbound, t) if outbound.listed else Reply(outbound.text)
    if (
        isinstance(outbound, Reply)
        and capabilities.buttons
        and outbound.listed
        and any(len(o.label) > BUTTON_LABEL_MAX for row in outbound.choices for o in row)
    ):
        outbound = numbered_buttons(outbound, t)
    if isinstance(outbound, Reply) and outbound.choices and not capabilities.buttons:
        outbound = numbered(outbound, t) if outbound.listed else Reply(outbound.text)
    if isinstance(outbound, Reply | RemoveKeyboard | PhoneRequest):
        parts = split_text(outbound.text, capabilities.max_text)
        if len(parts) == 1:
            return [outbound]
        if isinstance(outbound, Reply):
            head = [Reply(part) for part in parts[:-1]]
            return [*head, replace(outbound, text=parts[-1])]
        return [*[Reply(part) for part in parts[:-1]], replace(outbound, text=parts[-1])]
    return [outbound]


_TEXT_MESSAGES = (Reply, PhoneRequest, RemoveKeyboard)


def coalesce(messages: list[Outbound], capabilities: Capabilities) -> list[Outbound]:
    """Join each plain text (no buttons of its own) to the text message after it, as one
    paragraph above it, where the two fit the channel's limit.

    "Đã chọn: Xã Xốp" then "Bước 5/7 · …" arrive as one message: one notification on the
    user's phone instead of two, and one platform call instead of two. Documents, and a
    message with its own buttons or keyboard, stay where they are.
    """
    result: list[Outbound] = []
    for message in messages:
        before = result[-1] if result else None
        if (
            isinstance(before, Reply)
            and not before.choices
            and isinstance(message, _TEXT_MESSAGES)
            and len(before.text) + 2 + len(message.text) <= capabilities.max_text
        ):
            result[-1] = replace(message, text=f"{before.text}\n\n{message.text}")
        else:
            result.append(message)
    return result
