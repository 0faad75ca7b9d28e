// The handlers of addin/outlook/commands.js against a fake Office and a fake fetch: what is sent, how each
// answer ends, that every path calls event.completed exactly once, tokens, and banners.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const nodeCrypto = require("node:crypto");

const LG = require("../../addin/outlook/commands.js");
const { fakeOffice, fakeFetch, installGlobals, fakeEvent } = require("./fake_office.js");

const DRAFT = {
  to: [{ emailAddress: "kim@contoso.example" }],
  cc: [],
  bcc: [{ emailAddress: "alice.private@gmail.com" }],
  subject: "Handover",
  body: "Hello Kim",
  attachments: [{ name: "handover.pdf", size: 10 }],
};
const CONFIG = { apiBase: "https://lg.example", failMode: "open", devAuth: true, timeoutMs: 500 };

function check(verdict, extra) {
  return Object.assign(
    { verdict, banner: verdict === "allow" ? "" : "LeaverGuard: banner", dialog: verdict === "allow" ? "" : "Held:\nreason" },
    extra || {},
  );
}

/** Run `body` with Office, LEAVERGUARD_CONFIG, fetch (and more) installed as globals. */
async function withOutlook(setup, body) {
  const office = fakeOffice(setup.draft || DRAFT, setup.office);
  const network = fakeFetch(setup.answers || [{ status: 200, body: check("allow") }]);
  const remove = installGlobals(
    Object.assign(
      { Office: office.Office, LEAVERGUARD_CONFIG: Object.assign({}, CONFIG, setup.config), fetch: network.fetchImpl },
      setup.globals || {},
    ),
  );
  try {
    await body({ office, network });
  } finally {
    remove();
  }
}

async function send(setup) {
  let outcome;
  await withOutlook(setup, async ({ office, network }) => {
    const { event, done } = fakeEvent();
    LG.onMessageSendHandler(event);
    const options = await done;
    await new Promise((resolve) => setTimeout(resolve, 10)); // a second completed() would land by now
    outcome = { options, event, office, network };
  });
  return outcome;
}

// --- OnMessageSend -----------------------------------------------------------------------------------------

test("the send check posts the whole draft to the check API with the development credentials", async () => {
  const { network } = await send({ office: { displayLanguage: "ru-RU", user: "carol@northwind.example" } });
  const [request] = network.requests;
  assert.equal(request.url, "https://lg.example/api/v1/check");
  assert.equal(request.init.method, "POST");
  assert.equal(request.init.headers.Authorization, "Dev carol@northwind.example");
  assert.equal(request.init.headers["Content-Type"], "application/json");
  assert.deepEqual(request.body, {
    mode: "send",
    to: ["kim@contoso.example"],
    cc: [],
    bcc: ["alice.private@gmail.com"],
    subject: "Handover",
    body: "Hello Kim",
    attachments: [{ name: "handover.pdf", size: 10 }],
    client: { app: "outlook", platform: "PC", locale: "ru-RU" },
  });
});

test("the body is read as plain text", async () => {
  const { office } = await send({});
  assert.ok(office.calls.includes("body.getAsync(text)"));
});

const VERDICTS = [
  ["allow", (o) => assert.deepEqual(o, { allowEvent: true })],
  ["warn", (o) => assert.equal(o.sendModeOverride, "promptUser")],
  ["require_approval", (o) => assert.equal(o.commandId, "LeaverGuardTaskPane")],
  ["block", (o) => assert.equal(o.allowEvent, false) || assert.equal(o.sendModeOverride, undefined)],
];
for (const [verdict, expect] of VERDICTS) {
  test(`a ${verdict} answer completes the send event once, accordingly`, async () => {
    const { options, event } = await send({ answers: [{ status: 200, body: check(verdict) }] });
    expect(options);
    assert.equal(event.completedCalls, 1);
  });
}

test("the sign-off button is labelled in the user's display language", async () => {
  const { options } = await send({
    answers: [{ status: 200, body: check("require_approval") }],
    office: { displayLanguage: "es-MX" },
  });
  assert.equal(options.cancelLabel, LG.FALLBACK_TEXTS.es.signOff);
});

