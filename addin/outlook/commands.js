/*
 * LeaverGuard for Outlook: the event handlers (OnNewMessageCompose, OnMessageRecipientsChanged, OnMessageSend).
 *
 * One self-contained script for both runtimes: classic Outlook on Windows loads it into its JavaScript-only
 * runtime; Outlook on the web, new Outlook and Outlook on Mac load it from commands.html. Hence no import, no DOM,
 * no Office.onReady, absolute URLs only, and nothing newer than ES2017 (no `?.`, `??` or object spread).
 * The server prepends `var LEAVERGUARD_CONFIG = {...};` when it serves the file (server/web/addin_files.py).
 *
 * Layout: pure helpers (payloads, verdict -> event.completed options, limits, fallback texts, timeouts, the body
 * cut and the content hashes; covered by tests/addin/*.test.js with `node --test`), then the Office.* glue, then
 * Office.actions.associate. Every handler path ends in event.completed. The task pane (taskpane.js) reuses the glue
 * through the `LeaverGuard` global.
 *
 * An answer is one of three things: a verdict (200); a refusal (any 4xx: the message is held with the server's
 * reason, and a 401 offers to sign in again); or an outage (no answer, the deadline, a 5xx, an answer this script
 * cannot read), for which alone the fail mode applies.
 */

