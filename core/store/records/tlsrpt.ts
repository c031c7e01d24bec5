/**
 * TLS-RPT records (`Store.tlsrpt`, RFC 8460): the outcomes of outbound TLS negotiations, counted
 * per policy domain, UTC day, policy and result until the day's report is sent (core/tlsrpt).
 *
 * @module
 */

/** One counted line: a policy's successes (`result` null) or one kind of failure. */
export interface TlsRptCount {
  /** RFC 8460 §4.3 policy-type: "sts", "tlsa" or "no-policy-found". */
  policyType: string;
  /** The policy strings (MTA-STS lines, TLSA records); [] without a policy. */
  policyStrings: string[];
  /** The MX host tried. */
  mxHost: string;
  /** Null for successful sessions, else the RFC 8460 §4.3 result-type. */
  result: string | null;
  /** The address connected to ("" for successes, which are not counted per address). */
  receivingIp: string;
  /** The last failure-reason-code seen (free text). */
  reason: string | null;
  count: number;
}

/** The store of TLS-RPT counts. */
export interface TlsRptStore {
  /** Counts one session for `day` ("YYYY-MM-DD", UTC). */
  record(day: string, domain: string, line: Omit<TlsRptCount, "count">): Promise<void>;
  /** Policy domains and days with counts before `beforeDay`, oldest first. */
  due(beforeDay: string): Promise<{ domain: string; day: string }[]>;
  /** The counted lines of a domain's day ([] when none). */
  counts(domain: string, day: string): Promise<TlsRptCount[]>;
  /** Forgets a domain's day once its report is sent (or given up). */
  clear(domain: string, day: string): Promise<void>;
}
