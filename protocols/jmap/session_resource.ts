/**
 * The JMAP Session resource (RFC 8620 §2).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Account } from "../../core/store/types.ts";
import type { Config } from "../../core/config/types.ts";
import { accountCapabilities, Capability, sessionCapabilities } from "./capabilities.ts";
import { WEBSOCKET_CAPABILITY } from "./websocket.ts";

/** Paths served by the JMAP app. */
export const JmapPath = {
  wellKnown: "/.well-known/jmap",
  session: "/jmap/session",
  api: "/jmap/api",
  upload: "/jmap/upload",
  download: "/jmap/download",
  eventSource: "/jmap/eventsource",
  webSocket: "/jmap/ws",
} as const;

/** The session state: changes whenever anything in the Session object would change. */
export function sessionState(account: Account, config: Config): string {
  return createHash("sha256")
    .update(JSON.stringify([account.id, account.address, account.displayName, sessionCapabilities(config)]))
    .digest("base64url")
    .slice(0, 16);
}

/** Builds the Session object for an account; URLs are absolute on `origin`. */
export function sessionObject(account: Account, config: Config, origin: string): Record<string, unknown> {
  return {
    capabilities: {
      ...sessionCapabilities(config),
      // RFC 8887 §4.1.
      [WEBSOCKET_CAPABILITY]: {
        url: `${origin.replace(/^http/, "ws")}${JmapPath.webSocket}`,
        supportsPush: true,
      },
    },
    accounts: {
      [account.id]: {
        name: account.address,
        isPersonal: true,
        isReadOnly: false,
        accountCapabilities: accountCapabilities(config),
      },
    },
    primaryAccounts: {
      [Capability.mail]: account.id,
      [Capability.submission]: account.id,
      [Capability.vacationResponse]: account.id,
      [Capability.blob]: account.id,
      [Capability.mdn]: account.id,
      [Capability.quota]: account.id,
      [Capability.sieve]: account.id,
    },
    username: account.address,
    apiUrl: `${origin}${JmapPath.api}`,
    downloadUrl: `${origin}${JmapPath.download}/{accountId}/{blobId}/{name}?accept={type}`,
    uploadUrl: `${origin}${JmapPath.upload}/{accountId}/`,
    eventSourceUrl: `${origin}${JmapPath.eventSource}?types={types}&closeafter={closeafter}&ping={ping}`,
    state: sessionState(account, config),
  };
}
