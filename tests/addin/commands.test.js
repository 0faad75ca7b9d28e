// The pure helpers of addin/outlook/commands.js: payloads, verdict -> event.completed options, Outlook's length
// limits, the fallback texts and fail modes, and the timeout. Run with `node --test tests/addin/*.test.js`.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const nodeCrypto = require("node:crypto");

const LG = require("../../addin/outlook/commands.js");

const LANGUAGES = ["en", "es", "ru"];
const DRAFT = {
  to: [{ emailAddress: "kim@contoso.example", displayName: "Kim Akers" }, { emailAddress: "  " }],
  cc: [{ emailAddress: " bob@northwind.example " }],
  bcc: [],
  subject: "Handover",
  body: "Hello Kim, Bob takes over from Monday.",
  attachments: [
    { id: "1", name: "handover.pdf", size: 12345, attachmentType: "file", isInline: false },
    { id: "2", name: "logo.png", size: 2048, attachmentType: "file", isInline: true },
    { id: "3", name: "plan.docx", attachmentType: "cloud", isInline: false },
  ],
};
const CLIENT = { platform: "OfficeOnline", locale: "es-ES" };

function answer(verdict, extra) {
  return Object.assign(
    {
      verdict: verdict,
      fingerprint: "sha256:abc",
      findings: [],
      banner: verdict === "allow" ? "" : "LeaverGuard: client recipients: 1. HR sign-off is needed to send.",
      dialog: verdict === "allow" ? "" : "This message needs HR sign-off before it can be sent:\nClient recipients: kim@contoso.example.",
      approval: { status: "none", id: null },
      monitor_only: false,
    },
    extra || {},
  );
}

// --- language and limits -----------------------------------------------------------------------------------

for (const [display, expected] of [
  ["en-US", "en"],
  ["es-ES", "es"],
  ["es-419", "es"],
  ["ru", "ru"],
  ["ru-RU", "ru"],
  ["RU_ru", "ru"],
  ["de-DE", "en"],
  ["", "en"],
  [undefined, "en"],
]) {
  test(`the display language ${JSON.stringify(display)} picks ${expected}`, () => {
    assert.equal(LG.pickLanguage(display), expected);
  });
}

test("truncate keeps text within a limit and marks the cut with an ellipsis", () => {
  assert.equal(LG.truncate("short", 20), "short");
  assert.equal(LG.truncate("x".repeat(500), 500), "x".repeat(500));
  const cut = LG.truncate("word ".repeat(200), 500);
  assert.ok(cut.length <= 500);
  assert.ok(cut.endsWith("…"));
  assert.ok(!cut.endsWith(" …"), "trailing space before the ellipsis is dropped");
  assert.equal(LG.truncate(null, 10), "");
});

test("truncate never leaves half of a surrogate pair", () => {
  const cut = LG.truncate("a".repeat(18) + "😀😀😀", 20);
  assert.ok(cut.length <= 20);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut));
});

test("the limits are Outlook's: dialog 500, banner 150, button label 20", () => {
  assert.deepEqual(LG.LIMITS, { dialog: 500, banner: 150, label: 20 });
});

// --- payloads ----------------------------------------------------------------------------------------------

test("the check payload carries recipients, subject, body, attachments, mode and the client block", () => {
  assert.deepEqual(LG.buildCheckPayload("send", DRAFT, CLIENT), {
    mode: "send",
    to: ["kim@contoso.example"],
    cc: ["bob@northwind.example"],
    bcc: [],
    subject: "Handover",
    body: "Hello Kim, Bob takes over from Monday.",
    attachments: [
      { name: "handover.pdf", size: 12345 },
      { name: "logo.png", size: 2048 },
      { name: "plan.docx", size: 0 },
    ],
    client: { app: "outlook", platform: "OfficeOnline", locale: "es-ES" },
  });
});

