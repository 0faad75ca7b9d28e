// A minimal stand-in for the Office.js mailbox API in compose mode, for node tests of commands.js's glue
// (attachment content included: Mailbox 1.8's getAttachmentContentAsync; the item's session data, Mailbox 1.11,
// when options.sessionData is a Map). `fakeOffice(draft)` returns {Office, banners, calls}; install it with
// installGlobals().
"use strict";

/** An Office-style callback result. */
function result(value, error) {
  return error
    ? { status: "failed", error: { message: error }, value: undefined }
    : { status: "succeeded", value: value };
}

/** A compose item whose fields hold `draft`; `failing` names fields whose getAsync fails. */
function fakeOffice(draft, options) {
  const settings = options || {};
  const failing = settings.failing || [];
  const banners = new Map();
  const calls = [];
  const field = (name) => ({
    getAsync(...args) {
      const callback = args[args.length - 1];
      calls.push(name + ".getAsync" + (args.length > 1 ? "(" + args[0] + ")" : ""));
      callback(result(draft[name], failing.includes(name) ? name + " unreadable" : null));
    },
  });
  const item = {
    to: field("to"),
    cc: field("cc"),
    bcc: field("bcc"),
    subject: field("subject"),
    body: field("body"),
    getAttachmentsAsync(callback) {
      calls.push("getAttachmentsAsync");
      callback(result(draft.attachments || []));
    },
    // draft.contents[id]: {format, content}; "fails" answers an error; "never" does not answer at all.
    getAttachmentContentAsync(id, callback) {
      calls.push("getAttachmentContentAsync(" + id + ")");
      const content = (draft.contents || {})[id];
      if (content === "never") return;
      setTimeout(() => callback(content === "fails" || !content ? result(undefined, "cannot read " + id) : result(content)), 0);
    },
    notificationMessages: {
      replaceAsync(key, details, callback) {
        banners.set(key, details);
        callback(result(undefined));
      },
      removeAsync(key, callback) {
        const had = banners.delete(key);
        callback(result(undefined, had ? null : "The key was not found."));
      },
    },
  };
  // options.sessionData: a Map shared by the "task pane" and the "event handler", as Outlook shares it per item;
  // options.sessionDataFull: every setAsync fails (Outlook's 50,000 characters per add-in and item are used up).
  if (settings.sessionData) {
    const store = settings.sessionData;
    item.sessionData = {
      getAsync(name, callback) {
        calls.push("sessionData.getAsync(" + name + ")");
        setTimeout(() => callback(store.has(name) ? result(store.get(name)) : result(undefined, "not found")), 0);
      },
      setAsync(name, value, callback) {
        calls.push("sessionData.setAsync(" + name + ")");
        if (!settings.sessionDataFull) store.set(name, String(value));
        setTimeout(() => callback(result(undefined, settings.sessionDataFull ? "session data is full" : null)), 0);
      },
    };
  }
  const Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text", Html: "html" },
    MailboxEnums: { SendModeOverride: { PromptUser: "promptUser" } },
    context: {
      displayLanguage: settings.displayLanguage || "en-US",
      diagnostics: { platform: "PC" },
      mailbox: { item: item, userProfile: { emailAddress: settings.user || "alice@northwind.example" } },
    },
  };
  return { Office, banners, calls };
}

/** A fetch that answers each request with the next of `answers` (status, body) and records the requests. */
function fakeFetch(answers) {
  const requests = [];
  const queue = answers.slice();
  const fetchImpl = (url, init) => {
    requests.push({ url, init, body: init.body ? JSON.parse(init.body) : undefined });
    const next = queue.length > 1 ? queue.shift() : queue[0];
    if (next instanceof Error) return Promise.reject(next);
    if (next === "never") return new Promise(() => {});
    return Promise.resolve({
      status: next.status,
      json: () => (next.body === undefined ? Promise.reject(new SyntaxError("not JSON")) : Promise.resolve(next.body)),
    });
  };
  return { fetchImpl, requests };
}

/** Set the globals commands.js reads at call time; returns a function that removes them again. */
function installGlobals(values) {
  const names = Object.keys(values);
  const before = names.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]);
  names.forEach((name) => {
    // defineProperty, not assignment: some globals (Node's `crypto`) have a getter only
    Object.defineProperty(globalThis, name, { value: values[name], configurable: true, writable: true });
  });
  return () => {
    before.forEach(([name, descriptor]) => {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete globalThis[name];
    });
  };
}

/** An event whose completed() resolves `done` with the options it was given. */
function fakeEvent() {
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  const event = {
    completedCalls: 0,
    completed(options) {
      event.completedCalls += 1;
      resolveDone(options);
    },
  };
  return { event, done };
}

module.exports = { fakeOffice, fakeFetch, installGlobals, fakeEvent };
