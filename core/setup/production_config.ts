/**
 * The `tern.toml` that `tern setup` writes: the standard ports of a public mail server, TLS on
 * every client listener, the domain local, the data directory given. A pure formatter; the file is
 * checked by parsing it with the configuration loader before it is written.
 *
 * @module
 */

/** What the file is made from. */
export interface ProductionConfigInput {
  domain: string;
  hostname: string;
  dataDir: string;
  /** Bind address of every listener ("0.0.0.0", "::" or one address). */
  address: string;
  /** PEM certificate and key paths, when the operator has them already. */
  cert?: string;
  key?: string;
}

const q = (s: string) => JSON.stringify(s);

/** The configuration file text. */
export function productionConfig(input: ProductionConfigInput): string {
  const listener = (name: string, port: number, tls: string, extra = "") =>
    `[listeners.${name}]\naddress = ${q(input.address)}\nport = ${port}\ntls = ${q(tls)}\n${extra}`;
  return [
    `# Tern configuration written by "tern setup ${input.domain}".`,
    `# Every key is documented in config.example.toml; "tern config check" validates this file.`,
    ``,
    `hostname = ${q(input.hostname)}`,
    `data_dir = ${q(input.dataDir)}`,
    `local_domains = [${q(input.domain)}]`,
    ``,
    `[log]`,
    `level = "info"`,
    `output = "stderr"`,
    ``,
    `[tls]`,
    input.cert && input.key
      ? `cert = ${q(input.cert)}\nkey = ${q(input.key)}`
      : `# Without cert/key the certificate comes from ACME ([acme] below; a self-signed one until then).\n` +
        `# cert = "tls/${input.hostname}.crt"\n# key = "tls/${input.hostname}.key"`,
    ``,
    `# RFC 5321 §4.5.4.2 / RFC 3207: inbound mail from other servers, STARTTLS offered.`,
    listener("smtp", 25, "starttls"),
    `# RFC 6409 and RFC 8314 §3.3: message submission with STARTTLS and with implicit TLS.`,
    listener("submission", 587, "starttls"),
    listener("submissions", 465, "implicit"),
    `# RFC 8314 §3.2: IMAP and POP3 with implicit TLS; the STARTTLS ports refuse plain-text logins.`,
    listener("imap", 143, "starttls"),
    listener("imaps", 993, "implicit"),
    listener("pop3", 110, "starttls"),
    listener("pop3s", 995, "implicit"),
    `# RFC 5804: ManageSieve, for mail clients that upload filter scripts (STARTTLS before login).`,
    listener("managesieve", 4190, "starttls"),
    `# LMTP is for a local MTA in front of Tern; off on a public server.`,
    `[listeners.lmtp]\nenabled = false\n`,
    `# JMAP, the autoconfiguration documents and the MTA-STS policy over HTTPS.`,
    listener("http", 443, "implicit"),
    `# Let's Encrypt certificates for ${input.hostname} and the mta-sts./autoconfig. names, checked over`,
    `# HTTP-01 on port 80 and renewed 30 days before expiry.`,
    `[acme]`,
    `enabled = ${input.cert && input.key ? "false" : "true"}`,
    `email = ${q(`postmaster@${input.domain}`)}`,
    ``,
    `[mta_sts]`,
    `# Start with "testing"; switch to "enforce" once TLS reports show senders reach you with TLS.`,
    `mode = "testing"`,
    `max_age = 604800`,
    ``,
  ].join("\n");
}