test("a preview payload of a draft read without content sends no subject, body or attachments", () => {
  const payload = LG.buildCheckPayload("preview", { to: ["kim@contoso.example"], cc: [], bcc: [] }, CLIENT);
  assert.equal(payload.mode, "preview");
  assert.deepEqual([payload.subject, payload.body, payload.attachments], ["", "", []]);
});

test("attachments without a usable name or size still give the server valid entries", () => {
  assert.deepEqual(
    LG.attachmentsOf([{ name: "", size: -1 }, { name: "n".repeat(1200), size: 1.5 }, null, { name: " a.txt ", size: 3 }]),
    [
      { name: "attachment", size: 0 },
      { name: "n".repeat(1000), size: 0 },
      { name: "attachment", size: 0 },
      { name: "a.txt", size: 3 },
    ],
  );
});

test("the client block keeps within the server's 100 characters", () => {
  const payload = LG.buildCheckPayload("send", { to: [] }, { platform: "p".repeat(150), locale: "l".repeat(150) });
  assert.equal(payload.client.platform.length, 100);
  assert.equal(payload.client.locale.length, 100);
});

test("the sign-off payload is the check's fields without mode, plus justification and attestation", () => {
  const payload = LG.buildApprovalPayload(DRAFT, CLIENT, "  Introducing Bob as the new contact.  ", true);
  const check = LG.buildCheckPayload("send", DRAFT, CLIENT);
  delete check.mode;
  assert.deepEqual(payload, Object.assign(check, { justification: "Introducing Bob as the new contact.", attestation: true }));
  assert.equal(LG.buildApprovalPayload(DRAFT, CLIENT, "x", "yes").attestation, false);
});

// --- verdict -> event.completed ----------------------------------------------------------------------------

test("allow lets the message go", () => {
  assert.deepEqual(LG.completedOptionsFor(answer("allow"), LG.fallbackTexts("en")), { allowEvent: true });
});

test("warn holds the message with the server's text and lets the user send anyway", () => {
  const options = LG.completedOptionsFor(answer("warn", { dialog: "Please check before sending:\nA." }), LG.fallbackTexts("en"));
  assert.equal(options.allowEvent, false);
  assert.equal(options.errorMessage, "Please check before sending:\nA.");
  assert.equal(options.sendModeOverride, "promptUser");
  assert.equal(options.commandId, undefined);
});

for (const language of LANGUAGES) {
  test(`require_approval holds the message with a sign-off button opening the task pane (${language})`, () => {
    const options = LG.completedOptionsFor(answer("require_approval"), LG.fallbackTexts(language));
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, answer("require_approval").dialog);
    assert.equal(options.commandId, "LeaverGuardTaskPane");
    assert.equal(options.cancelLabel, LG.FALLBACK_TEXTS[language].signOff);
    assert.ok(options.cancelLabel.length <= 20);
    assert.equal(options.sendModeOverride, undefined, "no Send anyway: only HR can lift it");
  });
}

test("block holds the message with the reasons and no way to send anyway", () => {
  const dialog = "This message cannot be sent:\nClient recipients: kim@contoso.example. You are on garden leave: this cannot be sent.";
  const options = LG.completedOptionsFor(answer("block", { dialog }), LG.fallbackTexts("en"));
  assert.equal(options.allowEvent, false);
  assert.equal(options.errorMessage, dialog);
  assert.equal(options.sendModeOverride, undefined);
  assert.equal(options.commandId, undefined);
  assert.equal(options.cancelLabel, undefined);
});

test("a dialog over 500 characters is cut for both the plain and the Markdown message", () => {
  const dialog = "Head:\n" + Array.from({ length: 20 }, (_, i) => `Finding ${i}: ` + "x".repeat(40)).join("\n");
  const options = LG.completedOptionsFor(answer("block", { dialog }), LG.fallbackTexts("en"));
  assert.equal(options.errorMessage.length, 500);
  assert.ok(options.errorMessage.endsWith("…"));
  assert.ok(options.errorMessageMarkdown.length <= 500);
});

