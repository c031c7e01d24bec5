/**
 * The validated configuration, as the rest of Tern sees it. The TOML keys are the same names in
 * snake_case; core/config/schema.ts validates a file into this shape and fills every default.
 * Protocol owners add keys to their own section only (and to the schema, config.example.toml and
 * the README reference).
 *
 * @module
 */

/** How a listener uses TLS. */
export type TlsMode = "none" | "starttls" | "implicit";

/** One TCP or HTTP listener. */
export interface ListenerConfig {
  enabled: boolean;
  /** Bind address, e.g. "127.0.0.1" or "::". */
  address: string;
  /** TCP port; 0 picks a free port (tests). */
  port: number;
  tls: TlsMode;
  /** Per-listener certificate and key (PEM paths); fall back to [tls]. */
  cert?: string;
  key?: string;
  /** Allow password authentication without TLS on this listener. */
  allow_plaintext_auth: boolean;
  /** Maximum concurrent connections on this listener. */
  max_connections: number;
}

/** Names of the built-in listeners. */
export type ListenerName =
  | "smtp"
  | "submission"
  | "submissions"
  | "imap"
  | "imaps"
  | "pop3"
  | "pop3s"
  | "http";

/** Full configuration. */
export interface Config {
  /** Name used in greetings, Received: headers and the self-signed certificate. */
  hostname: string;
  /** Where the database, blobs and generated certificate live. */
  data_dir: string;
  /** Domains created at startup if missing. */
  local_domains: string[];
  log: { level: "debug" | "info" | "warning" | "error"; output: string };
  tls: { cert?: string; key?: string };
  listeners: Record<ListenerName, ListenerConfig>;
  /** Seconds sessions get to finish after SIGINT/SIGTERM. */
  shutdown_grace: number;
  auth: {
    /** Store a plaintext-equivalent secret and offer CRAM-MD5 (off by default). */
    cram_md5: boolean;
    /** Failures (per IP or per account) before delays start. */
    throttle_free_failures: number;
    /** First delay in ms, doubled for every further failure. */
    throttle_base_delay_ms: number;
    /** Failures after which the IP or account is locked out. */
    lockout_failures: number;
    /** Lockout length in seconds. */
    lockout_seconds: number;
  };
  smtp: {
    /** Maximum message size in bytes (SIZE). */
    max_message_size: number;
    max_recipients: number;
    /** Messages above this many bytes spill to a temp file while being received. */
    spill_threshold: number;
    /** Seconds of inactivity before 421 (RFC 5321 §4.5.3.2). */
    idle_timeout: number;
    /** Total session limit in seconds. */
    session_timeout: number;
    /** CIDRs allowed to relay without authentication. */
    relay_networks: string[];
    /** CIDRs dropped before the banner. */
    blocked_networks: string[];
    /** Messages per IP+sender per minute (0 = unlimited). */
    rate_limit_per_minute: number;
    /** Accounts allowed to send as any address on submission. */
    sender_any_accounts: string[];
    /** Concurrent SMTP connections per client IP (0 = unlimited; default 20). */
    max_connections_per_ip?: number;
  };
  imap: { idle_timeout: number; max_literal_size: number; max_line_length: number };
  pop3: { idle_timeout: number };
  jmap: {
    /** Origins allowed by CORS ("*" for any). */
    cors_origins: string[];
    max_size_upload: number;
    max_size_request: number;
    max_calls_in_request: number;
    max_objects_in_get: number;
    max_objects_in_set: number;
    max_concurrent_requests: number;
    max_concurrent_upload: number;
    /**
     * Trusted front-end services that may act for any user (`[[jmap.trusted_services]]`): each
     * authenticates with an HMAC-SHA256 signature (`hmac_secret`) or a TLS client certificate
     * whose subject is `client_cert_subject` (issued by `client_ca`).
     */
    trusted_services?: { name: string; hmac_secret?: string; client_cert_subject?: string }[];
    /** PEM CA bundle that verifies trusted services' client certificates (mTLS). */
    client_ca?: string;
    /** Seconds a trusted request's timestamp may differ from the clock (default 300). */
    trusted_max_skew?: number;
    /** RFC 3834 §2: days before the same sender gets another vacation reply (default 7). */
    vacation_period_days?: number;
  };
  policy: {
    allow_networks: string[];
    block_networks: string[];
    max_connections_per_ip: number;
    connections_per_minute_per_ip: number;
    ban_failures: number;
    ban_window_seconds: number;
    ban_seconds: number;
  };
}