const FAILURES = [
  ["the network refuses the connection", { answers: [new TypeError("Failed to fetch")] }],
  ["the server does not answer in time", { answers: ["never"] }],
  ["the server answers 503", { answers: [{ status: 503, body: { error: { code: "unavailable", message: "db" } } }] }],
  ["the server answers something that is not JSON", { answers: [{ status: 200 }] }],
  ["the server answers a verdict this script does not know", { answers: [{ status: 200, body: { verdict: "x" } }] }],
  ["Outlook cannot read the body", { office: { failing: ["body"] } }],
  ["no Entra ID application is configured in production", { config: { devAuth: false, entra: {} } }],
];
for (const [what, setup] of FAILURES) {
  for (const failMode of ["open", "closed"]) {
    test(`when ${what}, fail-${failMode} applies and the event still completes once`, async () => {
      const { options, event } = await send(Object.assign({}, setup, { config: Object.assign({ failMode }, setup.config) }));
      assert.deepEqual(options, LG.unavailableOptions(failMode, LG.fallbackTexts("en")));
      assert.equal(event.completedCalls, 1);
    });
  }
}

// A refusal is not an outage: whatever the fail mode, the message is held and Send anyway is never offered.
const REFUSED = [
  [400, "invalid_request", "1 problem(s) in the request"],
  [413, "payload_too_large", "the request is larger than the server reads"],
  [415, "unsupported_media_type", "send the body as application/json"],
  [429, "too_many_requests", "slow down"],
];
for (const [status, code, message] of REFUSED) {
  for (const failMode of ["open", "closed"]) {
    test(`a ${status} answer holds the message with the server's reason and no Send anyway (fail-${failMode})`, async () => {
      const answers = [{ status, body: { error: { code, message, details: [] } } }];
      const { options, event } = await send({ answers, config: { failMode } });
      assert.equal(options.allowEvent, false);
      assert.equal(options.sendModeOverride, undefined);
      assert.ok(options.errorMessage.endsWith(message), options.errorMessage);
      assert.equal(event.completedCalls, 1);
    });
  }
}

const SIGN_IN = [
  ["the server refuses the token (401)", { answers: [{ status: 401, body: { error: { code: "unauthorized", message: "expired" } } }] }],
  [
    "Outlook cannot produce a token",
    { config: { devAuth: false, entra: { clientId: "x", scope: "api://x/access_as_user" } }, globals: { OfficeRuntime: { auth: { getAccessToken: () => Promise.reject({ code: 13001 }) } } } },
  ],
];
for (const [what, setup] of SIGN_IN) {
  for (const failMode of ["open", "closed"]) {
    test(`when ${what}, the message is held with a Sign in button, never sent anyway (fail-${failMode})`, async () => {
      const { options, event } = await send(Object.assign({}, setup, { config: Object.assign({ failMode }, setup.config) }));
      assert.deepEqual(options, {
        allowEvent: false,
        errorMessage: LG.FALLBACK_TEXTS.en.signInNeeded,
        cancelLabel: LG.FALLBACK_TEXTS.en.signIn,
        commandId: "LeaverGuardTaskPane",
      });
      assert.equal(event.completedCalls, 1);
    });
  }
}

test("when Office itself is missing the handler still completes the event with the fail mode", async () => {
  const remove = installGlobals({ Office: undefined, LEAVERGUARD_CONFIG: { failMode: "closed" } });
  try {
    const { event, done } = fakeEvent();
    LG.onMessageSendHandler(event);
    assert.deepEqual(await done, LG.unavailableOptions("closed", LG.fallbackTexts("en")));
  } finally {
    remove();
  }
});

test("the whole send check gives up within the timeout", async () => {
  const started = Date.now();
  const { options } = await send({ answers: ["never"], config: { timeoutMs: 500 } });
  assert.ok(Date.now() - started < 1500);
  assert.equal(options.sendModeOverride, "promptUser");
});

// --- the body limit and attachment content ------------------------------------------------------------------

const hexOf = (data) => nodeCrypto.createHash("sha256").update(data).digest("hex");
const FILE = Buffer.from("%PDF-1.7 the handover plan");
const LOGO = nodeCrypto.randomBytes(3000);

