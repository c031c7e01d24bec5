/**
 * DMARC records (`Store.dmarc`): the results of the DMARC evaluations of received mail, counted
 * per policy domain, UTC day and report row until the daily aggregate report (RFC 7489 §7.2) is
 * sent; and the aggregate reports other receivers send us, as parsed summaries (`tern dmarc
 * reports`).
 *
 * @module
 */

/** The policy published by a domain (RFC 7489 §6.3 tags; Appendix C `PolicyPublishedType`). */
export interface DmarcPublished {
  domain: string;
  adkim: "r" | "s";
  aspf: "r" | "s";
  p: string;
  sp: string;
  pct: number;
  /** The `rua=` mailto URIs. */
  rua: string[];
}

/** One report row's identity (RFC 7489 Appendix C `RecordType` without the count). */
export interface DmarcRow {
  sourceIp: string;
  headerFrom: string;
  /** `PolicyEvaluatedType`. */
  disposition: "none" | "quarantine" | "reject";
  dkim: "pass" | "fail";
  spf: "pass" | "fail";
  /** `PolicyOverrideType`, when the policy was not applied. */
  override?: "forwarded" | "local_policy" | "sampled_out";
  envelopeFrom: string;
  /** `auth_results`. */
  dkimResults: { domain: string; selector: string; result: string }[];
  spfResult: { domain: string; scope: "mfrom" | "helo"; result: string };
}

/** A row with how many messages it stands for. */
export interface DmarcCountedRow extends DmarcRow {
  count: number;
}

/** A report received from another domain's receiver, as parsed. */
export interface DmarcReport {
  orgName: string;
  reportId: string;
  /** The policy domain the report is about. */
  domain: string;
  begin: Date;
  end: Date;
  received: Date;
  /** Messages counted, by disposition. */
  messages: number;
  /** Messages with DMARC-aligned DKIM or SPF pass. */
  passed: number;
  rows: DmarcCountedRow[];
}

/** The store of DMARC records. */
export interface DmarcStore {
  /** Counts one evaluated message for `day` ("YYYY-MM-DD", UTC), keeping the latest published policy. */
  record(day: string, published: DmarcPublished, row: DmarcRow): Promise<void>;
  /** Policy domains and days with counted rows before `beforeDay`, oldest first. */
  due(beforeDay: string): Promise<{ domain: string; day: string }[]>;
  /** The rows and the published policy of a domain's day (null when nothing is counted). */
  aggregate(
    domain: string,
    day: string,
  ): Promise<{ published: DmarcPublished; rows: DmarcCountedRow[] } | null>;
  /** Forgets a domain's day once its report is sent (or given up). */
  clear(domain: string, day: string): Promise<void>;
  /** Keeps a received report; false when the same (org, report id) is already kept. */
  putReport(report: DmarcReport): Promise<boolean>;
  /** Received reports, newest first. */
  listReports(limit: number): Promise<DmarcReport[]>;
}
