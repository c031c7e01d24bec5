/**
 * The JMAP method table: name → capability and implementation.
 *
 * @module
 */
import { Capability } from "../capabilities.ts";
import type { MethodEntry, MethodHandler } from "../method_context.ts";
import { coreEcho } from "./core.ts";
import { blobCopy } from "./blob.ts";
import { blobGet, blobLookup, blobUpload } from "./blob_management.ts";
import { mailboxChanges, mailboxGet, mailboxQuery, mailboxQueryChanges, mailboxSet } from "./mailbox.ts";
import {
  emailChanges,
  emailGet,
  emailParse,
  emailQuery,
  emailQueryChanges,
  threadChanges,
  threadGet,
} from "./email_read.ts";
import { emailCopy, emailImport, emailSet } from "./email_write.ts";
import { identityChanges, identityGet, identitySet } from "./identity.ts";
import {
  submissionChanges,
  submissionGet,
  submissionQuery,
  submissionQueryChanges,
  submissionSet,
} from "./submission.ts";
import { searchSnippetGet } from "./search_snippet.ts";
import { vacationGet, vacationSet } from "./vacation.ts";
import { mdnParse, mdnSend } from "./mdn.ts";
import { pushSubscriptionGet, pushSubscriptionSet } from "./push_subscription.ts";
import { quotaChanges, quotaGet, quotaQuery, quotaQueryChanges } from "./quota.ts";
import { sieveScriptGet, sieveScriptQuery, sieveScriptSet, sieveScriptValidate } from "./sieve_script.ts";
import { principalChanges, principalGet, principalQuery, principalQueryChanges } from "./principal.ts";
import {
  shareNotificationChanges,
  shareNotificationGet,
  shareNotificationQuery,
  shareNotificationQueryChanges,
  shareNotificationSet,
} from "./share_notification.ts";

const table: [string, string, MethodHandler][] = [
  ["Core/echo", Capability.core, coreEcho],
  ["Blob/copy", Capability.core, blobCopy],
  ["PushSubscription/get", Capability.core, pushSubscriptionGet],
  ["PushSubscription/set", Capability.core, pushSubscriptionSet],
  ["Blob/upload", Capability.blob, blobUpload],
  ["Blob/get", Capability.blob, blobGet],
  ["Blob/lookup", Capability.blob, blobLookup],
  ["Mailbox/get", Capability.mail, mailboxGet],
  ["Mailbox/changes", Capability.mail, mailboxChanges],
  ["Mailbox/query", Capability.mail, mailboxQuery],
  ["Mailbox/queryChanges", Capability.mail, mailboxQueryChanges],
  ["Mailbox/set", Capability.mail, mailboxSet],
  ["Thread/get", Capability.mail, threadGet],
  ["Thread/changes", Capability.mail, threadChanges],
  ["Email/get", Capability.mail, emailGet],
  ["Email/changes", Capability.mail, emailChanges],
  ["Email/query", Capability.mail, emailQuery],
  ["Email/queryChanges", Capability.mail, emailQueryChanges],
  ["Email/set", Capability.mail, emailSet],
  ["Email/copy", Capability.mail, emailCopy],
  ["Email/import", Capability.mail, emailImport],
  ["Email/parse", Capability.mail, emailParse],
  ["SearchSnippet/get", Capability.mail, searchSnippetGet],
  ["Identity/get", Capability.submission, identityGet],
  ["Identity/changes", Capability.submission, identityChanges],
  ["Identity/set", Capability.submission, identitySet],
  ["EmailSubmission/get", Capability.submission, submissionGet],
  ["EmailSubmission/changes", Capability.submission, submissionChanges],
  ["EmailSubmission/query", Capability.submission, submissionQuery],
  ["EmailSubmission/queryChanges", Capability.submission, submissionQueryChanges],
  ["EmailSubmission/set", Capability.submission, submissionSet],
  ["VacationResponse/get", Capability.vacationResponse, vacationGet],
  ["VacationResponse/set", Capability.vacationResponse, vacationSet],
  ["MDN/send", Capability.mdn, mdnSend],
  ["MDN/parse", Capability.mdn, mdnParse],
  ["Quota/get", Capability.quota, quotaGet],
  ["Quota/changes", Capability.quota, quotaChanges],
  ["Quota/query", Capability.quota, quotaQuery],
  ["Quota/queryChanges", Capability.quota, quotaQueryChanges],
  ["SieveScript/get", Capability.sieve, sieveScriptGet],
  ["SieveScript/set", Capability.sieve, sieveScriptSet],
  ["SieveScript/query", Capability.sieve, sieveScriptQuery],
  ["SieveScript/validate", Capability.sieve, sieveScriptValidate],
  // RFC 9670 §2.3–§2.6.
  ["Principal/get", Capability.principals, principalGet],
  ["Principal/changes", Capability.principals, principalChanges],
  ["Principal/query", Capability.principals, principalQuery],
  ["Principal/queryChanges", Capability.principals, principalQueryChanges],
  // RFC 9670 §5.
  ["ShareNotification/get", Capability.principals, shareNotificationGet],
  ["ShareNotification/changes", Capability.principals, shareNotificationChanges],
  ["ShareNotification/query", Capability.principals, shareNotificationQuery],
  ["ShareNotification/queryChanges", Capability.principals, shareNotificationQueryChanges],
  ["ShareNotification/set", Capability.principals, shareNotificationSet],
];

/** Every method Tern implements. */
export const METHODS: ReadonlyMap<string, MethodEntry> = new Map(
  table.map(([name, capability, handler]) => [name, { capability, handler }]),
);
