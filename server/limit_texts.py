"""What the user reads about the findings of server/limits.py (what the check could not read), in en, es and ru.

`{consequence}` is the verdict's sentence from messages.py (an admin may have replaced it); `{recipients}`,
`{count}`, `{limit}` and `{attachments}` come from the finding. messages.finding_message fills them in.
Pure: stdlib only; must not import Flask, SQLAlchemy or the network.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "unreadable_recipient": (
            "Addresses LeaverGuard cannot read, which may be a client's: {recipients}. {consequence}"
        ),
        "too_many_recipients": (
            "{count} recipients, more than the {limit} LeaverGuard checks one by one; the rest may be clients. "
            "{consequence}"
        ),
        "too_many_attachments": "{count} attachments, more than the {limit} LeaverGuard checks. {consequence}",
        "body_truncated": "The text is longer than LeaverGuard reads: only its beginning was checked. {consequence}",
        "attachment_unhashed": (
            "LeaverGuard could not read these attachments, so a sign-off covers only their names and sizes: "
            "{attachments}."
        ),
        "message_too_large": (
            "This message is too large for LeaverGuard to read, so it cannot be sent as it is. Send it with fewer "
            "recipients or a shorter text."
        ),
    },
    "es": {
        "unreadable_recipient": (
            "Direcciones que LeaverGuard no puede leer y que pueden ser de un cliente: {recipients}. {consequence}"
        ),
        "too_many_recipients": (
            "{count} destinatarios, más de los {limit} que LeaverGuard revisa uno a uno; el resto pueden ser "
            "clientes. {consequence}"
        ),
        "too_many_attachments": "{count} adjuntos, más de los {limit} que LeaverGuard revisa. {consequence}",
        "body_truncated": "El texto es más largo de lo que LeaverGuard lee: solo se revisó el principio. {consequence}",
        "attachment_unhashed": (
            "LeaverGuard no pudo leer estos adjuntos, así que una aprobación solo cubre sus nombres y tamaños: "
            "{attachments}."
        ),
        "message_too_large": (
            "Este mensaje es demasiado grande para que LeaverGuard lo lea, así que no se puede enviar tal cual. "
            "Envíalo con menos destinatarios o con un texto más corto."
        ),
    },
    "ru": {
        "unreadable_recipient": (
            "Адреса, которые LeaverGuard не может прочитать и которые могут принадлежать клиенту: {recipients}. "
            "{consequence}"
        ),
        "too_many_recipients": (
            "{count} адресатов — больше, чем {limit}, которых LeaverGuard проверяет по одному; среди остальных могут "
            "быть клиенты. {consequence}"
        ),
        "too_many_attachments": "{count} вложений — больше, чем {limit}, которые проверяет LeaverGuard. {consequence}",
        "body_truncated": "Текст длиннее, чем читает LeaverGuard: проверено только его начало. {consequence}",
        "attachment_unhashed": (
            "LeaverGuard не смог прочитать эти вложения, поэтому согласование относится только к их именам "
            "и размерам: {attachments}."
        ),
        "message_too_large": (
            "Это письмо слишком велико, чтобы LeaverGuard мог его прочитать, поэтому отправить его в таком виде "
            "нельзя. Отправьте его меньшему числу адресатов или с более коротким текстом."
        ),
    },
}
