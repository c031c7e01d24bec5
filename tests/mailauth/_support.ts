/**
 * Mail-authentication test support: DKIM/ARC keys generated per test run and published as TXT
 * records in the server's static DNS, messages signed with `mailauth` (the signer a remote domain
 * would run), and a nodemailer sender that can connect from another loopback address (SPF).
 * Not a test file itself.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import nodemailer from "nodemailer";
import { authenticate, dkimSign, sealMessage } from "mailauth";
import type { Config, QueueConfig } from "../../core/config/types.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";
import {
  CachingDns,
  LookupBudget,
  type MailauthResolver,
  mailauthResolver,
} from "../../core/dns/cached_resolver.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { systemClock } from "../../core/clock.ts";
import type { Account } from "../../core/store/types.ts";
import { startServer, type WireEnv } from "../smtp/_server.ts";

/** A record of `[[queue.static_dns]]` (the zone the test server answers from). */
export type ZoneRecord = NonNullable<QueueConfig["static_dns"]>[number];

/** A signing key and the DNS record that publishes it. */
export interface TestKey {
  domain: string;
  selector: string;
  algorithm: "rsa-sha256" | "ed25519-sha256";
  privateKey: string;
  record: ZoneRecord;
}

/** A fresh key for `selector._domainkey.domain` (RFC 6376 §3.6.1; ed25519: RFC 8463 §4). */
export function makeKey(domain: string, selector: string, type: "rsa" | "ed25519" = "rsa"): TestKey {
  if (type === "rsa") {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    return {
      domain,
      selector,
      algorithm: "rsa-sha256",
      privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      record: { name: `${selector}._domainkey.${domain}`, type: "TXT", value: `v=DKIM1; k=rsa; p=${p}` },
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // RFC 8463 §4.2: p= is the bare 32-byte public key.
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("base64");
  return {
    domain,
    selector,
    algorithm: "ed25519-sha256",
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: { name: `${selector}._domainkey.${domain}`, type: "TXT", value: `v=DKIM1; k=ed25519; p=${raw}` },
  };
}

/** `raw` with a DKIM-Signature of `key` (relaxed/relaxed) on top. */
export async function sign(raw: string, key: TestKey): Promise<string> {
  const sig = {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    algorithm: key.algorithm,
    canonicalization: "relaxed/relaxed",
  };
  const res = await dkimSign(Buffer.from(raw), { ...sig, signatureData: [sig] });
  if (res.errors.length > 0) throw new Error(String(res.errors[0]?.err));
  return res.signatures + raw;
}

/** A resolver over `records` in mailauth's shape (what a forwarder in the test would ask). */
export function resolverOf(records: ZoneRecord[]): MailauthResolver {
  return mailauthResolver(
    new CachingDns(new StaticDnsResolver(records), systemClock, 0),
    new LookupBudget(1000),
  );
}

/**
 * What a forwarder (`key.domain`) does: authenticates the message as it arrived from `ip`,
 * changes it (a footer: the origin's DKIM signature breaks), then seals it (RFC 8617 §5.1) with the
 * results it saw.
 */
export async function forward(
  raw: string,
  key: TestKey,
  records: ZoneRecord[],
  arrival: { ip: string; helo: string; sender: string },
): Promise<string> {
  const seen = await authenticate(Buffer.from(raw), {
    ...arrival,
    mta: key.domain,
    resolver: resolverOf(records),
    disableBimi: true,
  });
  const changed = raw + "-- \r\nsent through the list at " + key.domain + "\r\n";
  const arc = seen.arc;
  const authResults = arc ? String(arc.authResults ?? "") : "";
  const headers = await sealMessage(Buffer.from(changed), {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    algorithm: key.algorithm,
    cv: "none",
    authResults,
  });
  return headers.toString() + changed;
}

/** The default server records: SPF of the test sender domains. */
export function spfRecord(domain: string, policy: string): ZoneRecord {
  return { name: domain, type: "TXT", value: policy };
}

/** Starts the wire-test server (mx.test, alice@ and bob@example.org) with checks on and `records`. */
export async function startAuthServer(
  records: ZoneRecord[],
  checks: DeepPartial<NonNullable<Config["smtp"]["checks"]>> = {},
): Promise<WireEnv> {
  return await startServer({
    smtp: {
      checks: { spf: true, dkim: true, dmarc: true, arc: true, ...checks },
    },
    queue: { static_dns: [{ name: "tern-test.invalid", type: "A", value: "127.0.0.1" }, ...records] },
  });
}

/** Result of one SMTP transaction. */
export interface SendResult {
  ok: boolean;
  /** The server's final reply line. */
  response: string;
  code: number;
}

/** Sends `raw` over plain SMTP with nodemailer, from `localAddress` (a loopback address). */
export async function send(
  env: WireEnv,
  raw: string,
  opts: { from: string | null; to?: string[]; localAddress?: string; helo?: string },
): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: env.port("smtp"),
    ignoreTLS: true,
    name: opts.helo ?? "client.sender.test",
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: opts.from ?? "", to: opts.to ?? ["alice@example.org"] },
      raw,
    });
    return { ok: true, response: info.response, code: Number(info.response.slice(0, 3)) };
  } catch (e) {
    const err = e as { response?: string; responseCode?: number; message?: string };
    return { ok: false, response: err.response ?? String(err.message), code: err.responseCode ?? 0 };
  } finally {
    transport.close();
  }
}

/** Raw messages of an account's mailbox with `role`, in UID order, as text. */
export async function mailbox(env: WireEnv, account: Account, role: "inbox" | "junk"): Promise<string[]> {
  const store = env.srv.context.store;
  const box = await store.getMailboxByRole(account.id, role);
  const out: string[] = [];
  for (const p of await store.listPlacements(account.id, box!.id)) {
    out.push(new TextDecoder("latin1").decode((await store.readMessage(account.id, p.messageId))!));
  }
  return out;
}

/** The header section of a stored message. */
export function headerOf(raw: string): string {
  const end = raw.indexOf("\r\n\r\n");
  return end === -1 ? raw : raw.slice(0, end + 2);
}

/** The Authentication-Results fields of a header section, unfolded. */
export function authResults(raw: string): string[] {
  const fields = headerOf(raw).split(/\r\n(?![ \t])/);
  return fields.filter((f) => /^authentication-results:/i.test(f)).map((f) => f.replace(/\r\n[ \t]+/g, " "));
}

/** A plain message from `from` to alice. */
export function message(from: string, subject = "hello", body = "Hello Alice.\r\n"): string {
  return `From: ${from}\r\nTo: alice@example.org\r\nSubject: ${subject}\r\n` +
    `Date: Sun, 06 Dec 2026 12:00:00 +0000\r\nMessage-ID: <${crypto.randomUUID()}@test>\r\n\r\n${body}`;
}
