/**
 * Client autoconfiguration documents, generated from the listeners of the configuration:
 * - Thunderbird's autoconfig `config-v1.1.xml` (the Mozilla ISPDB format);
 * - Outlook's POX autodiscover response (the 2006a "outlook" response schema);
 * - an Apple configuration profile (`.mobileconfig`, a property list with one `com.apple.mail.managed`
 *   payload) for one address.
 * Pure formatters: the HTTP routes in protocols/autoconfig/ serve them.
 *
 * @module
 */
import type { Config, ListenerConfig, ListenerName } from "../config/types.ts";

/** One way a client can reach a service. */
export interface ServiceEndpoint {
  /** Which kind of service. */
  kind: "imap" | "pop3" | "smtp";
  hostname: string;
  port: number;
  /** Implicit TLS (RFC 8314) or STARTTLS. Plain-text listeners are never offered. */
  security: "tls" | "starttls";
}

const CLIENT_LISTENERS: [ListenerName, ServiceEndpoint["kind"]][] = [
  // RFC 8314 §3: implicit TLS first, STARTTLS as the fallback.
  ["imaps", "imap"],
  ["imap", "imap"],
  ["pop3s", "pop3"],
  ["pop3", "pop3"],
  ["submissions", "smtp"],
  ["submission", "smtp"],
];

function security(l: ListenerConfig): ServiceEndpoint["security"] | null {
  if (l.tls === "implicit") return "tls";
  if (l.tls === "starttls") return "starttls";
  return null;
}

/** The enabled client-facing listeners with TLS, implicit TLS first per service. */
export function clientEndpoints(config: Config): ServiceEndpoint[] {
  const out: ServiceEndpoint[] = [];
  for (const [name, kind] of CLIENT_LISTENERS) {
    const l = config.listeners[name];
    const sec = l?.enabled ? security(l) : null;
    if (sec) out.push({ kind, hostname: config.hostname, port: l.port, security: sec });
  }
  return out;
}

/** XML character data escaping (XML 1.0 §2.4). */
export function xmlEscape(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!,
  );
}

/**
 * Thunderbird's autoconfig document for `domain`. The user name is the whole address
 * (`%EMAILADDRESS%`, filled in by the client).
 */
export function thunderbirdConfig(domain: string, displayName: string, endpoints: ServiceEndpoint[]): string {
  const server = (e: ServiceEndpoint) => {
    const tag = e.kind === "smtp" ? "outgoingServer" : "incomingServer";
    return [
      `    <${tag} type="${e.kind}">`,
      `      <hostname>${xmlEscape(e.hostname)}</hostname>`,
      `      <port>${e.port}</port>`,
      `      <socketType>${e.security === "tls" ? "SSL" : "STARTTLS"}</socketType>`,
      `      <authentication>password-cleartext</authentication>`,
      `      <username>%EMAILADDRESS%</username>`,
      `    </${tag}>`,
    ].join("\n");
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<clientConfig version="1.1">`,
    `  <emailProvider id="${xmlEscape(domain)}">`,
    `    <domain>${xmlEscape(domain)}</domain>`,
    `    <displayName>${xmlEscape(displayName)}</displayName>`,
    `    <displayShortName>${xmlEscape(domain)}</displayShortName>`,
    ...endpoints.filter((e) => e.kind !== "smtp").map(server),
    ...endpoints.filter((e) => e.kind === "smtp").map(server),
    `  </emailProvider>`,
    `</clientConfig>`,
    ``,
  ].join("\n");
}

/** The namespace of the Outlook POX response schema this server answers with. */
export const AUTODISCOVER_RESPONSE_SCHEMA =
  "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/**
 * The address in an autodiscover POX request (`<EMailAddress>`), or null when the body has none.
 * A regular expression over a bounded body: the request is a fixed, tiny document.
 */
export function autodiscoverRequestAddress(body: string): string | null {
  const m = /<(?:\w+:)?EMailAddress>\s*([^<\s]+)\s*<\/(?:\w+:)?EMailAddress>/i.exec(body);
  return m ? m[1]! : null;
}

/** Outlook's POX autodiscover response for `address` (one IMAP, one POP3 and one SMTP protocol block). */
export function outlookAutodiscover(address: string, endpoints: ServiceEndpoint[]): string {
  const first = (kind: ServiceEndpoint["kind"]) => endpoints.find((e) => e.kind === kind);
  const protocol = (type: string, e: ServiceEndpoint | undefined) =>
    e
      ? [
        `      <Protocol>`,
        `        <Type>${type}</Type>`,
        `        <Server>${xmlEscape(e.hostname)}</Server>`,
        `        <Port>${e.port}</Port>`,
        `        <LoginName>${xmlEscape(address)}</LoginName>`,
        `        <DomainRequired>off</DomainRequired>`,
        `        <SPA>off</SPA>`,
        // "SSL" is implicit TLS, "TLS" is STARTTLS in this schema.
        `        <Encryption>${e.security === "tls" ? "SSL" : "TLS"}</Encryption>`,
        `        <AuthRequired>on</AuthRequired>`,
        ...(type === "SMTP"
          ? [`        <UsePOPAuth>on</UsePOPAuth>`, `        <SMTPLast>off</SMTPLast>`]
          : []),
        `      </Protocol>`,
      ]
      : [];
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">`,
    `  <Response xmlns="${AUTODISCOVER_RESPONSE_SCHEMA}">`,
    `    <Account>`,
    `      <AccountType>email</AccountType>`,
    `      <Action>settings</Action>`,
    ...protocol("IMAP", first("imap")),
    ...protocol("POP3", first("pop3")),
    ...protocol("SMTP", first("smtp")),
    `    </Account>`,
    `  </Response>`,
    `</Autodiscover>`,
    ``,
  ].join("\n");
}

