"""What the Gmail add-on's cards say, in en, es and ru.

`text(lang, key, **params)` looks in the Gmail texts first, then in the Outlook task
pane's (addin_texts), so a sentence both add-ins say is written once. Gmail has its own
where Outlook's would not be true in Gmail: there is no send-time check, so nothing
here promises a prompt "when you send", and an approval does not release anything.

Pure: stdlib only; must not import Flask, SQLAlchemy or the network.
"""

from __future__ import annotations

from .addin_texts import TEXTS as ADDIN_TEXTS

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subtitle": "Checks who this message goes to",
        "verdictWarn": "Please make sure this is business as usual before you send it.",
        "verdictRequireApproval": "HR must sign off this message before you send it.",
        "gmailNote": "LeaverGuard sees only the recipients, not your text. Press Check again after changing them.",
        "noRecipients": "Add recipients, then press Check again.",
        "requestButton": "Request HR sign-off",
        "successorButton": "Add my successor in Cc",
        "signoffNote": "HR sees the recipients and your reason. A sign-off is for exactly these recipients.",
        "statusPending": "Waiting for HR. Press Check again to see their decision.",
        "statusApproved": "HR signed off mail to exactly these recipients. If your company holds such mail for"
        " review, the reviewer sees HR's decision.",
        "requestSent": "Your request went to HR.",
        "successorAdded": "{successor} is now in Cc.",
        "noSuccessor": "No successor is on record for you.",
        "homepage": "Open LeaverGuard from the message you are writing to see whether it needs care or HR sign-off.",
        "homepageLeaving": "You are leaving the company: mail to clients may need HR sign-off.",
        "homepageColleague": "LeaverGuard has nothing to say about your mail.",
        "draftUnread": "Gmail sent LeaverGuard more than it can read. Remove recipients, then try again.",
        "formUnread": "Gmail sent LeaverGuard more than it can read. Write a shorter justification or remove"
        " recipients, then try again.",
        "moreRecipients": "… and {count} more",
        "class.client_recipient": "Client",
        "class.own_personal_address": "Your personal address",
        "class.webmail_recipient": "Personal webmail",
        "class.external_recipient": "Outside the company",
        "class.internal_recipient": "Colleague",
        "verdict.warn": "needs care",
        "verdict.require_approval": "needs HR sign-off",
        "verdict.block": "may not receive this",
    },
    "es": {
        "subtitle": "Revisa a quién va este mensaje",
        "verdictWarn": "Asegúrate de que es un mensaje habitual de trabajo antes de enviarlo.",
        "verdictRequireApproval": "RR. HH. debe aprobar este mensaje antes de que lo envíes.",
        "gmailNote": "LeaverGuard solo ve los destinatarios, no tu texto. Pulsa Revisar de nuevo si los cambias.",
        "noRecipients": "Añade destinatarios y pulsa Revisar de nuevo.",
        "requestButton": "Pedir la aprobación de RR. HH.",
        "successorButton": "Añadir a mi sucesor en CC",
        "signoffNote": "RR. HH. ve los destinatarios y tu motivo. La aprobación vale solo para estos destinatarios.",
        "statusPending": "Esperando a RR. HH. Pulsa Revisar de nuevo para ver su decisión.",
        "statusApproved": "RR. HH. aprobó el correo a exactamente estos destinatarios. Si tu empresa retiene este"
        " correo para revisarlo, quien lo revise verá la decisión de RR. HH.",
        "requestSent": "Tu solicitud se ha enviado a RR. HH.",
        "successorAdded": "{successor} está ahora en CC.",
        "noSuccessor": "No consta ningún sucesor tuyo.",
        "homepage": "Abre LeaverGuard desde el mensaje que estás escribiendo para ver si requiere atención o la"
        " aprobación de RR. HH.",
        "homepageLeaving": "Vas a dejar la empresa: el correo a clientes puede necesitar la aprobación de RR. HH.",
        "homepageColleague": "LeaverGuard no tiene nada que decir sobre tu correo.",
        "draftUnread": "Gmail envió a LeaverGuard más de lo que puede leer. Quita destinatarios y vuelve a intentarlo.",
        "formUnread": "Gmail envió a LeaverGuard más de lo que puede leer. Escribe una justificación más corta o"
        " quita destinatarios y vuelve a intentarlo.",
        "moreRecipients": "… y {count} más",
        "class.client_recipient": "Cliente",
        "class.own_personal_address": "Tu dirección personal",
        "class.webmail_recipient": "Correo web personal",
        "class.external_recipient": "Externo a la empresa",
        "class.internal_recipient": "Compañero",
        "verdict.warn": "requiere atención",
        "verdict.require_approval": "requiere la aprobación de RR. HH.",
        "verdict.block": "no puede recibir este mensaje",
    },
    "ru": {
        "subtitle": "Проверяет, кому уходит письмо",
        "verdictWarn": "Перед отправкой убедитесь, что это обычное рабочее письмо.",
        "verdictRequireApproval": "Перед отправкой это письмо должен согласовать HR.",
        "gmailNote": "LeaverGuard видит только адресатов, а не текст. Изменив их, нажмите «Проверить снова».",
        "noRecipients": "Добавьте адресатов и нажмите «Проверить снова».",
        "requestButton": "Запросить согласование HR",
        "successorButton": "Добавить преемника в копию",
        "signoffNote": "HR увидит адресатов и ваше обоснование. Согласование действует только для этих адресатов.",
        "statusPending": "Ждём решения HR. Нажмите «Проверить снова», чтобы увидеть решение.",
        "statusApproved": "HR согласовал письмо именно этим адресатам. Если компания задерживает такие письма"
        " на проверку, проверяющий увидит решение HR.",
        "requestSent": "Запрос отправлен в HR.",
        "successorAdded": "{successor} теперь в копии.",
        "noSuccessor": "Преемник для вас не указан.",
        "homepage": "Откройте LeaverGuard из письма, которое пишете, чтобы узнать, нужно ли внимание или"
        " согласование HR.",
        "homepageLeaving": "Вы увольняетесь: письмам клиентам может понадобиться согласование HR.",
        "homepageColleague": "У LeaverGuard нет замечаний к вашей почте.",
        "draftUnread": "Gmail передал LeaverGuard больше, чем он может прочитать. Уберите часть адресатов"
        " и попробуйте снова.",
        "formUnread": "Gmail передал LeaverGuard больше, чем он может прочитать. Сократите обоснование или"
        " уберите часть адресатов и попробуйте снова.",
        "moreRecipients": "… и ещё {count}",
        "class.client_recipient": "Клиент",
        "class.own_personal_address": "Ваш личный адрес",
        "class.webmail_recipient": "Личная веб-почта",
        "class.external_recipient": "Внешний адресат",
        "class.internal_recipient": "Коллега",
        "verdict.warn": "требует внимания",
        "verdict.require_approval": "нужно согласование HR",
        "verdict.block": "писать нельзя",
    },
}


def text(lang: str, key: str, **params: object) -> str:
    """The sentence `key` in `lang` (en when unknown), Gmail's own first, then the Outlook pane's."""
    language = lang if lang in TEXTS else "en"
    template = TEXTS[language].get(key) or ADDIN_TEXTS[language][key]
    return template.format(**params) if params else template
