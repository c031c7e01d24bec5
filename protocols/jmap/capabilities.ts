/**
 * Capability identifiers and the limits Tern advertises (RFC 8620 §2, RFC 8621 §1.3).
 *
 * @module
 */
import type { Config } from "../../core/config/types.ts";
import { SIEVE_EXTENSIONS } from "../../core/sieve/validate.ts";
import { type SieveLimits, sieveLimits } from "../../core/sieve/settings.ts";

/** Capability URIs. */
export const Capability = {
  core: "urn:ietf:params:jmap:core",
  mail: "urn:ietf:params:jmap:mail",
  submission: "urn:ietf:params:jmap:submission",
  vacationResponse: "urn:ietf:params:jmap:vacationresponse",
  webSocket: "urn:ietf:params:jmap:websocket",
  blob: "urn:ietf:params:jmap:blob",
  mdn: "urn:ietf:params:jmap:mdn",
  quota: "urn:ietf:params:jmap:quota",
  sieve: "urn:ietf:params:jmap:sieve",
  // RFC 9670 §2.
  principals: "urn:ietf:params:jmap:principals",
} as const;

/** RFC 9670 §2.1: the account capability naming the principal that owns an account. */
export const PRINCIPALS_OWNER = "urn:ietf:params:jmap:principals:owner";

/** Every capability Tern implements. */
export const SUPPORTED_CAPABILITIES: ReadonlySet<string> = new Set(Object.values(Capability));

/** Limits of the core capability (RFC 8620 §2). */
export interface CoreLimits {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  collationAlgorithms: string[];
}

/** Maximum bytes of a mailbox name (RFC 8621 §1.3.1 maxSizeMailboxName). */
export const MAX_SIZE_MAILBOX_NAME = 255;
/** Maximum bytes of an attachment name (RFC 8621 maxSizeAttachmentsPerEmail). */
export const MAX_SIZE_ATTACHMENTS_PER_EMAIL = 50 * 1024 * 1024;

/** Most data sources in one Blob/upload creation (RFC 9404 §4.1 maxDataSources). */
export const MAX_DATA_SOURCES = 64;
/** Digest algorithms of Blob/get (RFC 9404 §4.1; names from the HTTP Digest Algorithm registry). */
export const DIGEST_ALGORITHMS: readonly string[] = ["sha", "sha-256"];
/** Data types Blob/lookup can search (RFC 9404 §4.1 supportedTypeNames). */
export const LOOKUP_TYPE_NAMES: readonly string[] = ["Email", "Mailbox", "Thread"];

/** The account capability object of `urn:ietf:params:jmap:blob` (RFC 9404 §4.1). */
export function blobAccountCapability(maxSizeBlobSet: number): Record<string, unknown> {
  return {
    maxSizeBlobSet,
    maxDataSources: MAX_DATA_SOURCES,
    supportedTypeNames: [...LOOKUP_TYPE_NAMES],
    supportedDigestAlgorithms: [...DIGEST_ALGORITHMS],
  };
}

/** The account capability object of `urn:ietf:params:jmap:sieve` (RFC 9661 §1.2.1). */
export function sieveAccountCapability(limits: SieveLimits): Record<string, unknown> {
  return {
    implementation: "Tern",
    // The ManageSieve name limit (core/sieve/validate.ts isScriptName).
    maxSizeScriptName: 128,
    maxSizeScript: limits.maxScriptBytes,
    maxNumberScripts: limits.maxScripts,
    maxNumberRedirects: limits.run.maxRedirects,
    sieveExtensions: [...SIEVE_EXTENSIONS],
    notificationMethods: null,
    externalLists: null,
  };
}

/** Core limits from the configuration. */
export function coreLimits(config: Config): CoreLimits {
  const j = config.jmap;
  return {
    maxSizeUpload: j.max_size_upload,
    maxConcurrentUpload: j.max_concurrent_upload,
    maxSizeRequest: j.max_size_request,
    maxConcurrentRequests: j.max_concurrent_requests,
    maxCallsInRequest: j.max_calls_in_request,
    maxObjectsInGet: j.max_objects_in_get,
    maxObjectsInSet: j.max_objects_in_set,
    collationAlgorithms: ["i;ascii-casemap", "i;unicode-casemap"],
  };
}

/** The session-level capabilities object (RFC 8620 §2 `capabilities`). */
export function sessionCapabilities(config: Config): Record<string, unknown> {
  return {
    [Capability.core]: coreLimits(config),
    [Capability.mail]: {},
    [Capability.submission]: {},
    [Capability.vacationResponse]: {},
    // RFC 9404 §4.1: an empty object at the session level.
    [Capability.blob]: {},
    // RFC 9007 §1.3: an empty object at the session level.
    [Capability.mdn]: {},
    // RFC 9425 §2.1: an empty object at the session level.
    [Capability.quota]: {},
    // RFC 9661 §1.2.1: an empty object at the session level.
    [Capability.sieve]: {},
    // RFC 9670 §2.1: an empty object at the session level.
    [Capability.principals]: {},
  };
}

/** Per-account capabilities (RFC 8621 §1.3). */
export function accountCapabilities(config: Config): Record<string, unknown> {
  return {
    [Capability.mail]: {
      maxMailboxesPerEmail: null,
      maxMailboxDepth: null,
      maxSizeMailboxName: MAX_SIZE_MAILBOX_NAME,
      maxSizeAttachmentsPerEmail: Math.min(MAX_SIZE_ATTACHMENTS_PER_EMAIL, config.smtp.max_message_size),
      emailQuerySortOptions: [
        "receivedAt",
        "size",
        "from",
        "to",
        "subject",
        "sentAt",
        "hasKeyword",
        "allInThreadHaveKeyword",
        "someInThreadHaveKeyword",
      ],
      mayCreateTopLevelMailbox: true,
    },
    [Capability.submission]: { maxDelayedSend: 0, submissionExtensions: {} },
    [Capability.vacationResponse]: {},
    // RFC 9404 §4.1.
    [Capability.blob]: blobAccountCapability(config.jmap.max_size_upload),
    // RFC 9007 §1.3: an empty object in accountCapabilities.
    [Capability.mdn]: {},
    // RFC 9425 §2.1: an empty object in accountCapabilities.
    [Capability.quota]: {},
    // RFC 9661 §1.2.1.
    [Capability.sieve]: sieveAccountCapability(sieveLimits(config.sieve)),
  };
}