test("the Markdown message puts each finding on its own bullet and escapes formatting characters", () => {
  const markdown = LG.dialogMarkdown("Please check:\nWebmail: ana_garcia@gmail.com\nText *looks* like [this]");
  assert.equal(markdown, "Please check:\n\n- Webmail: ana\\_garcia@gmail.com\r- Text \\*looks\\* like \\[this\\]\r");
  assert.equal(LG.dialogMarkdown(""), "");
});

test("an answer with a verdict this script does not know gives no options (the caller applies the fail mode)", () => {
  assert.equal(LG.completedOptionsFor({ verdict: "quarantine" }, LG.fallbackTexts("en")), null);
  assert.equal(LG.completedOptionsFor(null, LG.fallbackTexts("en")), null);
});

// --- fallback texts and fail modes -------------------------------------------------------------------------

test("every language has every fallback text, within Outlook's limits", () => {
  for (const language of LANGUAGES) {
    const texts = LG.FALLBACK_TEXTS[language];
    assert.deepEqual(Object.keys(texts).sort(), [
      "refused",
      "signIn",
      "signInNeeded",
      "signOff",
      "unavailableClosed",
      "unavailableOpen",
    ]);
    assert.ok(texts.signOff.length <= 20, `${language} label: ${texts.signOff.length} chars`);
    assert.ok(texts.signIn.length <= 20, `${language} label: ${texts.signIn.length} chars`);
    assert.ok(texts.refused.length <= 300 && texts.signInNeeded.length <= 500);
    assert.ok(texts.unavailableOpen.length <= 500);
    assert.ok(texts.unavailableClosed.length <= 500);
  }
});

test("an unsupported language falls back to English texts", () => {
  assert.equal(LG.fallbackTexts("de-DE"), LG.FALLBACK_TEXTS.en);
});

for (const language of LANGUAGES) {
  test(`fail-open warns and lets the user send anyway (${language})`, () => {
    assert.deepEqual(LG.unavailableOptions("open", LG.fallbackTexts(language)), {
      allowEvent: false,
      errorMessage: LG.FALLBACK_TEXTS[language].unavailableOpen,
      sendModeOverride: "promptUser",
    });
  });

  test(`fail-closed holds the message with an explanation (${language})`, () => {
    assert.deepEqual(LG.unavailableOptions("closed", LG.fallbackTexts(language)), {
      allowEvent: false,
      errorMessage: LG.FALLBACK_TEXTS[language].unavailableClosed,
    });
  });
}

test("an unset fail mode is open, the server's default", () => {
  assert.equal(LG.unavailableOptions(undefined, LG.fallbackTexts("en")).sendModeOverride, "promptUser");
});

// --- banners -----------------------------------------------------------------------------------------------

test("a banner is an informational notification of at most 150 characters", () => {
  const banner = LG.bannerFor(answer("require_approval", { banner: "b".repeat(200) }));
  assert.equal(banner.type, "informationalMessage");
  assert.equal(banner.message.length, 150);
  assert.equal(banner.persistent, true);
  assert.ok(banner.icon);
});

test("allow, or an answer with no banner text, removes the banner", () => {
  assert.equal(LG.bannerFor(answer("allow")), null);
  assert.equal(LG.bannerFor(answer("warn", { banner: "" })), null);
  assert.equal(LG.bannerFor(null), null);
});

// --- timeouts and requests ---------------------------------------------------------------------------------

test("the timeout defaults to 3.5 s and stays well under Outlook's 5 s", () => {
  assert.equal(LG.timeoutOf({}), 3500);
  assert.equal(LG.timeoutOf({ timeoutMs: 9000 }), 4500);
  assert.equal(LG.timeoutOf({ timeoutMs: 10 }), 500);
  assert.equal(LG.timeoutOf({ timeoutMs: "soon" }), 3500);
});