test("a body over the server's limit is cut there and sent with body_truncated and the whole body's hash", async () => {
  const body = "Stay in touch: +34 612 345 678\n" + "€".repeat(340000);
  const { network } = await send({ draft: Object.assign({}, DRAFT, { body }), config: { maxBodyBytes: 1000000 } });
  const [request] = network.requests;
  assert.ok(Buffer.byteLength(request.body.body, "utf8") <= 1000000);
  assert.ok(request.body.body.startsWith("Stay in touch"));
  assert.equal(request.body.body_truncated, true);
  assert.equal(request.body.body_sha256, hexOf(Buffer.from(body, "utf8")));
});

test("a body within the limit goes whole, without body_truncated", async () => {
  const { network } = await send({ config: { maxBodyBytes: 1000000 } });
  assert.equal(network.requests[0].body.body, "Hello Kim");
  assert.equal("body_truncated" in network.requests[0].body, false);
});

const WITH_FILES = Object.assign({}, DRAFT, {
  attachments: [
    { id: "a1", name: "plan.pdf", size: FILE.length, attachmentType: "file" },
    { id: "a2", name: "logo.png", size: LOGO.length, attachmentType: "file", isInline: true },
    { id: "a3", name: "deck.pptx", size: 0, attachmentType: "cloud" },
    { id: "a4", name: "Re: terms", size: 900, attachmentType: "item" },
    { id: "a5", name: "dragged.msg", size: 400, attachmentType: "file" },
  ],
  contents: {
    a1: { format: "base64", content: FILE.toString("base64") },
    a2: { format: "base64", content: LOGO.toString("base64") },
    a3: { format: "url", content: "https://contoso-my.sharepoint.com/deck.pptx" },
    a4: { format: "eml", content: "Subject: terms" },
    a5: "fails",
  },
});

test("file attachments are sent with their content's SHA-256; cloud, item and unreadable ones by name and size", async () => {
  const { network, office } = await send({ draft: WITH_FILES });
  assert.deepEqual(network.requests[0].body.attachments, [
    { name: "plan.pdf", size: FILE.length, sha256: hexOf(FILE) },
    { name: "logo.png", size: LOGO.length, sha256: hexOf(LOGO) },
    { name: "deck.pptx", size: 0 },
    { name: "Re: terms", size: 900 },
    { name: "dragged.msg", size: 400 },
  ]);
  assert.ok(!office.calls.includes("getAttachmentContentAsync(a3)"), "a cloud attachment is not fetched");
});

test("attachments past the hashing budget are not read at all", async () => {
  const big = { id: "b1", name: "video.mp4", size: LG.HASH_BUDGET_BYTES + 1, attachmentType: "file" };
  const draft = Object.assign({}, WITH_FILES, { attachments: [big, WITH_FILES.attachments[0]] });
  const { network, office } = await send({ draft });
  assert.deepEqual(network.requests[0].body.attachments, [
    { name: "video.mp4", size: LG.HASH_BUDGET_BYTES + 1 },
    { name: "plan.pdf", size: FILE.length, sha256: hexOf(FILE) },
  ]);
  assert.ok(!office.calls.includes("getAttachmentContentAsync(b1)"));
});

test("an attachment Outlook never hands over is sent unhashed, and the check still answers in time", async () => {
  const draft = Object.assign({}, WITH_FILES, { contents: Object.assign({}, WITH_FILES.contents, { a1: "never" }) });
  const started = Date.now();
  const { network, options } = await send({ draft, config: { timeoutMs: 1000 } });
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(network.requests[0].body.attachments[0], { name: "plan.pdf", size: FILE.length });
  assert.deepEqual(options, { allowEvent: true });
});

test("a runtime without WebCrypto sends every attachment by name and size and still gets a verdict", async () => {
  const { network, options } = await send({ draft: WITH_FILES, globals: { crypto: undefined } });
  assert.ok(network.requests[0].body.attachments.every((a) => !("sha256" in a)));
  assert.deepEqual(options, { allowEvent: true });
});