/** The UUIDs of a profile; stable per address so a re-download replaces the installed profile. */
export interface ProfileIds {
  profileUuid: string;
  payloadUuid: string;
}

/** A plist value. */
type Plist = string | number | boolean | Plist[] | { [key: string]: Plist };

function plist(v: Plist, indent: string): string {
  if (typeof v === "string") return `${indent}<string>${xmlEscape(v)}</string>`;
  if (typeof v === "number") return `${indent}<integer>${Math.trunc(v)}</integer>`;
  if (typeof v === "boolean") return `${indent}<${v}/>`;
  if (Array.isArray(v)) {
    return [
      `${indent}<array>`,
      ...v.map((x) => plist(x, indent + "  ")),
      `${indent}</array>`,
    ].join("\n");
  }
  return [
    `${indent}<dict>`,
    ...Object.entries(v).flatMap((
      [k, x],
    ) => [`${indent}  <key>${xmlEscape(k)}</key>`, plist(x, indent + "  ")]),
    `${indent}</dict>`,
  ].join("\n");
}

/**
 * An unsigned Apple configuration profile with one mail account (IMAP, else POP3, plus SMTP) for
 * `address`; the user is asked for the password when installing it.
 */
export function appleMobileconfig(
  address: string,
  displayName: string,
  hostname: string,
  endpoints: ServiceEndpoint[],
  ids: ProfileIds,
): string {
  const incoming = endpoints.find((e) => e.kind === "imap") ?? endpoints.find((e) => e.kind === "pop3");
  const outgoing = endpoints.find((e) => e.kind === "smtp");
  if (!incoming || !outgoing) throw new RangeError("no TLS listener for incoming or outgoing mail");
  const reverse = hostname.split(".").reverse().join(".");
  const account: Plist = {
    EmailAccountDescription: address,
    EmailAccountName: displayName,
    EmailAccountType: incoming.kind === "imap" ? "EmailTypeIMAP" : "EmailTypePOP",
    EmailAddress: address,
    IncomingMailServerAuthentication: "EmailAuthPassword",
    IncomingMailServerHostName: incoming.hostname,
    IncomingMailServerPortNumber: incoming.port,
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: address,
    OutgoingMailServerAuthentication: "EmailAuthPassword",
    OutgoingMailServerHostName: outgoing.hostname,
    OutgoingMailServerPortNumber: outgoing.port,
    OutgoingMailServerUseSSL: true,
    OutgoingMailServerUsername: address,
    OutgoingPasswordSameAsIncomingPassword: true,
    PayloadDisplayName: `Mail (${address})`,
    PayloadIdentifier: `${reverse}.mail.${ids.payloadUuid}`,
    PayloadType: "com.apple.mail.managed",
    PayloadUUID: ids.payloadUuid,
    PayloadVersion: 1,
  };
  const profile: Plist = {
    PayloadContent: [account],
    PayloadDescription: `Mail settings for ${address}`,
    PayloadDisplayName: `${displayName} mail`,
    PayloadIdentifier: `${reverse}.profile.${ids.profileUuid}`,
    PayloadRemovalDisallowed: false,
    PayloadType: "Configuration",
    PayloadUUID: ids.profileUuid,
    PayloadVersion: 1,
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    `<plist version="1.0">`,
    plist(profile, ""),
    `</plist>`,
    ``,
  ].join("\n");
}

/** A UUID derived from a name (SHA-256 based, version nibble 8 as RFC 9562 §5.8 allows for custom UUIDs). */
export async function nameUuid(name: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name))).slice(
    0,
    16,
  );
  d[6] = (d[6]! & 0x0f) | 0x80;
  d[8] = (d[8]! & 0x3f) | 0x80;
  const h = [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
    .toUpperCase();
}