test("withTimeout rejects with a timeout error and calls onTimeout when the promise is too slow", async () => {
  let aborted = false;
  await assert.rejects(LG.withTimeout(new Promise(() => {}), 20, () => (aborted = true)), { kind: "timeout" });
  assert.ok(aborted);
  assert.equal(await LG.withTimeout(Promise.resolve(7), 20), 7);
});

test("a request that gets no answer in time is aborted", async () => {
  let signal;
  const hanging = (url, init) => {
    signal = init.signal;
    return new Promise(() => {});
  };
  await assert.rejects(LG.requestJson(hanging, "GET", "https://lg.example/api/v1/x", {}, undefined, 30), {
    kind: "timeout",
  });
  assert.equal(signal.aborted, true);
});

test("a request the network refuses is reported as unreachable", async () => {
  const refused = () => Promise.reject(new TypeError("Failed to fetch"));
  await assert.rejects(LG.requestJson(refused, "GET", "https://lg.example/x", {}, undefined, 500), {
    kind: "unreachable",
  });
});

test("API URLs are absolute, under the configured base", () => {
  assert.equal(LG.apiUrl({ apiBase: "https://lg.example/" }, "/check"), "https://lg.example/api/v1/check");
});

// --- refusal or outage -----------------------------------------------------------------------------------------

const error = (kind, status, detail) => new LG.LeaverGuardError(kind, detail, status);
const OUTAGES = [
  ["no connection", error("unreachable")],
  ["no answer in time", error("timeout")],
  ["a 500", error("rejected", 500, "something went wrong")],
  ["a 502 from a proxy", error("rejected", 502)],
  ["a 503", error("rejected", 503, "the decision service cannot reach its database")],
  ["no Entra ID application configured", error("config", 0, "no Entra ID application is configured")],
  ["Outlook failing to read the draft", error("office", 0, "body unreadable")],
];
const REFUSALS = [400, 404, 409, 413, 415, 422, 429];

for (const language of LANGUAGES) {
  const texts = LG.fallbackTexts(language);
  for (const failMode of ["open", "closed"]) {
    for (const [what, failure] of OUTAGES) {
      test(`${what} is an outage: fail-${failMode} applies (${language})`, () => {
        assert.deepEqual(LG.failureOptions(failure, failMode, texts), LG.unavailableOptions(failMode, texts));
      });
    }
    for (const status of REFUSALS) {
      test(`a ${status} is a refusal: held with the server's reason, never Send anyway, in fail-${failMode} (${language})`, () => {
        const options = LG.failureOptions(error("rejected", status, "1 problem(s) in the request"), failMode, texts);
        assert.equal(options.allowEvent, false);
        assert.equal(options.sendModeOverride, undefined);
        assert.equal(options.errorMessage, texts.refused + " 1 problem(s) in the request");
      });
    }
    for (const [what, failure] of [
      ["a 401", error("rejected", 401, "the token has expired")],
      ["a token Outlook could not get", error("auth", 0, "13001")],
    ]) {
      test(`${what} holds the message with a button to sign in again in fail-${failMode} (${language})`, () => {
        const options = LG.failureOptions(failure, failMode, texts);
        assert.deepEqual(options, {
          allowEvent: false,
          errorMessage: texts.signInNeeded,
          cancelLabel: texts.signIn,
          commandId: "LeaverGuardTaskPane",
        });
      });
    }
  }
}

test("a refusal's long reason is cut to Outlook's 500 characters", () => {
  const options = LG.failureOptions(error("rejected", 400, "x".repeat(900)), "open", LG.fallbackTexts("en"));
  assert.equal(options.errorMessage.length, 500);
});

// --- the body cut and content hashes --------------------------------------------------------------------------

const bytesOf = (text) => Buffer.from(text, "utf8");
const hexOf = (data) => nodeCrypto.createHash("sha256").update(data).digest("hex");

