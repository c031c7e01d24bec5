/**
 * SASL tampering is refused: SCRAM-SHA-256 with an altered nonce, an altered proof, a changed
 * channel-binding flag or a channel binding the server does not offer; PLAIN with the authzid of
 * another user; malformed base64; the `*` cancel (RFC 4422 §3.7) — over IMAP AUTHENTICATE and SMTP
 * AUTH. After each refusal the same connection still authenticates correctly, and the server still
 * serves normal clients.
 */
import assert from "node:assert/strict";
import { type AttackEnv, PASSWORDS, readTagged, smtpCmd, smtpReply, startAttackEnv } from "./_env.ts";
import { LineClient } from "../support/line_client.ts";
import { ScramClient } from "../auth/scram_client.ts";

const USER = "alice@example.org";
const b64 = (s: string) => btoa(s);

/** A tampering: the client-first (gs2 header + bare) and a change to the client-final. */
interface Scram {
  name: string;
  flag?: "y";
  first?: (first: string) => string;
  final: (final: string) => string;
}

const SCRAM_TAMPERINGS: Scram[] = [
  { name: "altered nonce", final: (f) => f.replace(/,r=([^,]+)/, (_m, n) => `,r=${n}x`) },
  { name: "altered proof", final: (f) => f.replace(/p=(.)/, (_m, c) => `p=${c === "A" ? "B" : "A"}`) },
  // The client said "n" (no channel binding); the final message claims "y" (RFC 5802 §6).
  { name: "channel-binding flag changed", final: (f) => f.replace(/^c=biws/, `c=${b64("y,,")}`) },
  // A binding the server never offered (no -PLUS mechanism).
  { name: "unoffered channel binding", first: (f) => f.replace(/^n,/, "p=tls-unique,"), final: (f) => f },
];

/** Runs one SCRAM exchange over IMAP AUTHENTICATE; returns the tagged reply. */
async function imapScram(c: LineClient, t: Scram | null): Promise<string> {
  const client = new ScramClient(USER, PASSWORDS.alice);
  const first = t?.first ? t.first(client.first()) : client.first();
  await c.line(`s AUTHENTICATE SCRAM-SHA-256 ${b64(first)}`);
  const serverFirst = (await c.read())!;
  if (!serverFirst.startsWith("+ ")) return serverFirst;
  const final = client.final(atob(serverFirst.slice(2)));
  await c.line(b64(t ? t.final(final) : final));
  const next = (await c.read())!;
  if (!next.startsWith("+ ")) return next;
  assert.equal(client.verifyServerFinal(atob(next.slice(2))), true);
  await c.line("");
  return (await readTagged(c, "s")).at(-1)!;
}

/** Runs one SCRAM exchange over SMTP AUTH; returns the final reply. */
async function smtpScram(c: LineClient, t: Scram | null): Promise<string> {
  const client = new ScramClient(USER, PASSWORDS.alice);
  const first = t?.first ? t.first(client.first()) : client.first();
  const serverFirst = await smtpCmd(c, `AUTH SCRAM-SHA-256 ${b64(first)}`);
  if (!serverFirst.startsWith("334 ")) return serverFirst;
  const final = client.final(atob(serverFirst.slice(4)));
  const next = await smtpCmd(c, b64(t ? t.final(final) : final));
  if (!next.startsWith("334 ")) return next;
  assert.equal(client.verifyServerFinal(atob(next.slice(4))), true);
  return await smtpCmd(c, "");
}

async function imapConn(env: AttackEnv): Promise<LineClient> {
  const c = await LineClient.connect(env.port("imap"));
  await c.read();
  return c;
}

async function smtpConn(env: AttackEnv): Promise<LineClient> {
  const c = await LineClient.connect(env.port("submission"));
  await smtpReply(c);
  await smtpCmd(c, "EHLO tamper.example.net");
  return c;
}

