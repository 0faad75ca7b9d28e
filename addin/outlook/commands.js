/*
 * LeaverGuard for Outlook: the event handlers (OnNewMessageCompose, OnMessageRecipientsChanged, OnMessageSend).
 *
 * One self-contained script for both runtimes: classic Outlook on Windows loads it into its JavaScript-only
 * runtime; Outlook on the web, new Outlook and Outlook on Mac load it from commands.html. Hence no import, no DOM,
 * no Office.onReady, absolute URLs only, and nothing newer than ES2017 (no `?.`, `??` or object spread).
 * The server prepends `var LEAVERGUARD_CONFIG = {...};` when it serves the file (server/web/addin_files.py).
 *
 * Layout: pure helpers (payloads, verdict -> event.completed options, limits, fallback texts, timeouts; covered by
 * tests/addin/*.test.js with `node --test`), then the Office.* glue, then Office.actions.associate. Every handler
 * path ends in event.completed. The task pane (taskpane.js) reuses the glue through the `LeaverGuard` global.
 */

var LeaverGuard = (function () {
  "use strict";

  /** Outlook's own limits: Smart Alerts message, notification banner, dialog button text. */
  var LIMITS = { dialog: 500, banner: 150, label: 20 };
  /** Give up on the server well before Outlook's 5-second "taking longer than expected" dialog. */
  var DEFAULT_TIMEOUT_MS = 3500;
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
    },
    es: {
      unavailableOpen:
        "LeaverGuard no ha podido revisar este mensaje: su servidor no responde. Si va dirigido a un cliente y " +
        "estás dejando la empresa, asegúrate de que RR. HH. está de acuerdo antes de enviarlo de todos modos.",
      unavailableClosed:
        "LeaverGuard no ha podido revisar este mensaje y no se ha enviado: su servidor no responde. Inténtalo de " +
        "nuevo en un minuto; si sigue ocurriendo, avisa al servicio de informática.",
      signOff: "Pedir aprobación",
    },
    ru: {
      unavailableOpen:
        "LeaverGuard не смог проверить это письмо: его сервер не отвечает. Если письмо адресовано клиенту, а вы " +
        "увольняетесь, убедитесь, что HR не возражает, прежде чем всё равно отправить его.",
      unavailableClosed:
        "LeaverGuard не смог проверить это письмо, поэтому оно не отправлено: его сервер не отвечает. Повторите " +
        "попытку через минуту; если ошибка повторяется, обратитесь в ИТ-поддержку.",
      signOff: "Согласовать с HR",
    },
  };

  /** An error the add-in understands: `kind` is office, auth, unreachable, timeout or rejected (a non-2xx answer). */
  function LeaverGuardError(kind, detail, status) {
    this.name = "LeaverGuardError";
    this.kind = kind;
    this.status = status || 0;
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

  /** Addresses from Office EmailAddressDetails objects (or plain strings): trimmed, blanks dropped. */
  function addressesOf(recipients) {
    var result = [];
    (recipients || []).forEach(function (recipient) {
      var address = typeof recipient === "string" ? recipient : recipient && recipient.emailAddress;
      address = String(address || "").trim();
      if (address) result.push(address);
    });
    return result;
  }

  /** `{name, size}` for each attachment (Office AttachmentDetails), as the server fingerprints them. */
  function attachmentsOf(details) {
    return (details || []).map(function (attachment) {
      var name = String((attachment && attachment.name) || "").trim() || "attachment";
      var size = attachment && attachment.size;
      return { name: name.slice(0, 1000), size: Number.isInteger(size) && size >= 0 ? size : 0 };
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

  /** The message fields shared by the check and the sign-off request, so both fingerprint the same message. */
  function messageFields(draft, client) {
    return {
      to: addressesOf(draft.to),
      cc: addressesOf(draft.cc),
      bcc: addressesOf(draft.bcc),
      subject: String(draft.subject || ""),
      body: String(draft.body || ""),
      attachments: attachmentsOf(draft.attachments),
      client: clientBlock(client),
    };
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
    return Promise.resolve(deps.authorization()).then(function (authorization) {
      var headers = { "Content-Type": "application/json", Accept: "application/json", Authorization: authorization };
      var payload = buildCheckPayload(mode, draft, deps.client);
      return requestJson(deps.fetch, "POST", apiUrl(deps.config, "/check"), headers, payload, timeoutOf(deps.config))
        .then(function (answer) {
          if (answer.status !== 200 || !answer.body) throw rejected(answer);
          return answer.body;
        });
    });
  }

  /** A LeaverGuardError("rejected") carrying the server's error message and HTTP status. */
  function rejected(answer) {
    var error = answer.body && answer.body.error;
    return new LeaverGuardError("rejected", (error && error.message) || "HTTP " + answer.status, answer.status);
  }

  /**
   * The event.completed options for sending the current draft: the server's verdict, or the fail mode when it
   * cannot be had in time. Never rejects. `deps`: config, language, client, readDraft, authorization, fetch.
   */
  function sendDecision(deps) {
    var texts = fallbackTexts(deps.language);
    var decided = Promise.resolve()
      .then(function () {
        return deps.readDraft(true);
      })
      .then(function (draft) {
        return checkDraft("send", draft, deps);
      });
    return withTimeout(decided, timeoutOf(deps.config)).then(
      function (check) {
        return completedOptionsFor(check, texts) || unavailableOptions(deps.config.failMode, texts);
      },
      function () {
        return unavailableOptions(deps.config.failMode, texts);
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
      return Promise.reject(new LeaverGuardError("auth", "no Entra ID application is configured on the server"));
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
    BANNER_KEY: BANNER_KEY,
    TASK_PANE_ID: TASK_PANE_ID,
    PROMPT_USER: PROMPT_USER,
    FALLBACK_TEXTS: FALLBACK_TEXTS,
    LeaverGuardError: LeaverGuardError,
    pickLanguage: pickLanguage,
    fallbackTexts: fallbackTexts,
    truncate: truncate,
    addressesOf: addressesOf,
    attachmentsOf: attachmentsOf,
    buildCheckPayload: buildCheckPayload,
    buildApprovalPayload: buildApprovalPayload,
    dialogMarkdown: dialogMarkdown,
    completedOptionsFor: completedOptionsFor,
    unavailableOptions: unavailableOptions,
    bannerFor: bannerFor,
    timeoutOf: timeoutOf,
    withTimeout: withTimeout,
    apiUrl: apiUrl,
    requestJson: requestJson,
    checkDraft: checkDraft,
    sendDecision: sendDecision,
    previewBanner: previewBanner,
    runtimeConfig: runtimeConfig,
    readDraft: readDraft,
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