test("the sign-off request hashes the same attachments as the send check, so both name the same message", async () => {
  await withOutlook({ draft: WITH_FILES }, async () => {
    const deps = LG.officeDeps(false);
    const draft = await LG.readMessage(deps);
    const approval = LG.buildApprovalPayload(draft, deps.client, "Handover.", true);
    const check = LG.buildCheckPayload("send", draft, deps.client);
    assert.deepEqual(approval.attachments, check.attachments);
    assert.equal(approval.attachments[0].sha256, hexOf(FILE));
  });
});

// --- content hashes cached by the task pane (the item's session data) -----------------------------------------

const DECOY = Buffer.alloc(LG.HASH_BUDGET_BYTES, 7); // fills the send check's whole budget
const ORIGINAL = Buffer.from("client list: the one HR saw");
const SWAPPED = Buffer.from("client list: the one HR sat"); // same name, same size, other content
const decoy = { id: "d1", name: "photos.zip", size: DECOY.length, attachmentType: "file" };
const original = { id: "o1", name: "clients.xlsx", size: ORIGINAL.length, attachmentType: "file" };
const SIGNED = Object.assign({}, DRAFT, {
  attachments: [decoy, original],
  contents: { d1: { format: "base64", content: DECOY.toString("base64") }, o1: { format: "base64", content: ORIGINAL.toString("base64") } },
});
// The leaver removes clients.xlsx and attaches another file of that name and size: Outlook gives it a new id.
const SWAPPED_DRAFT = Object.assign({}, SIGNED, {
  attachments: [decoy, Object.assign({}, original, { id: "o2" })],
  contents: { d1: SIGNED.contents.d1, o2: { format: "base64", content: SWAPPED.toString("base64") } },
});

/** The sign-off request's payload as the task pane builds it (every file hashed where session data allows). */
async function paneApproval(setup) {
  let payload;
  await withOutlook(setup, async () => {
    const deps = Object.assign(LG.officeDeps(true), { hashAll: true });
    payload = LG.buildApprovalPayload(await LG.readMessage(deps), deps.client, "Handover.", true);
  });
  return payload;
}

test("a file swapped after sign-off behind a 4 MB decoy no longer matches: the send check uses the pane's hashes", async () => {
  const sessionData = new Map();
  const approval = await paneApproval({ draft: SIGNED, office: { sessionData } });
  assert.deepEqual(approval.attachments, [
    { name: "photos.zip", size: DECOY.length, sha256: hexOf(DECOY) },
    { name: "clients.xlsx", size: ORIGINAL.length, sha256: hexOf(ORIGINAL) },
  ]);
  const before = await send({ draft: SIGNED, office: { sessionData }, config: { timeoutMs: 2000 } });
  assert.deepEqual(before.network.requests[0].body.attachments, approval.attachments, "the approved message matches");

  const after = await send({ draft: SWAPPED_DRAFT, office: { sessionData }, config: { timeoutMs: 2000 } });
  const sent = after.network.requests[0].body.attachments;
  assert.notDeepEqual(sent, approval.attachments, "the swapped message is not bound by name and size");
  assert.deepEqual(sent[1], { name: "clients.xlsx", size: SWAPPED.length, sha256: hexOf(SWAPPED) });
});

test("the send check takes a cached hash for an attachment of the same id and size without reading it again", async () => {
  const sessionData = new Map([[LG.hashKey(decoy), "ab".repeat(32)], [LG.hashKey(original), "cd".repeat(32)]]);
  const { network, office } = await send({ draft: SIGNED, office: { sessionData } });
  assert.deepEqual(network.requests[0].body.attachments, [
    { name: "photos.zip", size: DECOY.length, sha256: "ab".repeat(32) },
    { name: "clients.xlsx", size: ORIGINAL.length, sha256: "cd".repeat(32) },
  ]);
  assert.ok(!office.calls.some((call) => call.startsWith("getAttachmentContentAsync")), office.calls.join(", "));
  // another size under the same id is another file: not taken from the cache
  const resized = Object.assign({}, SIGNED, { attachments: [decoy, Object.assign({}, original, { size: ORIGINAL.length + 1 })] });
  const again = await send({ draft: resized, office: { sessionData } });
  assert.equal(again.network.requests[0].body.attachments[1].sha256, hexOf(ORIGINAL));
  assert.ok(again.office.calls.includes("getAttachmentContentAsync(o1)"));
});

