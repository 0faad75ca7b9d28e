/*
 * A small stand-in for Office.js's mailbox API in compose mode, for /try/outlook (development only).
 *
 * It offers what addin/outlook/commands.js and taskpane.js use: Office.actions.associate, the compose item's
 * to/cc/bcc/subject/body getAsync, getAttachmentsAsync and getAttachmentContentAsync (the chosen files, as Base64;
 * each file chosen gets its own id, as Outlook gives a file attached again a new one), sessionData.getAsync and
 * setAsync (Mailbox 1.11: the task pane's content hashes, read by the send check),
 * notificationMessages.replaceAsync/removeAsync,
 * Office.context.displayLanguage and mailbox.userProfile, Office.onReady, and OfficeRuntime.auth (which fails:
 * the try page signs in with the development scheme). The state lives in `window.LeaverGuardTry` of the top
 * page; the task pane, in an iframe of that page, reads the same draft through it.
 */
(function () {
  "use strict";

  var parentTry = window.parent !== window && window.parent.LeaverGuardTry ? window.parent.LeaverGuardTry : null;
  var session = parentTry || {
    draft: { to: [], cc: [], bcc: [], subject: "", body: "", attachments: [] },
    user: "",
    displayLanguage: "en-GB",
    banners: {},
    handlers: {},
    sessionData: {},
    attachmentIds: new WeakMap(),
    lastAttachmentId: 0,
    bannerListeners: [],
  };

  /** An Office AsyncResult, delivered asynchronously as Outlook does. */
  function answer(callback, value, error) {
    var result = error
      ? { status: "failed", value: undefined, error: { name: "Error", message: error, code: 9041 } }
      : { status: "succeeded", value: value, error: undefined };
    setTimeout(function () {
      callback(result);
    }, 0);
  }

  /** The last argument of an Office call: its callback. */
  function callbackOf(args) {
    return args[args.length - 1];
  }

  /** A recipients field: EmailAddressDetails for each address in the draft. */
  function recipients(name) {
    return {
      getAsync: function () {
        var details = session.draft[name].map(function (address) {
          return { emailAddress: address, displayName: address, recipientType: "other" };
        });
        answer(callbackOf(arguments), details);
      },
    };
  }

  /** A text field of the draft (subject, or body as plain text). */
  function text(name) {
    return {
      getAsync: function () {
        answer(callbackOf(arguments), session.draft[name]);
      },
    };
  }

  /** The id of a chosen file: the same while it stays chosen, a new one for each file chosen (again). */
  function attachmentId(attachment, index) {
    var file = attachment.file;
    if (!file || typeof file !== "object") return "i" + index;
    if (!session.attachmentIds.has(file)) session.attachmentIds.set(file, "f" + ++session.lastAttachmentId);
    return session.attachmentIds.get(file);
  }

  /** Tell the page the banners changed. */
  function bannersChanged() {
    session.bannerListeners.forEach(function (listener) {
      listener(session.banners);
    });
  }

  var item = {
    itemType: "message",
    to: recipients("to"),
    cc: recipients("cc"),
    bcc: recipients("bcc"),
    subject: text("subject"),
    body: text("body"),
    getAttachmentsAsync: function () {
      var details = session.draft.attachments.map(function (file, index) {
        var id = attachmentId(file, index);
        return { id: id, name: file.name, size: file.size, attachmentType: "file", isInline: false };
      });
      answer(callbackOf(arguments), details);
    },
    getAttachmentContentAsync: function (id) {
      var callback = callbackOf(arguments);
      var attachment = session.draft.attachments.filter(function (candidate, index) {
        return attachmentId(candidate, index) === id;
      })[0];
      if (!attachment || !attachment.file) return answer(callback, undefined, "The attachment wasn't found.");
      var reader = new FileReader();
      reader.onload = function () {
        // a data: URL; Outlook hands over the Base64 after the comma
        answer(callback, { format: "base64", content: String(reader.result).split(",", 2)[1] || "" });
      };
      reader.onerror = function () {
        answer(callback, undefined, "The attachment couldn't be read.");
      };
      reader.readAsDataURL(attachment.file);
    },
    sessionData: {
      getAsync: function (name) {
        var has = Object.prototype.hasOwnProperty.call(session.sessionData, name);
        var value = has ? session.sessionData[name] : undefined;
        answer(callbackOf(arguments), value, has ? null : "The key wasn't found.");
      },
      setAsync: function (name, value) {
        session.sessionData[name] = String(value);
        answer(callbackOf(arguments), undefined);
      },
    },
    notificationMessages: {
      replaceAsync: function (key, details) {
        if (String(details.message || "").length > 150) {
          return answer(callbackOf(arguments), undefined, "The message is longer than 150 characters.");
        }
        session.banners[key] = details;
        bannersChanged();
        answer(callbackOf(arguments), undefined);
      },
      removeAsync: function (key) {
        if (!(key in session.banners)) return answer(callbackOf(arguments), undefined, "The key wasn't found.");
        delete session.banners[key];
        bannersChanged();
        answer(callbackOf(arguments), undefined);
      },
    },
  };

  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text", Html: "html" },
    HostType: { Outlook: "Outlook" },
    MailboxEnums: {
      SendModeOverride: { PromptUser: "promptUser" },
      AttachmentType: { File: "file", Item: "item", Cloud: "cloud" },
      AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml", ICalendar: "iCalendar" },
      ItemNotificationMessageType: {
        ProgressIndicator: "progressIndicator",
        InformationalMessage: "informationalMessage",
        ErrorMessage: "errorMessage",
        InsightMessage: "insightMessage",
      },
    },
    context: {
      get displayLanguage() {
        return session.displayLanguage;
      },
      diagnostics: { platform: "OfficeOnline", hostName: "Outlook", version: "try" },
      mailbox: {
        item: item,
        get userProfile() {
          return { emailAddress: session.user, displayName: session.user };
        },
      },
    },
    actions: {
      associate: function (name, handler) {
        // Only the top page's script handles events: the task pane's copy of commands.js must not take over.
        if (!parentTry) session.handlers[name] = handler;
      },
    },
    onReady: function (callback) {
      var info = { host: "Outlook", platform: "OfficeOnline" };
      var ready = new Promise(function (resolve) {
        if (document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", function () {
            resolve(info);
          });
        } else resolve(info);
      });
      if (callback) ready.then(callback);
      return ready;
    },
  };

  window.OfficeRuntime = {
    auth: {
      getAccessToken: function () {
        return Promise.reject(new Error("the try page has no Office sign-in; it uses the development scheme"));
      },
    },
  };

  if (!parentTry) window.LeaverGuardTry = session;
})();