for (const text of ["", "plain ascii", "Добрый день", "€uro", "emoji 😀 and more 👍🏽", "\u0000\u007f\u0080\u07ff\u0800\uffff"]) {
  test(`utf8Bytes encodes ${JSON.stringify(text).slice(0, 30)} as UTF-8`, () => {
    assert.deepEqual(Buffer.from(LG.utf8Bytes(text)), bytesOf(text));
  });
}

const CUTS = [
  ["ascii under the limit", "hello", 10, "hello", false],
  ["ascii at the limit", "hello", 5, "hello", false],
  ["ascii over the limit", "hello!", 5, "hello", true],
  ["a three-byte character is not split", "€€€", 7, "€€", true],
  ["a surrogate pair is not split", "a😀b", 4, "a", true],
  ["a surrogate pair that fits is kept", "a😀b", 5, "a😀", true],
];
for (const [what, text, limit, cut, truncated] of CUTS) {
  test(`cutText: ${what}`, () => {
    const result = LG.cutText(text, limit);
    assert.deepEqual(result, { text: cut, truncated });
    assert.ok(bytesOf(result.text).length <= limit);
  });
}

test("cutText cuts 340,000 euro signs to the million bytes the server reads", () => {
  const result = LG.cutText("€".repeat(340000), 1000000);
  assert.equal(result.truncated, true);
  assert.equal(bytesOf(result.text).length, 999999); // 333,333 whole characters
});

test("wellFormed replaces lone surrogates, which the server cannot take as text, and keeps pairs", () => {
  assert.equal(LG.wellFormed("a\ud800b\udc00c😀"), "a\ufffdb\ufffdc😀");
  assert.equal(LG.wellFormed("x\ud83d"), "x\ufffd");
});

for (const size of [0, 1, 2, 3, 4, 5, 1000]) {
  test(`base64Bytes decodes ${size} bytes as Outlook sends them (padding and line breaks included)`, () => {
    const data = nodeCrypto.randomBytes(size);
    const wrapped = data.toString("base64").replace(/(.{76})/g, "$1\r\n");
    assert.deepEqual(Buffer.from(LG.base64Bytes(wrapped)), data);
  });
}

test("sha256Hex is the SHA-256 of the bytes in lowercase hex", async () => {
  assert.equal(await LG.sha256Hex(LG.utf8Bytes("abc")), hexOf("abc"));
});

test("attachments carry their content hash where one was taken", () => {
  assert.deepEqual(LG.attachmentsOf(DRAFT.attachments, ["ab".repeat(32), undefined, undefined]), [
    { name: "handover.pdf", size: 12345, sha256: "ab".repeat(32) },
    { name: "logo.png", size: 2048 },
    { name: "plan.docx", size: 0 },
  ]);
});

test("a cut body goes with body_truncated and the whole body's hash", () => {
  const payload = LG.buildCheckPayload("send", { to: [], body: "cut", bodyTruncated: true, bodySha256: "cd".repeat(32) }, CLIENT);
  assert.equal(payload.body_truncated, true);
  assert.equal(payload.body_sha256, "cd".repeat(32));
  assert.equal("body_truncated" in LG.buildCheckPayload("send", { to: [], body: "whole" }, CLIENT), false);
});

// --- the contract of the script itself -----------------------------------------------------------------------

test("the script is self-contained: no import, no DOM, no Office.onReady, nothing newer than ES2017", () => {
  const fs = require("node:fs");
  const path = require("node:path");
  const source = fs.readFileSync(path.join(__dirname, "../../addin/outlook/commands.js"), "utf8");
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, ""); // comments may mention them
  assert.doesNotMatch(code, /^\s*import\b|\bimport\s*\(|\brequire\s*\(/m);
  assert.doesNotMatch(code, /\b(document|window|localStorage)\b/);
  assert.doesNotMatch(code, /Office\.onReady|Office\.initialize/);
  assert.doesNotMatch(code, /\?\.|\?\?/);
  assert.match(code, /Office\.actions\.associate\("onMessageSendHandler"/);
});