test("without session data the pane and the send check hash within the budget as before, and agree", async () => {
  const approval = await paneApproval({ draft: SIGNED });
  const expected = [{ name: "photos.zip", size: DECOY.length, sha256: hexOf(DECOY) }, { name: "clients.xlsx", size: ORIGINAL.length }];
  assert.deepEqual(approval.attachments, expected);
  const { network } = await send({ draft: SIGNED, config: { timeoutMs: 2000 } });
  assert.deepEqual(network.requests[0].body.attachments, expected);
});

test("where session data cannot keep a hash, the pane sends what the send check will see", async () => {
  const sessionData = new Map();
  const approval = await paneApproval({ draft: SIGNED, office: { sessionData, sessionDataFull: true } });
  const { network } = await send({ draft: SIGNED, office: { sessionData, sessionDataFull: true }, config: { timeoutMs: 2000 } });
  assert.deepEqual(network.requests[0].body.attachments, approval.attachments);
  assert.equal(approval.attachments[1].sha256, undefined);
});

// --- tokens ------------------------------------------------------------------------------------------------

const ENTRA = {
  clientId: "11111111-2222-3333-4444-555555555555",
  scope: "api://lg.example/11111111-2222-3333-4444-555555555555/access_as_user",
  authority: "https://login.microsoftonline.com/organizations",
};

function fakeMsal(behaviour) {
  const seen = { created: 0, requests: [] };
  const msal = {
    createNestablePublicClientApplication(config) {
      seen.created += 1;
      seen.config = config;
      if (behaviour === "throws") throw new TypeError("Cannot read properties of undefined (reading 'href')");
      return Promise.resolve({
        acquireTokenSilent(request) {
          seen.requests.push(["silent", request]);
          return behaviour === "silent-fails" ? Promise.reject(new Error("interaction_required")) : Promise.resolve({ accessToken: "naa-token" });
        },
        acquireTokenPopup(request) {
          seen.requests.push(["popup", request]);
          return Promise.resolve({ accessToken: "popup-token" });
        },
      });
    },
  };
  return { msal, seen };
}

function fakeOfficeRuntime() {
  const seen = [];
  return {
    seen,
    OfficeRuntime: {
      auth: {
        getAccessToken(options) {
          seen.push(options);
          return Promise.resolve("sso-token");
        },
      },
    },
  };
}

test("in production the token comes from nested app authentication for the API's scope", async () => {
  const { msal, seen } = fakeMsal("works");
  const runtime = fakeOfficeRuntime();
  await withOutlook({ globals: { msal, OfficeRuntime: runtime.OfficeRuntime } }, async () => {
    assert.equal(await LG.authorization({ entra: ENTRA }, false), "Bearer naa-token");
  });
  assert.deepEqual(seen.config.auth, { clientId: ENTRA.clientId, authority: ENTRA.authority });
  assert.deepEqual(seen.requests, [["silent", { scopes: [ENTRA.scope] }]]);
  assert.deepEqual(runtime.seen, []);
});

test("without MSAL (the JavaScript-only runtime) the token comes from Office SSO, without prompts", async () => {
  const runtime = fakeOfficeRuntime();
  await withOutlook({ globals: { OfficeRuntime: runtime.OfficeRuntime } }, async () => {
    assert.equal(await LG.authorization({ entra: ENTRA }, false), "Bearer sso-token");
  });
  assert.deepEqual(runtime.seen, [{ allowSignInPrompt: false, allowConsentPrompt: false }]);
});

for (const behaviour of ["throws", "silent-fails"]) {
  test(`when NAA ${behaviour} in an event, Office SSO is the fallback`, async () => {
    const { msal } = fakeMsal(behaviour);
    const runtime = fakeOfficeRuntime();
    await withOutlook({ globals: { msal, OfficeRuntime: runtime.OfficeRuntime } }, async () => {
      assert.equal(await LG.authorization({ entra: ENTRA }, false), "Bearer sso-token");
    });
  });
}

