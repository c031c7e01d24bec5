/**
 * Support of the tenancy wire tests (issue 16): a server whose example.org (alice@, bob@) belongs to
 * organization "acme" on plan "p", and a raw SMTP client that reads whole replies.
 *
 * @module
 */
import { LineClient } from "../support/line_client.ts";
import { startServer, type WireEnv } from "../smtp/_server.ts";
import type { Config } from "../../core/config/types.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";
import type { PlanPatch } from "../../core/store/records/plans.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";

/** Starts the server, creates plan "p" with `plan` and organization "acme" owning example.org. */
export async function startTenancyServer(
  plan: PlanPatch,
  overrides: DeepPartial<Config> = {},
): Promise<WireEnv> {
  const env = await startServer(overrides);
  const store = env.srv.context.store;
  await addPlan(store, { id: "p", ...plan });
  await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
  return env;
}

/** A raw SMTP session. */
export class Smtp {
  readonly c: LineClient;
  private constructor(c: LineClient) {
    this.c = c;
  }

  /** Connects, reads the greeting and sends EHLO. */
  static async open(port: number): Promise<Smtp> {
    const s = new Smtp(await LineClient.connect(port));
    await s.reply();
    await s.cmd("EHLO client.test");
    return s;
  }

  /** One (possibly multi-line) reply; its last line. */
  async reply(): Promise<string> {
    for (;;) {
      const l = await this.c.read();
      if (l === null) throw new Error("EOF");
      if (/^\d{3} /.test(l)) return l;
    }
  }

  /** Sends a command, returns the last line of its reply. */
  async cmd(line: string): Promise<string> {
    await this.c.line(line);
    return await this.reply();
  }

  /** AUTH PLAIN. */
  auth(user: string, pass: string): Promise<string> {
    return this.cmd(`AUTH PLAIN ${btoa(`\0${user}\0${pass}`)}`);
  }

  /** DATA with a small message (or `body`), returns the final reply. */
  async data(body = "Subject: t\r\n\r\nhello\r\n"): Promise<string> {
    const go = await this.cmd("DATA");
    if (!go.startsWith("354")) return go;
    await this.c.send(body + ".\r\n");
    return await this.reply();
  }

  /** A whole transaction; the first refusal (or the final reply). */
  async send(from: string, to: string, body?: string): Promise<string> {
    const m = await this.cmd(`MAIL FROM:<${from}>`);
    if (!m.startsWith("250")) return m;
    const r = await this.cmd(`RCPT TO:<${to}>`);
    if (!r.startsWith("250")) {
      await this.cmd("RSET");
      return r;
    }
    return await this.data(body);
  }

  close(): void {
    this.c.close();
  }
}