var LeaverGuard = (function () {
  "use strict";

  /** Outlook's own limits: Smart Alerts message, notification banner, dialog button text. */
  var LIMITS = { dialog: 500, banner: 150, label: 20 };
  /** Give up on the server well before Outlook's 5-second "taking longer than expected" dialog. */
  var DEFAULT_TIMEOUT_MS = 3500;
  /** The server's body limit (LEAVERGUARD_MAX_BODY_BYTES, baked into the configuration) when none is given. */
  var DEFAULT_BODY_LIMIT = 1000000;
  /**
   * Attachment content hashed per message, in bytes (attachments in order; one that does not fit is left unhashed),
   * and the share of the deadline hashing may take: reading a file through Outlook and hashing it takes time, and
   * the check must still answer within the deadline. What is not hashed is sent by name and size, and said so.
   */
  var HASH_BUDGET_BYTES = 4 * 1024 * 1024;
  var HASH_SHARE = 0.4;
  /**
   * The task pane, which has no deadline, hashes every file in full and keeps each hash in the item's session data
   * (Mailbox 1.11) under this prefix, the attachment's size and id; the send check takes those instead of reading
   * the files again. A file removed and attached again gets a new id, so a swapped file is never taken as cached.
   */
  var HASH_KEY_PREFIX = "leaverguard.sha256:";
  /** The one banner this add-in shows, replaced or removed as recipients change. */
  var BANNER_KEY = "leaverguard";
  /** The icon shown before the banner: a bt:Image id of the XML manifest (server/manifests/outlook_xml.py). */
  var BANNER_ICON = "Icon.16";
  /** The task-pane button's control id in both manifests (the contract with the manifest side). */
  var TASK_PANE_ID = "LeaverGuardTaskPane";
  /** Values of Office.MailboxEnums.SendModeOverride.PromptUser and ItemNotificationMessageType.InformationalMessage. */
  var PROMPT_USER = "promptUser";
  var INFORMATIONAL = "informationalMessage";
  var LANGUAGES = ["en", "es", "ru"];

  /**
   * The only texts the script keeps itself: what to say when the server cannot be asked (everything else, the
   * dialog and banner texts included, comes from the server in the user's language), and the label of the
   * sign-off button, for which the check's answer has no field. Labels stay within Outlook's 20 characters.
   */
  var FALLBACK_TEXTS = {
    en: {
      unavailableOpen:
        "LeaverGuard could not check this message: its server did not answer. If this message goes to a client " +
        "while you are leaving, make sure HR has agreed before you send it anyway.",
      unavailableClosed:
        "LeaverGuard could not check this message, so it has not been sent: its server did not answer. Try again " +
        "in a minute; if it keeps happening, contact your IT helpdesk.",
      signOff: "Request sign-off",
      refused:
        "LeaverGuard could not accept this message for checking, so it has not been sent. Change it and try again, " +
        "or contact your IT helpdesk. LeaverGuard said:",
      signInNeeded:
        "LeaverGuard could not confirm who you are, so this message has not been sent. Select Sign in to sign in " +
        "again, then send it.",
      signIn: "Sign in",
    },
    es: {
      unavailableOpen:
        "LeaverGuard no ha podido revisar este mensaje: su servidor no responde. Si va dirigido a un cliente y " +
        "estás dejando la empresa, asegúrate de que RR. HH. está de acuerdo antes de enviarlo de todos modos.",
      unavailableClosed:
        "LeaverGuard no ha podido revisar este mensaje y no se ha enviado: su servidor no responde. Inténtalo de " +
        "nuevo en un minuto; si sigue ocurriendo, avisa al servicio de informática.",
      signOff: "Pedir aprobación",
      refused:
        "LeaverGuard no ha podido aceptar este mensaje para revisarlo, así que no se ha enviado. Modifícalo y vuelve " +
        "a intentarlo, o avisa al servicio de informática. LeaverGuard indicó:",
      signInNeeded:
        "LeaverGuard no ha podido confirmar tu identidad, así que este mensaje no se ha enviado. Selecciona Iniciar " +
        "sesión para volver a iniciarla y envíalo después.",
      signIn: "Iniciar sesión",
    },
    ru: {
      unavailableOpen:
        "LeaverGuard не смог проверить это письмо: его сервер не отвечает. Если письмо адресовано клиенту, а вы " +
        "увольняетесь, убедитесь, что HR не возражает, прежде чем всё равно отправить его.",
      unavailableClosed:
        "LeaverGuard не смог проверить это письмо, поэтому оно не отправлено: его сервер не отвечает. Повторите " +
        "попытку через минуту; если ошибка повторяется, обратитесь в ИТ-поддержку.",
      signOff: "Согласовать с HR",
      refused:
        "LeaverGuard не смог принять это письмо на проверку, поэтому оно не отправлено. Измените его и попробуйте " +
        "снова или обратитесь в ИТ-поддержку. Ответ LeaverGuard:",
      signInNeeded:
        "LeaverGuard не смог подтвердить, кто вы, поэтому письмо не отправлено. Нажмите «Войти», чтобы войти снова, " +
        "а затем отправьте письмо.",
      signIn: "Войти",
    },
  };

  /**
   * An error the add-in understands: `kind` is office, config (no Entra ID application), auth (no token could be
   * had), unreachable, timeout or rejected (an answer other than 200, with its `status`); `detail` says why.
   */
  function LeaverGuardError(kind, detail, status) {
    this.name = "LeaverGuardError";
    this.kind = kind;
    this.status = status || 0;
    this.detail = detail ? String(detail) : "";
    this.message = kind + (detail ? ": " + detail : "");
  }
  LeaverGuardError.prototype = Object.create(Error.prototype);
  LeaverGuardError.prototype.constructor = LeaverGuardError;

  // --- pure helpers ---------------------------------------------------------------------------------------

  /** The supported language for an Office display language such as "es-ES" or "ru"; English otherwise. */
  function pickLanguage(displayLanguage) {
    var primary = String(displayLanguage || "").split(/[-_]/)[0].toLowerCase();
    return LANGUAGES.indexOf(primary) >= 0 ? primary : "en";
  }

  /** The fallback texts in `language`, English for anything else. */
  function fallbackTexts(language) {
    return FALLBACK_TEXTS[pickLanguage(language)];
  }

  /** `text` cut to at most `limit` characters (UTF-16 units, as Outlook counts), ending in "…" when cut. */
  function truncate(text, limit) {
    var value = text === undefined || text === null ? "" : String(text);
    if (value.length <= limit) return value;
    var cut = value.slice(0, limit - 1);
    if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1); // never leave half a surrogate pair
    return cut.replace(/\s+$/, "") + "…";
  }

  /** `text` with each lone UTF-16 surrogate replaced by U+FFFD: the server refuses JSON that is not text. */
  function wellFormed(text) {
    return String(text).replace(/[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g, function (unit) {
      return unit.length === 2 ? unit : "\ufffd";
    });
  }

  /** Addresses from Office EmailAddressDetails objects (or plain strings): trimmed, blanks dropped. */
  function addressesOf(recipients) {
    var result = [];
    (recipients || []).forEach(function (recipient) {
      var address = typeof recipient === "string" ? recipient : recipient && recipient.emailAddress;
      address = wellFormed(address || "").trim();
      if (address) result.push(address);
    });
    return result;
  }

  /**
   * `{name, size, sha256?}` for each attachment (Office AttachmentDetails), as the server fingerprints them;
   * `hashes[i]` is the content SHA-256 of the i-th, where it could be taken.
   */
  function attachmentsOf(details, hashes) {
    return (details || []).map(function (attachment, index) {
      var name = wellFormed((attachment && attachment.name) || "").trim() || "attachment";
      var size = attachment && attachment.size;
      var entry = { name: name.slice(0, 1000), size: Number.isInteger(size) && size >= 0 ? size : 0 };
      if (hashes && hashes[index]) entry.sha256 = hashes[index];
      return entry;
    });
  }

  /** The UTF-8 encoding of `text` (well-formed), as bytes; TextEncoder is not in every Outlook runtime. */
  function utf8Bytes(text) {
    var bytes = [];
    for (var i = 0; i < text.length; i++) {
      var code = text.codePointAt(i);
      if (code > 0xffff) i++; // the low half of the pair is in `code`
      if (code < 0x80) bytes.push(code);
      else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
      else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
      else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    }
    return new Uint8Array(bytes);
  }

  /** `{text, truncated}`: `text` cut to at most `maxBytes` bytes of UTF-8, never inside a character. */
  function cutText(text, maxBytes) {
    var used = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.codePointAt(i);
      var size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (used + size > maxBytes) return { text: text.slice(0, i), truncated: true };
      used += size;
      if (code > 0xffff) i++;
    }
    return { text: text, truncated: false };
  }

  /** Each Base64 digit's value by its character code (atob is not in every Outlook runtime). */
  var BASE64_VALUES = (function () {
    var values = new Uint8Array(128);
    var digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (var i = 0; i < digits.length; i++) values[digits.charCodeAt(i)] = i;
    return values;
  })();

  /** The bytes of Base64 `text` (whitespace and padding ignored), as Outlook gives a file attachment's content. */
  function base64Bytes(text) {
    var clean = String(text).replace(/[^A-Za-z0-9+/]/g, "");
    var bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
    var length = 0;
    for (var i = 0; i < clean.length; i += 4) {
      var n = 0;
      for (var j = 0; j < 4; j++) n = (n << 6) | (i + j < clean.length ? BASE64_VALUES[clean.charCodeAt(i + j)] : 0);
      var count = Math.min(clean.length - i, 4) - 1;
      for (var k = 0; k < count; k++) bytes[length++] = (n >> (16 - 8 * k)) & 255;
    }
    return bytes.subarray(0, length);
  }

  /** The SHA-256 of `bytes` in lowercase hex (WebCrypto); rejects where this runtime has no crypto.subtle. */
  function sha256Hex(bytes) {
    if (typeof crypto === "undefined" || !crypto || !crypto.subtle || typeof crypto.subtle.digest !== "function") {
      return Promise.reject(new LeaverGuardError("office", "no WebCrypto in this runtime"));
    }
    return Promise.resolve(crypto.subtle.digest("SHA-256", bytes)).then(function (digest) {
      return Array.prototype.map
        .call(new Uint8Array(digest), function (byte) {
          return (byte < 16 ? "0" : "") + byte.toString(16);
        })
        .join("");
    });
  }

  /** The body limit the server baked into the configuration. */
  function bodyLimitOf(config) {
    var limit = Number(config && config.maxBodyBytes);
    return isFinite(limit) && limit > 0 ? Math.floor(limit) : DEFAULT_BODY_LIMIT;
  }

  /** Whether an attachment's content can be read for hashing: files only (cloud and item attachments cannot). */
  function hashable(attachment) {
    var type = attachment && attachment.attachmentType;
    return (type === undefined || type === "file") && Number.isInteger(attachment.size) && attachment.size >= 0;
  }

  /** The session-data key of `attachment`'s cached content hash: its size and Outlook's id for it. */
  function hashKey(attachment) {
    return HASH_KEY_PREFIX + attachment.size + ":" + attachment.id;
  }

  /** Whether the cache may hold a hash for `attachment`: a file Outlook gave an id. */
  function cacheable(attachment) {
    return hashable(attachment) && typeof attachment.id === "string" && attachment.id !== "";
  }

  /** The SHA-256 of an attachment's content, read through `readAttachment(id)`; null when it is not the file. */
  function contentHash(attachment, readAttachment) {
    return Promise.resolve()
      .then(function () {
        return readAttachment(attachment.id);
      })
      .then(function (content) {
        if (!content || content.format !== "base64") return null; // a URL, an .eml or an .ics: not the file
        return sha256Hex(base64Bytes(content.content));
      });
  }

  /** The cached hash of each attachment, by index (null where none): `cache.get` never rejects. */
  function cachedHashes(details, cache) {
    return Promise.all(
      (details || []).map(function (attachment) {
        return cache && cacheable(attachment) ? cache.get(hashKey(attachment)) : null;
      }),
    );
  }

  /**
   * Content SHA-256s of the draft's file attachments, by index, by `deadline` (a time in ms): a hash `cache` (see
   * sessionHashCache; null for none) holds for the attachment's id and size is taken as it is; the others are read
   * through `readAttachment(id)` ({format, content}) and hashed in turn within HASH_BUDGET_BYTES. Never rejects:
   * what cannot be read, hashed or finished in time is left out, and the server is told by its absence.
   */
  function attachmentHashes(details, readAttachment, deadline, cache) {
    var hashes = [];
    var chain = cachedHashes(details, cache).then(function (cached) {
      var budget = HASH_BUDGET_BYTES;
      var reads = Promise.resolve();
      (details || []).forEach(function (attachment, index) {
        if (cached[index]) {
          hashes[index] = cached[index];
          return;
        }
        if (!hashable(attachment) || attachment.size > budget) return;
        budget -= attachment.size;
        reads = reads.then(function () {
          if (Date.now() >= deadline) return null;
          return contentHash(attachment, readAttachment)
            .then(function (hex) {
              if (hex) hashes[index] = hex;
            })
            .catch(function () {
              return null; // e.g. an item dragged in, which Outlook on the web cannot read: unhashed
            });
        });
      });
      return reads;
    });
    var late = new Promise(function (resolve) {
      setTimeout(resolve, Math.max(deadline - Date.now(), 0));
    });
    return Promise.race([chain, late]).then(function () {
      return hashes.slice(); // what was done by the deadline; a late hash no longer changes the answer
    });
  }

  /**
   * The task pane's part: hash every file attachment in full, with no budget or deadline, and keep each hash in
   * `cache` under its id and size, so the send check (attachmentHashes) finds them. Files already cached are not
   * read again. Never rejects: what cannot be read or kept is left to the send check's budget, as before.
   */
  function cacheAttachmentHashes(details, readAttachment, cache) {
    return cachedHashes(details, cache).then(function (cached) {
      var chain = Promise.resolve();
      (details || []).forEach(function (attachment, index) {
        if (cached[index] || !cacheable(attachment)) return;
        chain = chain.then(function () {
          return contentHash(attachment, readAttachment)
            .then(function (hex) {
              return hex ? cache.set(hashKey(attachment), hex) : null;
            })
            .catch(function () {
              return null;
            });
        });
      });
      return chain;
    });
  }

  /**
   * The draft as the payload needs it: the body made well-formed and cut to the server's limit (with the whole
   * body's SHA-256 when cut), and the content hashes of its attachments. Hashing gets HASH_SHARE of the deadline.
   * Never rejects. `deps`: config, readAttachment, and hashCache (cached content hashes) where there is one.
   */
  function digestDraft(draft, deps) {
    var result = {};
    Object.keys(draft).forEach(function (key) {
      result[key] = draft[key];
    });
    var whole = wellFormed(draft.body || "");
    var cut = cutText(whole, bodyLimitOf(deps.config));
    result.body = cut.text;
    result.bodyTruncated = cut.truncated;
    var deadline = Date.now() + timeoutOf(deps.config) * HASH_SHARE;
    var bodyHash = cut.truncated
      ? sha256Hex(utf8Bytes(whole)).then(
          function (hex) {
            result.bodySha256 = hex;
          },
          function () {
            return null; // no crypto here: the server binds the part it reads, and says the body was cut
          },
        )
      : null;
    var files = attachmentHashes(draft.attachments, deps.readAttachment, deadline, deps.hashCache || null);
    files = files.then(function (hashes) {
      result.attachmentHashes = hashes;
    });
    return Promise.all([bodyHash, files]).then(function () {
      return result;
    });
  }

  /** The `client` block of a request: the app, the Outlook platform and the display locale (≤ 100 chars each). */
  function clientBlock(client) {
    return {
      app: "outlook",
      platform: String((client && client.platform) || "").slice(0, 100),
      locale: String((client && client.locale) || "").slice(0, 100),
    };
  }

  /**
   * The message fields shared by the check and the sign-off request, so both fingerprint the same message; a
   * draft through digestDraft carries the body's cut and the attachments' content hashes.
   */
  function messageFields(draft, client) {
    var fields = {
      to: addressesOf(draft.to),
      cc: addressesOf(draft.cc),
      bcc: addressesOf(draft.bcc),
      subject: wellFormed(draft.subject || ""),
      body: wellFormed(draft.body || ""),
      attachments: attachmentsOf(draft.attachments, draft.attachmentHashes),
      client: clientBlock(client),
    };
    if (draft.bodyTruncated) {
      fields.body_truncated = true;
      if (draft.bodySha256) fields.body_sha256 = draft.bodySha256;
    }
    return fields;
  }

  /** The body of POST /api/v1/check: `mode` ("send" or "preview") and the draft's fields. */
  function buildCheckPayload(mode, draft, client) {
    var payload = { mode: mode };
    var fields = messageFields(draft, client);
    Object.keys(fields).forEach(function (key) {
      payload[key] = fields[key];
    });
    return payload;
  }

  /** The body of POST /api/v1/approvals: the check's fields without mode, plus the justification and attestation. */
  function buildApprovalPayload(draft, client, justification, attestation) {
    var payload = messageFields(draft, client);
    payload.justification = String(justification || "").trim();
    payload.attestation = attestation === true;
    return payload;
  }

  /** The server's plain dialog text as Smart Alerts Markdown: the first line, then one bullet per finding. */
  function dialogMarkdown(dialog) {
    var lines = String(dialog || "").split("\n").filter(function (line) {
      return line.trim();
    });
    if (!lines.length) return "";
    var markdown = escapeMarkdown(lines[0]);
    for (var i = 1; i < lines.length; i++) {
      var next = markdown + (i === 1 ? "\n\n" : "") + "- " + escapeMarkdown(lines[i]) + "\r";
      if (next.length > LIMITS.dialog) break; // whole bullets only: a cut escape would show a stray backslash
      markdown = next;
    }
    return markdown.length <= LIMITS.dialog ? markdown : "";
  }

  /** `text` with the characters Smart Alerts Markdown would format escaped by a backslash. */
  function escapeMarkdown(text) {
    return text.replace(/[\\`*_[\]()#<>!|]/g, "\\$&");
  }

  /** A blocked send: the message (plain, and as Markdown where Outlook supports it) plus `extra` options. */
  function held(dialog, extra) {
    var options = { allowEvent: false, errorMessage: truncate(dialog, LIMITS.dialog) };
    var markdown = dialogMarkdown(dialog);
    if (markdown) options.errorMessageMarkdown = markdown;
    Object.keys(extra).forEach(function (key) {
      options[key] = extra[key];
    });
    return options;
  }

  /**
   * event.completed options for the server's answer: allow sends; warn holds with "Send anyway"; require_approval
   * holds with a button that opens the task pane; block holds. null for an answer this script does not know.
   */
  function completedOptionsFor(check, texts) {
    var verdict = check && check.verdict;
    if (verdict === "allow") return { allowEvent: true };
    var dialog = (check && check.dialog) || "";
    if (verdict === "warn") return held(dialog, { sendModeOverride: PROMPT_USER });
    if (verdict === "require_approval") {
      return held(dialog, { cancelLabel: truncate(texts.signOff, LIMITS.label), commandId: TASK_PANE_ID });
    }
    if (verdict === "block") return held(dialog, {});
    return null;
  }

  /**
   * event.completed options for a check that got no verdict: a refusal (4xx) holds the message with the server's
   * reason, a 401 or a token Outlook could not get holds it with a button to sign in again (in the task pane), and
   * only an outage applies the fail mode. No refusal ever offers Send anyway.
   */
  function failureOptions(error, failMode, texts) {
    var status = (error && error.status) || 0;
    if ((error && error.kind === "auth") || status === 401) {
      return {
        allowEvent: false,
        errorMessage: truncate(texts.signInNeeded, LIMITS.dialog),
        cancelLabel: truncate(texts.signIn, LIMITS.label),
        commandId: TASK_PANE_ID,
      };
    }
    if (error && error.kind === "rejected" && status >= 400 && status < 500) {
      var reason = error.detail ? " " + error.detail : "";
      return { allowEvent: false, errorMessage: truncate(texts.refused + reason, LIMITS.dialog) };
    }
    return unavailableOptions(failMode, texts);
  }

  /** event.completed options when the server cannot be asked: a warning the user may send through, or a hold. */
  function unavailableOptions(failMode, texts) {
    if (failMode === "closed") return { allowEvent: false, errorMessage: truncate(texts.unavailableClosed, LIMITS.dialog) };
    return {
      allowEvent: false,
      errorMessage: truncate(texts.unavailableOpen, LIMITS.dialog),
      sendModeOverride: PROMPT_USER,
    };
  }

  /** The notification for a preview answer (≤ 150 chars), or null to remove ours (allow, or nothing to say). */
  function bannerFor(check) {
    if (!check || check.verdict === "allow" || !check.banner) return null;
    return { type: INFORMATIONAL, message: truncate(check.banner, LIMITS.banner), icon: BANNER_ICON, persistent: true };
  }

  /** The configured request timeout in milliseconds, kept between 0.5 s and 4.5 s (Outlook waits 5 s). */
  function timeoutOf(config) {
    var ms = Number(config && config.timeoutMs);
    if (!isFinite(ms) || ms <= 0) return DEFAULT_TIMEOUT_MS;
    return Math.min(Math.max(ms, 500), 4500);
  }

  /** `promise`, or a rejection with LeaverGuardError("timeout") after `ms`; `onTimeout` runs then (e.g. abort). */
  function withTimeout(promise, ms, onTimeout) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        if (onTimeout) onTimeout();
        reject(new LeaverGuardError("timeout", "no answer within " + ms + " ms"));
      }, ms);
      Promise.resolve(promise).then(
        function (value) {
          clearTimeout(timer);
          resolve(value);
        },
        function (error) {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** An absolute API URL: the configured base (the server bakes its own address in) and `path` under /api/v1. */
  function apiUrl(config, path) {
    return String((config && config.apiBase) || "").replace(/\/+$/, "") + "/api/v1" + path;
  }

  /**
   * A JSON request with a deadline. Resolves {status, body} for any HTTP answer (body null when not JSON);
   * rejects LeaverGuardError "unreachable" when no answer came and "timeout" after `timeoutMs`.
   */
  function requestJson(fetchImpl, method, url, headers, body, timeoutMs) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var init = { method: method, headers: headers, cache: "no-store" };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (controller) init.signal = controller.signal;
    var exchange = Promise.resolve()
      .then(function () {
        return fetchImpl(url, init);
      })
      .then(
        function (response) {
          return response.json().then(
            function (data) {
              return { status: response.status, body: data };
            },
            function () {
              return { status: response.status, body: null };
            },
          );
        },
        function (error) {
          throw new LeaverGuardError("unreachable", error && error.message);
        },
      );
    return withTimeout(exchange, timeoutMs, function () {
      if (controller) controller.abort();
    });
  }

  /** POST /api/v1/check for `draft`; resolves the answer, rejects LeaverGuardError for anything but a 200. */
  function checkDraft(mode, draft, deps) {
    return signedIn(deps).then(function (authorization) {
      var headers = { "Content-Type": "application/json", Accept: "application/json", Authorization: authorization };
      var payload = buildCheckPayload(mode, draft, deps.client);
      return requestJson(deps.fetch, "POST", apiUrl(deps.config, "/check"), headers, payload, timeoutOf(deps.config))
        .then(function (answer) {
          if (answer.status !== 200 || !answer.body) throw rejected(answer);
          return answer.body;
        });
    });
  }

  /**
   * The Authorization header from `deps.authorization()`; a failure to get a token is LeaverGuardError("auth")
   * (the user can sign in again), unless it already says what it is (e.g. "config": no application configured).
   */
  function signedIn(deps) {
    return Promise.resolve()
      .then(deps.authorization)
      .catch(function (error) {
        if (error instanceof LeaverGuardError) throw error;
        throw new LeaverGuardError("auth", error && (error.message || error.code));
      });
  }

  /** A LeaverGuardError("rejected") carrying the server's error message and HTTP status. */
  function rejected(answer) {
    var error = answer.body && answer.body.error;
    return new LeaverGuardError("rejected", (error && error.message) || "HTTP " + answer.status, answer.status);
  }

  /**
   * The whole draft, its body cut and its attachments hashed, ready for a payload. `deps` as for sendDecision;
   * with `deps.hashAll` (the task pane) every file is first hashed in full into `deps.hashCache`, and the draft is
   * then digested exactly as the send check will digest it, so a sign-off binds what the send check sends.
   */
  function readMessage(deps) {
    return Promise.resolve()
      .then(function () {
        return deps.readDraft(true);
      })
      .then(function (draft) {
        if (!deps.hashAll || !deps.hashCache) return draft;
        return cacheAttachmentHashes(draft.attachments, deps.readAttachment, deps.hashCache).then(function () {
          return draft;
        });
      })
      .then(function (draft) {
        return digestDraft(draft, deps);
      });
  }

  /**
   * The event.completed options for sending the current draft: the server's verdict; a hold for a refusal; the
   * fail mode when no answer can be had in time. Never rejects. `deps`: config, language, client, readDraft,
   * readAttachment, authorization, fetch.
   */
  function sendDecision(deps) {
    var texts = fallbackTexts(deps.language);
    var decided = readMessage(deps).then(function (draft) {
      return checkDraft("send", draft, deps);
    });
    return withTimeout(decided, timeoutOf(deps.config)).then(
      function (check) {
        return completedOptionsFor(check, texts) || unavailableOptions(deps.config.failMode, texts);
      },
      function (error) {
        return failureOptions(error, deps.config.failMode, texts);
      },
    );
  }

  /**
   * The banner for the current recipients (a preview check that sends no subject or body), or null to remove it.
   * Rejects when the server cannot be asked; the caller then leaves the banner as it was.
   */
  function previewBanner(deps) {
    var checked = Promise.resolve()
      .then(function () {
        return deps.readDraft(false);
      })
      .then(function (draft) {
        return checkDraft("preview", draft, deps);
      });
    return withTimeout(checked, timeoutOf(deps.config)).then(bannerFor);
  }

  // --- Office glue: everything below touches Office.*, OfficeRuntime.* or msal.* ----------------------------

  /** The configuration the server baked into this script (an empty one when there is none). */
  function runtimeConfig() {
    return typeof LEAVERGUARD_CONFIG === "object" && LEAVERGUARD_CONFIG ? LEAVERGUARD_CONFIG : {};
  }

  /** Office's callback API as a promise: `target[method](...args, callback)` -> the result's value. */
  function officeCall(target, method) {
    var args = Array.prototype.slice.call(arguments, 2);
    return new Promise(function (resolve, reject) {
      target[method].apply(
        target,
        args.concat(function (result) {
          if (result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
          else reject(new LeaverGuardError("office", result.error && result.error.message));
        }),
      );
    });
  }

  /**
   * The draft being composed: recipients always; subject, plain-text body and attachments when `withContent`.
   */
  function readDraft(withContent) {
    var item = Office.context.mailbox.item;
    var reads = [officeCall(item.to, "getAsync"), officeCall(item.cc, "getAsync"), officeCall(item.bcc, "getAsync")];
    if (withContent) {
      reads.push(officeCall(item.subject, "getAsync"));
      reads.push(officeCall(item.body, "getAsync", Office.CoercionType.Text));
      reads.push(typeof item.getAttachmentsAsync === "function" ? officeCall(item, "getAttachmentsAsync") : []);
    }
    return Promise.all(reads).then(function (values) {
      return { to: values[0], cc: values[1], bcc: values[2], subject: values[3], body: values[4], attachments: values[5] };
    });
  }

  /** An attachment's content ({format, content}) through Mailbox 1.8's getAttachmentContentAsync. */
  function readAttachment(id) {
    var item = Office.context.mailbox.item;
    if (typeof item.getAttachmentContentAsync !== "function") {
      return Promise.reject(new LeaverGuardError("office", "getAttachmentContentAsync is not available"));
    }
    return officeCall(item, "getAttachmentContentAsync", id);
  }

  /**
   * The item's session data (Mailbox 1.11, compose mode, shared by the task pane and the event handlers) as a hash
   * cache: get(key) resolves a hex SHA-256 or null and never rejects; set(key, hex) resolves once kept or not.
   * null where this Outlook has no session data: hashing then works as it did without it.
   */
  function sessionHashCache() {
    var item = Office.context.mailbox.item;
    var store = item && item.sessionData;
    if (!store || typeof store.getAsync !== "function" || typeof store.setAsync !== "function") return null;
    return {
      get: function (key) {
        return officeCall(store, "getAsync", key).then(
          function (value) {
            return typeof value === "string" && /^[0-9a-f]{64}$/.test(value) ? value : null;
          },
          function () {
            return null; // not cached, or session data is unavailable here (e.g. Outlook on mobile)
          },
        );
      },
      set: function (key, hex) {
        return officeCall(store, "setAsync", key, hex).catch(function () {
          return null; // e.g. the 50,000 characters per add-in and item are used up: not cached
        });
      },
    };
  }

  var naa = null; // {library, clientId, client}: msal's nestable client, made once per runtime and application

  /**
   * An access token through nested app authentication, or null when MSAL is not loaded here (the JavaScript-only
   * runtime never loads it) or NAA fails. Interactive only in the task pane: event handlers may show no UI.
   */
  function naaToken(entra, interactive) {
    if (typeof msal === "undefined" || typeof msal.createNestablePublicClientApplication !== "function") {
      return Promise.resolve(null);
    }
    try {
      if (!naa || naa.library !== msal || naa.clientId !== entra.clientId) {
        var client = msal.createNestablePublicClientApplication({
          auth: { clientId: entra.clientId, authority: entra.authority },
        });
        naa = { library: msal, clientId: entra.clientId, client: client };
      }
    } catch (error) {
      return Promise.resolve(null); // e.g. a runtime without window.location or crypto
    }
    var request = { scopes: [entra.scope] };
    return naa.client
      .then(function (pca) {
        return pca.acquireTokenSilent(request).catch(function (silentError) {
          if (!interactive) throw silentError;
          return pca.acquireTokenPopup(request);
        });
      })
      .then(
        function (result) {
          return result.accessToken;
        },
        function () {
          naa = null; // try afresh next time
          return null;
        },
      );
  }

  /** An Entra ID access token for the LeaverGuard API: NAA first, then Office SSO (OfficeRuntime.auth). */
  function accessToken(config, interactive) {
    var entra = config.entra || {};
    if (!entra.clientId || !entra.scope) {
      return Promise.reject(new LeaverGuardError("config", "no Entra ID application is configured on the server"));
    }
    return naaToken(entra, interactive).then(function (token) {
      if (token) return token;
      return OfficeRuntime.auth.getAccessToken({ allowSignInPrompt: !!interactive, allowConsentPrompt: !!interactive });
    });
  }

  /** The Authorization header: `Dev <address>` in development, otherwise `Bearer <Entra ID access token>`. */
  function authorization(config, interactive) {
    if (config.devAuth) return Promise.resolve("Dev " + Office.context.mailbox.userProfile.emailAddress);
    return accessToken(config, interactive).then(function (token) {
      return "Bearer " + token;
    });
  }

  /** Office's display language ("es-ES"), or "" when Office cannot tell. */
  function displayLanguage() {
    try {
      return Office.context.displayLanguage || "";
    } catch (error) {
      return "";
    }
  }

  /** Where the add-in runs, for the audit (Office.context.diagnostics.platform: PC, Mac, OfficeOnline, …). */
  function platformName() {
    var diagnostics = Office.context.diagnostics;
    return diagnostics && diagnostics.platform ? String(diagnostics.platform) : "";
  }

  /** The dependencies of sendDecision/previewBanner in a real Outlook (`interactive` only in the task pane). */
  function officeDeps(interactive) {
    var config = runtimeConfig();
    return {
      config: config,
      language: pickLanguage(displayLanguage()),
      client: { platform: platformName(), locale: displayLanguage() },
      readDraft: readDraft,
      readAttachment: readAttachment,
      hashCache: sessionHashCache(),
      authorization: function () {
        return authorization(config, interactive);
      },
      fetch: function (url, init) {
        return fetch(url, init);
      },
    };
  }

  var previewSequence = 0; // recipients change quickly: only the latest preview may set the banner

  /** Show, replace or remove our banner for the current recipients; resolves when done (never rejects). */
  function refreshBanner() {
    var mine = ++previewSequence;
    return Promise.resolve()
      .then(function () {
        return previewBanner(officeDeps(false));
      })
      .then(function (banner) {
        if (mine !== previewSequence) return null;
        var messages = Office.context.mailbox.item.notificationMessages;
        if (banner) return officeCall(messages, "replaceAsync", BANNER_KEY, banner);
        return officeCall(messages, "removeAsync", BANNER_KEY).catch(function () {
          return null; // there was no banner to remove
        });
      })
      .catch(function () {
        return null; // no answer: leave the banner as it was; the send check decides
      });
  }

  /** OnNewMessageCompose: a reply or forward may start with client recipients, so preview at once. */
  function onNewMessageComposeHandler(event) {
    refreshBanner().then(function () {
      event.completed();
    });
  }

  /** OnMessageRecipientsChanged: preview the new recipients and update the banner. */
  function onMessageRecipientsChangedHandler(event) {
    refreshBanner().then(function () {
      event.completed();
    });
  }

  /** OnMessageSend: ask the server and complete with its verdict, or with the fail mode. */
  function onMessageSendHandler(event) {
    var fallback = unavailableOptions(runtimeConfig().failMode, fallbackTexts(displayLanguage()));
    var decision;
    try {
      decision = sendDecision(officeDeps(false));
    } catch (error) {
      decision = Promise.resolve(fallback); // Office itself misbehaved: still complete the event
    }
    decision.then(
      function (options) {
        event.completed(options);
      },
      function () {
        event.completed(fallback);
      },
    );
  }

  return {
    LIMITS: LIMITS,
    DEFAULT_TIMEOUT_MS: DEFAULT_TIMEOUT_MS,
    DEFAULT_BODY_LIMIT: DEFAULT_BODY_LIMIT,
    HASH_BUDGET_BYTES: HASH_BUDGET_BYTES,
    BANNER_KEY: BANNER_KEY,
    TASK_PANE_ID: TASK_PANE_ID,
    PROMPT_USER: PROMPT_USER,
    FALLBACK_TEXTS: FALLBACK_TEXTS,
    LeaverGuardError: LeaverGuardError,
    pickLanguage: pickLanguage,
    fallbackTexts: fallbackTexts,
    truncate: truncate,
    wellFormed: wellFormed,
    addressesOf: addressesOf,
    attachmentsOf: attachmentsOf,
    utf8Bytes: utf8Bytes,
    cutText: cutText,
    base64Bytes: base64Bytes,
    sha256Hex: sha256Hex,
    hashKey: hashKey,
    attachmentHashes: attachmentHashes,
    cacheAttachmentHashes: cacheAttachmentHashes,
    digestDraft: digestDraft,
    buildCheckPayload: buildCheckPayload,
    buildApprovalPayload: buildApprovalPayload,
    dialogMarkdown: dialogMarkdown,
    completedOptionsFor: completedOptionsFor,
    failureOptions: failureOptions,
    unavailableOptions: unavailableOptions,
    bannerFor: bannerFor,
    timeoutOf: timeoutOf,
    withTimeout: withTimeout,
    apiUrl: apiUrl,
    requestJson: requestJson,
    checkDraft: checkDraft,
    readMessage: readMessage,
    sendDecision: sendDecision,
    previewBanner: previewBanner,
    runtimeConfig: runtimeConfig,
    readDraft: readDraft,
    readAttachment: readAttachment,
    sessionHashCache: sessionHashCache,
    authorization: authorization,
    officeDeps: officeDeps,
    refreshBanner: refreshBanner,
    onNewMessageComposeHandler: onNewMessageComposeHandler,
    onMessageRecipientsChangedHandler: onMessageRecipientsChangedHandler,
    onMessageSendHandler: onMessageSendHandler,
  };
})();

// The manifests name these handlers (LaunchEvent FunctionName / autoRunEvents actionId).
if (typeof Office !== "undefined" && Office.actions && typeof Office.actions.associate === "function") {
  Office.actions.associate("onNewMessageComposeHandler", LeaverGuard.onNewMessageComposeHandler);
  Office.actions.associate("onMessageRecipientsChangedHandler", LeaverGuard.onMessageRecipientsChangedHandler);
  Office.actions.associate("onMessageSendHandler", LeaverGuard.onMessageSendHandler);
}

// For `node --test` only; Outlook's runtimes have no `module`.
if (typeof module === "object" && module.exports) module.exports = LeaverGuard;
