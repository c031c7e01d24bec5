/**
 * HELO/EHLO sanity (RFC 5321 §4.1.1.1, §2.3.5): the argument must be a fully qualified domain name
 * or an address literal, and never one of our own names (a client claiming to be us). An address
 * literal that is not the client's address is only reported: RFC 5321 §4.1.4 forbids refusing a
 * message because the HELO does not match the client.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** The verdict on a HELO argument. */
export interface HeloVerdict {
  /** bad: may be refused when configured; suspicious: logged only; ok. */
  status: "ok" | "suspicious" | "bad";
  reason: string;
}

/** Checks `helo` sent by `clientIp` to a server named `ourNames` (host name and local domains). */
export function checkHelo(helo: string, clientIp: string, ourNames: readonly string[]): HeloVerdict {
  const h = helo.trim().toLowerCase().replace(/\.$/, "");
  if (h === "") return { status: "bad", reason: "empty HELO" };
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/.exec(h);
  if (literal) {
    const addr = literal[1]!;
    if (!ipaddr.isValid(addr)) return { status: "bad", reason: "invalid address literal" };
    const same = ipaddr.process(addr).toNormalizedString() === safeNormal(clientIp);
    return same ? { status: "ok", reason: "address literal" } : {
      status: "suspicious",
      reason: "address literal is not the client's address",
    };
  }
  if (ourNames.some((n) => n.toLowerCase() === h)) return { status: "bad", reason: "HELO claims to be us" };
  if (ipaddr.isValid(h)) return { status: "bad", reason: "bare IP address instead of an address literal" };
  if (!h.includes(".")) return { status: "bad", reason: "not a fully qualified domain name" };
  const labels = h.split(".");
  if (!labels.every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    return { status: "bad", reason: "invalid domain name" };
  }
  return { status: "ok", reason: "domain name" };
}

function safeNormal(ip: string): string {
  try {
    return ipaddr.process(ip).toNormalizedString();
  } catch {
    return ip;
  }
}
