/*
 * LeaverGuard task pane: the findings for the current draft (a preview check), the HR sign-off request
 * (POST /api/v1/approvals) and its live state (GET /api/v1/approvals/<id>, polled until decided).
 *
 * Reuses commands.js (loaded first) through the `LeaverGuard` global for reading the draft, payloads, tokens and
 * requests, so the sign-off request fingerprints exactly the message the send check sees. The server prepends
 * `var LEAVERGUARD_TEXTS = {...};` (the pane's words in en, es and ru); findings and HR's comment are the
 * server's own text. Everything is written with textContent: nothing from the server is parsed as HTML.
 */
(function () {
  "use strict";

  var TEXTS = typeof LEAVERGUARD_TEXTS === "object" && LEAVERGUARD_TEXTS ? LEAVERGUARD_TEXTS : {};
  var REQUEST_TIMEOUT_MS = 10000; // the pane is not on Outlook's 5-second send clock
  var MAX_JUSTIFICATION = 2000;
  var FINAL = ["approved", "rejected", "expired", "consumed"];
  var MAY_REQUEST = ["none", "rejected", "expired"];
  var VERDICT_TEXT = {
    allow: "verdictAllow",
    warn: "verdictWarn",
    require_approval: "verdictRequireApproval",
    block: "verdictBlock",
  };
  var STATUS_TEXT = {
    pending: "statusPending",
    approved: "statusApproved",
    rejected: "statusRejected",
    expired: "statusExpired",
    consumed: "statusConsumed",
  };

  var state = { language: "en", verdict: null, approval: null, pollTimer: null, pollDelay: 0 };

  /** The text for `key` in the pane's language, else English, else the key itself. */
  function t(key) {
    var table = TEXTS[state.language] || {};
    return table[key] || (TEXTS.en || {})[key] || key;
  }

  /** The element with id `id`. */
  function byId(id) {
    return document.getElementById(id);
  }

  /** Put the server's texts into every element marked data-text, and the language on the page. */
  function applyTexts() {
    document.documentElement.lang = state.language;
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (element) {
      element.textContent = t(element.getAttribute("data-text"));
    });
  }

  /**
   * The dependencies commands.js needs, allowed to show a sign-in (the pane is interactive), and hashing every
   * file in full into the item's session data (the pane has no send deadline), for the send check to reuse.
   */
  function deps() {
    var d = LeaverGuard.officeDeps(true);
    d.hashAll = true;
    return d;
  }

  /** An authenticated JSON request to the LeaverGuard API; resolves {status, body}. */
  function api(method, path, body) {
    var d = deps();
    var signedIn = Promise.resolve()
      .then(d.authorization)
      .catch(function (error) {
        throw new LeaverGuard.LeaverGuardError("auth", error && error.message);
      });
    return signedIn.then(function (authorization) {
      var headers = { Accept: "application/json", Authorization: authorization };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return LeaverGuard.requestJson(d.fetch, method, LeaverGuard.apiUrl(d.config, path), headers, body, REQUEST_TIMEOUT_MS);
    });
  }

  /** The user-facing sentence for a failed request (no answer, or an error answer). */
  function problemText(error, answer) {
    if (error && error.kind === "auth") return t("errorAuth");
    if (!answer) return t("errorUnreachable");
    var code = answer.body && answer.body.error && answer.body.error.code;
    if (answer.status === 401) return t("errorAuth");
    if (code === "approval_not_needed") return t("errorNotNeeded");
    if (code === "approval_cannot_lift_block") return t("errorCannotLift");
    if (code === "approvals_not_configured") return t("errorNoApprovers");
    // An hourly sign-off limit: the server's sentence is in the user's language and says when to ask again.
    if (answer.status === 429) {
      return (answer.body && answer.body.error && answer.body.error.message) || t("errorTooMany");
    }
    if (answer.status === 400 || answer.status === 413) return t("errorInvalid") + " " + serverMessage(answer);
    return t("errorUnreachable");
  }

  /** The server's error message and the fields it names, as one line. */
  function serverMessage(answer) {
    var error = (answer.body && answer.body.error) || {};
    var fields = (error.details || []).map(function (detail) {
      return detail.field + ": " + detail.problem;
    });
    return [error.message || ""].concat(fields).join("; ");
  }

  // --- the draft and its findings ------------------------------------------------------------------------

  /** Check the current draft (preview: nothing is audited) and show what the server found. */
  function refresh() {
    byId("pane").setAttribute("aria-busy", "true");
    byId("verdict").textContent = t("loading");
    return LeaverGuard.readMessage(deps()) // the body cut and attachments hashed as the send check will
      .then(function (draft) {
        return LeaverGuard.checkDraft("preview", draft, deps());
      })
      .then(showCheck, function (error) {
        byId("verdict").textContent = checkProblem(error);
      })
      .then(function () {
        byId("pane").setAttribute("aria-busy", "false");
      });
  }

  /** Why the check gave no verdict: sign-in trouble, a refusal with the server's reason, or no answer. */
  function checkProblem(error) {
    var status = (error && error.status) || 0;
    if ((error && error.kind === "auth") || status === 401) return t("errorAuth");
    if (error && error.kind === "rejected" && status >= 400 && status < 500) {
      return t("errorInvalid") + " " + error.detail;
    }
    return t("errorUnreachable");
  }

  /** Show the verdict and findings; pick up a sign-off request the server already has for this message. */
  function showCheck(check) {
    state.verdict = check.verdict;
    byId("verdict").textContent = t(VERDICT_TEXT[check.verdict] || "verdictBlock");
    var list = byId("findings");
    list.textContent = "";
    (check.findings || []).forEach(function (finding) {
      var item = document.createElement("li");
      item.className = "finding finding-" + finding.verdict;
      item.textContent = finding.message;
      list.appendChild(item);
    });
    var known = check.approval && check.approval.id ? check.approval : null;
    if (known) return loadApproval(known.id);
    showApproval(null);
    return null;
  }

  // --- the sign-off request ------------------------------------------------------------------------------

  /** Fetch a sign-off request by id and show it (polling while pending). */
  function loadApproval(id) {
    return api("GET", "/approvals/" + encodeURIComponent(id)).then(
      function (answer) {
        if (answer.status === 200 && answer.body && answer.body.approval) showApproval(answer.body.approval);
        else showApproval(null);
      },
      function () {
        showApproval({ id: id, status: "pending" }); // the check said it exists; keep asking
      },
    );
  }

  /** Show a sign-off request's state, the form when a (new) request is possible, and poll while pending. */
  function showApproval(approval) {
    state.approval = approval;
    var status = approval ? approval.status : "none";
    byId("status-section").hidden = !approval;
    if (approval) {
      byId("approval-status").textContent = t(STATUS_TEXT[status] || "statusPending");
      byId("approval-status").setAttribute("data-status", status);
      byId("comment-block").hidden = !approval.comment;
      byId("comment").textContent = approval.comment || "";
      byId("approval-times").textContent = timesText(approval);
    }
    byId("request-section").hidden = !(state.verdict === "require_approval" && MAY_REQUEST.indexOf(status) >= 0);
    schedulePoll(approval && FINAL.indexOf(status) < 0 ? approval.id : null);
  }

  /** "Requested …; valid until …" in the pane's language, or "" without dates. */
  function timesText(approval) {
    if (!approval.created_at || !approval.expires_at) return "";
    return t("requestedAt")
      .replace("{created}", localTime(approval.created_at))
      .replace("{expires}", localTime(approval.expires_at));
  }

  /** An ISO-8601 instant as local date and time in the pane's language. */
  function localTime(iso) {
    var moment = new Date(iso);
    return isNaN(moment.getTime()) ? iso : moment.toLocaleString(state.language);
  }

  /** Ask again in a while for request `id` (or stop asking when null); slower after failures, up to a minute. */
  function schedulePoll(id) {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
    if (!id) return;
    var every = Number(LeaverGuard.runtimeConfig().pollMs) || 5000;
    state.pollTimer = setTimeout(function () {
      api("GET", "/approvals/" + encodeURIComponent(id)).then(
        function (answer) {
          state.pollDelay = 0;
          if (answer.status === 200 && answer.body && answer.body.approval) showApproval(answer.body.approval);
          else schedulePoll(id);
        },
        function () {
          state.pollDelay = Math.min((state.pollDelay || every) * 2, 60000);
          schedulePoll(id);
        },
      );
    }, state.pollDelay || every);
  }

  /** Validate the form, send the request for the message as it is now, and show what came back. */
  function submit(event) {
    event.preventDefault();
    var justification = byId("justification").value.trim();
    var problem = !justification ? "errorJustification" : justification.length > MAX_JUSTIFICATION ? "errorTooLong" : "";
    byId("form-error").textContent = problem ? t(problem) : "";
    if (problem) {
      byId("justification").focus();
      return;
    }
    setBusy(true);
    var attestation = byId("attestation").checked;
    LeaverGuard.readMessage(deps())
      .then(function (draft) {
        var payload = LeaverGuard.buildApprovalPayload(draft, deps().client, justification, attestation);
        return api("POST", "/approvals", payload);
      })
      .then(requestAnswered, function (error) {
        byId("form-error").textContent = problemText(error, null);
      })
      .then(function () {
        setBusy(false);
      });
  }

  /** Show the created (201) or existing (200) request, or say why there is none. */
  function requestAnswered(answer) {
    if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.approval) {
      showApproval(answer.body.approval);
      byId("approval-status").focus();
      return null;
    }
    byId("form-error").textContent = problemText(null, answer);
    if (answer.status === 409) return refresh(); // the message changed or the policy did: show what holds now
    return null;
  }

  /** Disable the form while a request is on its way. */
  function setBusy(busy) {
    var button = byId("submit");
    button.disabled = busy;
    button.textContent = t(busy ? "submitting" : "submit");
    byId("request-form").setAttribute("aria-busy", busy ? "true" : "false");
  }

  /** Start once Office is ready: texts in the display language, handlers, then the first check. */
  function start() {
    state.language = LeaverGuard.pickLanguage(Office.context.displayLanguage);
    applyTexts();
    byId("approval-status").setAttribute("tabindex", "-1");
    byId("request-form").addEventListener("submit", submit);
    byId("recheck").addEventListener("click", refresh);
    refresh();
  }

  Office.onReady(start);
})();