test("in the task pane a failed silent NAA request may ask the user (popup)", async () => {
  const { msal, seen } = fakeMsal("silent-fails");
  await withOutlook({ globals: { msal, OfficeRuntime: fakeOfficeRuntime().OfficeRuntime } }, async () => {
    assert.equal(await LG.authorization({ entra: ENTRA }, true), "Bearer popup-token");
  });
  assert.deepEqual(seen.requests.map((r) => r[0]), ["silent", "popup"]);
});

test("development credentials name the signed-in mailbox", async () => {
  await withOutlook({ office: { user: "dmitri@northwind.example" } }, async () => {
    assert.equal(await LG.authorization({ devAuth: true }, false), "Dev dmitri@northwind.example");
  });
});

// --- banners -----------------------------------------------------------------------------------------------

async function changeRecipients(office) {
  const { event, done } = fakeEvent();
  LG.onMessageRecipientsChangedHandler(event);
  await done;
  return event;
}

test("a recipients change previews the recipients only and shows the server's banner", async () => {
  await withOutlook({ answers: [{ status: 200, body: check("require_approval") }] }, async ({ office, network }) => {
    const event = await changeRecipients(office);
    assert.equal(event.completedCalls, 1);
    const [request] = network.requests;
    assert.equal(request.body.mode, "preview");
    assert.deepEqual([request.body.subject, request.body.body, request.body.attachments], ["", "", []]);
    assert.ok(!office.calls.some((call) => call.startsWith("body.")), "the body is not read for a banner");
    assert.deepEqual(office.banners.get("leaverguard"), {
      type: "informationalMessage",
      message: "LeaverGuard: banner",
      icon: "Icon.16",
      persistent: true,
    });
  });
});

test("the banner is replaced, then removed when the recipients need nothing", async () => {
  const answers = [
    { status: 200, body: check("warn", { banner: "first" }) },
    { status: 200, body: check("block", { banner: "second" }) },
    { status: 200, body: check("allow") },
  ];
  await withOutlook({ answers }, async ({ office }) => {
    await changeRecipients(office);
    assert.equal(office.banners.get("leaverguard").message, "first");
    await changeRecipients(office);
    assert.equal(office.banners.size, 1);
    assert.equal(office.banners.get("leaverguard").message, "second");
    await changeRecipients(office);
    assert.equal(office.banners.size, 0);
  });
});

test("compose start previews too, and removing a banner that is not there is fine", async () => {
  await withOutlook({}, async ({ office }) => {
    const { event, done } = fakeEvent();
    LG.onNewMessageComposeHandler(event);
    await done;
    assert.equal(event.completedCalls, 1);
    assert.equal(office.banners.size, 0);
  });
});

test("when the server cannot be asked the banner stays as it was and the event completes", async () => {
  const answers = [{ status: 200, body: check("warn", { banner: "kept" }) }, new TypeError("Failed to fetch")];
  await withOutlook({ answers }, async ({ office }) => {
    await changeRecipients(office);
    const event = await changeRecipients(office);
    assert.equal(event.completedCalls, 1);
    assert.equal(office.banners.get("leaverguard").message, "kept");
  });
});

test("an older preview that answers last does not overwrite a newer one's banner", async () => {
  let releaseFirst;
  const slow = new Promise((resolve) => (releaseFirst = resolve));
  let calls = 0;
  const fetchImpl = () => {
    calls += 1;
    if (calls === 1) return slow.then(() => ({ status: 200, json: () => Promise.resolve(check("warn", { banner: "old" })) }));
    return Promise.resolve({ status: 200, json: () => Promise.resolve(check("block", { banner: "new" })) });
  };
  await withOutlook({ globals: { fetch: fetchImpl } }, async ({ office }) => {
    const first = fakeEvent();
    LG.onMessageRecipientsChangedHandler(first.event);
    const second = fakeEvent();
    LG.onMessageRecipientsChangedHandler(second.event);
    await second.done;
    releaseFirst();
    await first.done;
    assert.equal(office.banners.get("leaverguard").message, "new");
  });
});
