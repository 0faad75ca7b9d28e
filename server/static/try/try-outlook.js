/*
 * /try/outlook: the compose window around the real add-in script. It keeps the shim's draft in step with the
 * form, raises the events Outlook raises (compose start, recipients changed, send), draws the banners and the
 * Smart Alerts dialog as Outlook does, and opens the task pane in a side panel. Development only.
 */
(function () {
  "use strict";

  var session = window.LeaverGuardTry;
  var config = window.LEAVERGUARD_CONFIG || {};
  var realApiBase = config.apiBase;
  // Nothing listens on port 9 ("discard"), and browsers refuse it outright: an outage as the add-in sees one.
  var DEAD_API = "http://127.0.0.1:9";
  var lastRecipients = "";

  /** The element with id `id`. */
  function byId(id) {
    return document.getElementById(id);
  }

  /** The addresses typed into a recipients field: separated by commas or semicolons outside double quotes. */
  function addresses(id) {
    var parts = byId(id).value.match(/(?:"[^"]*"|[^,;"])+|"[^"]*$/g) || [];
    return parts
      .map(function (part) {
        return part.trim();
      })
      .filter(Boolean);
  }

  /** Copy the form into the shim's draft. */
  function syncDraft() {
    session.draft.to = addresses("to");
    session.draft.cc = addresses("cc");
    session.draft.bcc = addresses("bcc");
    session.draft.subject = byId("subject").value;
    session.draft.body = byId("body").value;
    session.draft.attachments = Array.prototype.map.call(byId("attachments").files, function (file) {
      return { name: file.name, size: file.size, file: file };
    });
    session.user = byId("from").value;
    session.displayLanguage = byId("language").value;
  }

  /** Raise an Outlook event: run the handler the add-in associated and resolve with its completed() options. */
  function raise(name) {
    syncDraft();
    var handler = session.handlers[name];
    if (!handler) return Promise.reject(new Error("the add-in did not associate " + name));
    return new Promise(function (resolve) {
      handler({
        type: name,
        completed: function (options) {
          resolve(options || {});
        },
      });
    });
  }

  /** Raise OnMessageRecipientsChanged when the recipients really changed. */
  function recipientsMaybeChanged() {
    syncDraft();
    var now = JSON.stringify([session.draft.to, session.draft.cc, session.draft.bcc]);
    if (now === lastRecipients) return;
    lastRecipients = now;
    raise("onMessageRecipientsChangedHandler");
  }

  /** A new message: clear the banners and raise OnNewMessageCompose. */
  function composeStarted() {
    session.banners = {};
    drawBanners(session.banners);
    syncDraft();
    lastRecipients = JSON.stringify([session.draft.to, session.draft.cc, session.draft.bcc]);
    raise("onNewMessageComposeHandler");
  }

  /** Draw the notification bar Outlook shows above the compose fields. */
  function drawBanners(banners) {
    var area = byId("banners");
    area.textContent = "";
    Object.keys(banners).forEach(function (key) {
      var bar = document.createElement("div");
      bar.className = "infobar infobar-" + banners[key].type;
      bar.setAttribute("data-key", key);
      var icon = document.createElement("img");
      icon.src = "/addin/outlook/assets/icon-16.png";
      icon.alt = "";
      var message = document.createElement("span");
      message.className = "infobar-message";
      message.textContent = banners[key].message;
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "icon";
      dismiss.setAttribute("aria-label", "Dismiss");
      dismiss.textContent = "×";
      dismiss.addEventListener("click", function () {
        delete session.banners[key];
        drawBanners(session.banners);
      });
      bar.append(icon, message, dismiss);
      area.appendChild(bar);
    });
  }

  /** Send: ask the add-in, then send or show its dialog. */
  function send() {
    var button = byId("send");
    button.disabled = true;
    byId("send-state").textContent = "LeaverGuard is checking this message…";
    raise("onMessageSendHandler").then(function (options) {
      button.disabled = false;
      byId("send-state").textContent = "";
      if (options.allowEvent) sent();
      else showDialog(options);
    });
  }

  /** The message went: list it under Sent items and start a new, empty message. */
  function sent() {
    var item = document.createElement("li");
    item.textContent =
      session.user + " → " + session.draft.to.concat(session.draft.cc, session.draft.bcc).join(", ") +
      ": " + (session.draft.subject || "(no subject)");
    byId("sent-items").appendChild(item);
    byId("sent-empty").hidden = true;
    byId("send-state").textContent = "Sent.";
    ["to", "cc", "bcc", "subject", "body", "attachments"].forEach(function (id) {
      byId(id).value = "";
    });
    closeTaskPane();
    composeStarted();
  }

  var dialogReturnFocus = null;

  /** The Smart Alerts dialog: the add-in's message; Send Anyway when allowed; its own button when it has one. */
  function showDialog(options) {
    byId("dialog-message").textContent = options.errorMessage || "LeaverGuard is preventing this email from being sent.";
    byId("dialog-send-anyway").hidden = options.sendModeOverride !== "promptUser";
    var action = byId("dialog-action");
    action.hidden = !options.commandId;
    action.textContent = options.cancelLabel || "Take Action";
    action.onclick = function () {
      closeDialog();
      openTaskPane();
    };
    dialogReturnFocus = document.activeElement;
    byId("dialog-backdrop").hidden = false;
    var first = [action, byId("dialog-send-anyway"), byId("dialog-dont-send")].filter(function (button) {
      return !button.hidden;
    })[0];
    first.focus();
  }

  /** Close the dialog; focus goes back where it was. */
  function closeDialog() {
    byId("dialog-backdrop").hidden = true;
    if (dialogReturnFocus) dialogReturnFocus.focus();
  }

  /** Keep Tab inside the dialog and let Escape mean Don't Send. */
  function dialogKeys(event) {
    if (event.key === "Escape") {
      closeDialog();
      return;
    }
    if (event.key !== "Tab") return;
    var buttons = Array.prototype.filter.call(byId("dialog").querySelectorAll("button"), function (button) {
      return !button.hidden;
    });
    var index = buttons.indexOf(document.activeElement);
    var next = event.shiftKey ? index - 1 : index + 1;
    if (next < 0 || next >= buttons.length) {
      event.preventDefault();
      buttons[(next + buttons.length) % buttons.length].focus();
    }
  }

  /** Open the task pane beside the message, loading it afresh so it reads the current draft. */
  function openTaskPane() {
    syncDraft();
    var frame = byId("taskpane-frame");
    frame.src = frame.getAttribute("data-src") + "?t=" + Date.now();
    byId("taskpane").hidden = false;
    byId("taskpane-close").focus();
  }

  /** Close the task pane. */
  function closeTaskPane() {
    byId("taskpane").hidden = true;
    byId("taskpane-frame").removeAttribute("src");
  }

  /** The outage switch and the fail mode choice change the add-in's configuration on this page only. */
  function applyControls() {
    config.apiBase = byId("outage").checked ? DEAD_API : realApiBase;
    config.failMode = byId("fail-mode").value;
  }

  /** Wire the page to the shim and start the first message. */
  function start() {
    session.bannerListeners.push(drawBanners);
    byId("send").addEventListener("click", send);
    ["to", "cc", "bcc"].forEach(function (id) {
      byId(id).addEventListener("change", recipientsMaybeChanged);
    });
    byId("from").addEventListener("change", composeStarted);
    byId("language").addEventListener("change", composeStarted);
    byId("outage").addEventListener("change", applyControls);
    byId("fail-mode").addEventListener("change", applyControls);
    byId("dialog-send-anyway").addEventListener("click", function () {
      closeDialog();
      sent();
    });
    byId("dialog-dont-send").addEventListener("click", closeDialog);
    byId("dialog").addEventListener("keydown", dialogKeys);
    byId("taskpane-close").addEventListener("click", closeTaskPane);
    byId("compose").addEventListener("submit", function (event) {
      event.preventDefault();
    });
    applyControls();
    composeStarted();
  }

  start();
})();