Deno.test("SASL tampering over IMAP AUTHENTICATE is refused; the connection then authenticates normally", async () => {
  const env = await startAttackEnv();
  try {
    const got: [string, string][] = [];
    for (const t of SCRAM_TAMPERINGS) {
      const c = await imapConn(env);
      try {
        got.push([`SCRAM ${t.name}`, await imapScram(c, t)]);
        assert.match(await imapScram(c, null), /^s OK /, `${t.name}: then a correct SCRAM works`);
      } finally {
        c.close();
      }
    }
    const plainLike: [string, string, string][] = [
      [
        "PLAIN authzid of another user",
        `AUTHENTICATE PLAIN ${b64(`bob@example.org\0${USER}\0${PASSWORDS.alice}`)}`,
        "",
      ],
      ["PLAIN malformed base64", "AUTHENTICATE PLAIN ***", ""],
      ["PLAIN cancelled", "AUTHENTICATE PLAIN", "*"],
      ["SCRAM cancelled", "AUTHENTICATE SCRAM-SHA-256", "*"],
      ["SCRAM malformed base64 in the response", "AUTHENTICATE SCRAM-SHA-256", "%%%"],
    ];
    for (const [name, command, response] of plainLike) {
      const c = await imapConn(env);
      try {
        await c.line(`p ${command}`);
        if (response) {
          assert.match((await c.read())!, /^\+ ?$/);
          await c.line(response);
        }
        got.push([name, (await readTagged(c, "p")).at(-1)!]);
        await c.line(`a LOGIN ${USER} ${PASSWORDS.alice}`);
        assert.match((await readTagged(c, "a")).at(-1)!, /^a OK /, `${name}: then LOGIN works`);
      } finally {
        c.close();
      }
    }
    const failed = "NO [AUTHENTICATIONFAILED] Authentication failed";
    assert.deepEqual(got, [
      ["SCRAM altered nonce", `s ${failed}`],
      ["SCRAM altered proof", `s ${failed}`],
      ["SCRAM channel-binding flag changed", `s ${failed}`],
      ["SCRAM unoffered channel binding", `s ${failed}`],
      ["PLAIN authzid of another user", `p ${failed}`],
      ["PLAIN malformed base64", "p BAD Invalid base64 initial response"],
      ["PLAIN cancelled", "p BAD Authentication cancelled"],
      ["SCRAM cancelled", "p BAD Authentication cancelled"],
      ["SCRAM malformed base64 in the response", "p BAD Invalid base64 response"],
    ]);
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("SASL tampering over SMTP AUTH is refused; the connection then authenticates normally", async () => {
  const env = await startAttackEnv();
  try {
    const got: [string, string][] = [];
    for (const t of SCRAM_TAMPERINGS) {
      const c = await smtpConn(env);
      try {
        got.push([`SCRAM ${t.name}`, await smtpScram(c, t)]);
        assert.match(await smtpScram(c, null), /^235 /, `${t.name}: then a correct SCRAM works`);
      } finally {
        c.close();
      }
    }
    const plainLike: [string, string, string][] = [
      [
        "PLAIN authzid of another user",
        `AUTH PLAIN ${b64(`bob@example.org\0${USER}\0${PASSWORDS.alice}`)}`,
        "",
      ],
      ["PLAIN malformed base64", "AUTH PLAIN ***", ""],
      ["PLAIN cancelled", "AUTH PLAIN", "*"],
      ["LOGIN cancelled", "AUTH LOGIN", "*"],
      ["SCRAM malformed base64 in the response", "AUTH SCRAM-SHA-256", "%%%"],
    ];
    for (const [name, command, response] of plainLike) {
      const c = await smtpConn(env);
      try {
        let reply = await smtpCmd(c, command);
        if (response) {
          assert.match(reply, /^334 ?/);
          reply = await smtpCmd(c, response);
        }
        got.push([name, reply]);
        assert.match(
          await smtpCmd(c, `AUTH PLAIN ${b64(`\0${USER}\0${PASSWORDS.alice}`)}`),
          /^235 /,
          `${name}: then PLAIN works`,
        );
      } finally {
        c.close();
      }
    }
    const invalid = "535 5.7.8 Authentication credentials invalid";
    assert.deepEqual(got, [
      ["SCRAM altered nonce", invalid],
      ["SCRAM altered proof", invalid],
      ["SCRAM channel-binding flag changed", invalid],
      ["SCRAM unoffered channel binding", invalid],
      ["PLAIN authzid of another user", invalid],
      ["PLAIN malformed base64", "501 5.5.2 Cannot decode response"],
      ["PLAIN cancelled", "501 5.7.0 Authentication cancelled"],
      ["LOGIN cancelled", "501 5.7.0 Authentication cancelled"],
      ["SCRAM malformed base64 in the response", "501 5.5.2 Cannot decode response"],
    ]);
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
