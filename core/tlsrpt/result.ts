/**
 * One outbound TLS result as TLS-RPT (RFC 8460) counts it: per policy domain (the recipient
 * domain), per policy (MTA-STS, DANE or none), a success or a failure of a given result type.
 * The queue reports these; core/tlsrpt/recorder.ts keeps daily counts.
 *
 * @module
 */

/** RFC 8460 §4.3 policy types. */
export type TlsPolicyType = "sts" | "tlsa" | "no-policy-found";

/** One TLS negotiation outcome with one MX host. */
export interface TlsResult {
  /** The recipient domain (RFC 8460 §4.4 policy-domain), lower case. */
  policyDomain: string;
  policyType: TlsPolicyType;
  /** The policy as text (MTA-STS lines or TLSA records); [] without a policy. */
  policyStrings: string[];
  /** The MX host name tried. */
  mxHost: string;
  /** The address connected to. */
  receivingIp: string;
  /** Null for a successful TLS session; else the RFC 8460 §4.3 result type. */
  failure: string | null;
  /** Free text on the failure (RFC 8460 §4.4 failure-reason-code); never message content. */
  reason?: string;
  at: Date;
}

/** Receives TLS results (the queue calls it after each connection attempt); never throws. */
export interface TlsResultSink {
  record(result: TlsResult): void;
}
