/**
 * The JMAP Session resource (RFC 8620 §2).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Account } from "../../core/store/types.ts";
import type { Config } from "../../core/config/types.ts";
import { accountCapabilities, Capability, PRINCIPALS_OWNER, sessionCapabilities } from "./capabilities.ts";
import type { SharedAccount } from "./mailbox_sharing.ts";
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

/**
 * The session state: changes whenever anything in the Session object would change (accounts
 * shared with the user included, RFC 9670).
 */
export function sessionState(
  account: Account,
  config: Config,
  shared: readonly SharedAccount[] = [],
): string {
  const others = shared.map((s) => [s.owner.id, s.owner.address, s.readOnly]);
  const input = JSON.stringify([
    account.id,
    account.address,
    account.displayName,
    sessionCapabilities(config),
    others,
  ]);
  // Every API request states it: the digest of an input seen before is remembered (issue 24).
  let state = stateDigests.get(input);
  if (state === undefined) {
    state = createHash("sha256").update(input).digest("base64url").slice(0, 16);
    if (stateDigests.size >= STATE_DIGESTS_MAX) stateDigests.clear();
    stateDigests.set(input, state);
  }
  return state;
}

/** Session state digests by their input (`sessionState`), at most `STATE_DIGESTS_MAX`. */
const stateDigests = new Map<string, string>();
const STATE_DIGESTS_MAX = 10_000;

/** Builds the Session object for an account; URLs are absolute on `origin`. */
export function sessionObject(
  account: Account,
  config: Config,
  origin: string,
  shared: readonly SharedAccount[] = [],
): Record<string, unknown> {
  const mail = accountCapabilities(config)[Capability.mail] as Record<string, unknown>;
  // RFC 9670 §2.1: each account names its owner; a shared account holds only the mail shared.
  const sharedEntries = Object.fromEntries(shared.map((s) => [s.owner.id, {
    name: s.owner.address,
    isPersonal: false,
    isReadOnly: s.readOnly,
    accountCapabilities: {
      [Capability.mail]: { ...mail, mayCreateTopLevelMailbox: false },
      [PRINCIPALS_OWNER]: { accountIdForPrincipal: s.owner.id, principalId: s.owner.id },
    },
  }]));
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
        accountCapabilities: {
          ...accountCapabilities(config),
          [Capability.principals]: { currentUserPrincipalId: account.id },
          [PRINCIPALS_OWNER]: { accountIdForPrincipal: account.id, principalId: account.id },
        },
      },
      ...sharedEntries,
    },
    primaryAccounts: {
      [Capability.mail]: account.id,
      [Capability.submission]: account.id,
      [Capability.vacationResponse]: account.id,
      [Capability.blob]: account.id,
      [Capability.mdn]: account.id,
      [Capability.quota]: account.id,
      [Capability.sieve]: account.id,
      [Capability.principals]: account.id,
    },
    username: account.address,
    apiUrl: `${origin}${JmapPath.api}`,
    downloadUrl: `${origin}${JmapPath.download}/{accountId}/{blobId}/{name}?accept={type}`,
    uploadUrl: `${origin}${JmapPath.upload}/{accountId}/`,
    eventSourceUrl: `${origin}${JmapPath.eventSource}?types={types}&closeafter={closeafter}&ping={ping}`,
    state: sessionState(account, config, shared),
  };
}
