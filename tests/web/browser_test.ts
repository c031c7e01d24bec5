/**
 * The web UI in a real browser: Debian's Chromium driven by puppeteer-core against the real
 * server on 127.0.0.1. An administrator logs in and creates a plan, a domain (sees its DNS
 * records), an organization and an account; a message sent over SMTP moves the dashboard's
 * counter; a deferred message is retried from the queue page; a user's sessions are revoked and
 * its browser is logged out; the user changes its password and sets a vacation reply that then
 * answers an SMTP message. Every page is checked with axe-core (no serious or critical violation)
 * and screenshotted (path printed). Skipped, with a message, only where no Chromium is installed.
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import type { Browser, Page } from "puppeteer-core";
import { PASSWORD, startApiServer } from "../api/_server.ts";
import { startSink } from "../queue/_sink.ts";
import type { Queue } from "../../core/queue/queue.ts";
import type { RecipientOutcome } from "../../core/queue/types.ts";
import { findChromium, launch, screenshot, seriousViolations } from "./_browser.ts";

const chromium = findChromium();
if (!chromium) {
  console.warn(
    "tests/web/browser_test.ts: SKIPPED — no Chromium found (apt-get install chromium, or CHROMIUM_PATH)",
  );
}

/** Console errors about the Content-Security-Policy (none expected: the pages have no script or inline style). */
const cspViolations: string[] = [];

/** Records the page's CSP violations (Chromium reports them on the console). */
function watchCsp(page: Page): Page {
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** Navigates by submitting a form (click), waiting for the next page. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Fills inputs by id. */
async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(fields)) {
    await page.$eval(`#${id}`, (el) => ((el as unknown as { value: string }).value = ""));
    await page.type(`#${id}`, value);
  }
}

/** Asserts no serious/critical accessibility violation and saves a screenshot. */
async function check(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
}

async function text(page: Page): Promise<string> {
  return await page.$eval("main", (m) => (m as unknown as { innerText: string }).innerText);
}

async function logIn(page: Page, origin: string, address: string, password: string): Promise<void> {
  await page.goto(`${origin}/login`);
  await fill(page, { "f-address": address, "f-password": password });
  await submit(page, "button[type=submit]");
}

/** Resolves with the next recipient outcome the queue reports. */
function nextOutcome(queue: Queue): Promise<RecipientOutcome> {
  return new Promise((resolve) => {
    const off = queue.onRecipientOutcome((o) => {
      off();
      resolve(o);
    });
  });
}

Deno.test({
  name:
    "web in Chromium: admin builds a tenant, sees DNS records and counters, retries the queue; a user is revoked, changes password, sets a vacation reply",
  ignore: chromium === null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sink = await startSink({ rcpt: () => "defer" });
    const srv = await startApiServer(["root@example.org", "bob@example.org"], {
      queue: {
        retry_base: 86_400,
        retry_max: 86_400,
        poll_interval: 3600,
        static_dns: [{ name: "remote.test", type: "A", value: sink.address }],
      },
    });
    const origin = srv.api.replace(/\/api\/v1$/, "");
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: srv.srv.addresses.smtp!.port,
      ignoreTLS: true,
    });
    let browser: Browser | null = null;
    try {
      browser = await launch(chromium!);
      const admin = watchCsp(await browser.newPage());
      await admin.setViewport({ width: 1280, height: 900 });

      await t.step("log in as the platform administrator", async () => {
        await logIn(admin, origin, "root@example.org", PASSWORD);
        assert.equal(new URL(admin.url()).pathname, "/account", await text(admin));
        await check(admin, "01-account-overview");
        // Client setup: the mobileconfig link and its QR code, drawn server-side.
        assert.ok(await admin.$('a[href*="/apple/mobileconfig?email=root%40example.org"]'));
        assert.ok(await admin.$("svg.qr"));
      });

      await t.step("create a plan", async () => {
        await admin.goto(`${origin}/admin/plans`);
        await fill(admin, { "f-id": "starter", "f-name": "Starter", "f-storageBytes": "1000000000" });
        await submit(admin, "form.card button[type=submit]");
        assert.match(await text(admin), /Created\./);
        assert.match(await text(admin), /starter\s+Starter/);
        await check(admin, "02-plans");
      });

      await t.step("add a domain and see the DNS records to publish", async () => {
        await admin.goto(`${origin}/admin/domains`);
        await fill(admin, { "f-name": "acme.test" });
        await submit(admin, "form.card button[type=submit]");
        assert.equal(new URL(admin.url()).pathname, "/admin/domains/acme.test");
        const body = await text(admin);
        assert.match(body, /acme\.test\s+MX\s+/);
        assert.match(body, /_dmarc\.acme\.test\s+TXT\s+v=DMARC1/);
        assert.match(body, /v=spf1/);
        await check(admin, "03-domain-dns");
      });

      await t.step("create an organization on the plan, owning the domain", async () => {
        await admin.goto(`${origin}/admin/organizations`);
        await fill(admin, {
          "f-id": "acme",
          "f-name": "Acme",
          "f-plan": "starter",
          "f-domains": "acme.test",
        });
        await submit(admin, "form.card button[type=submit]");
        assert.match(await text(admin), /acme\s+Acme\s+starter\s+acme\.test/);
        await check(admin, "04-organizations");
      });

      await t.step("create an account", async () => {
        await admin.goto(`${origin}/admin/accounts`);
        await fill(admin, {
          "f-address": "carol@acme.test",
          "f-password": "carol-pass-1",
          "f-quotaMiB": "10",
        });
        await submit(admin, "form.card button[type=submit]");
        assert.match(await text(admin), /carol@acme\.test.*\n?.*of 10 MiB\s+acme/);
        await check(admin, "05-accounts");
      });

      await t.step("a message over SMTP moves the dashboard's counter", async () => {
        await admin.goto(`${origin}/admin`);
        const before = Number(await admin.$eval("#stat-messages", (e) => e.textContent));
        await check(admin, "06-dashboard");
        await smtp.sendMail({
          from: "bob@example.org",
          to: "carol@acme.test",
          subject: "Hello Carol",
          text: "Counting.",
        });
        await admin.reload();
        const after = Number(await admin.$eval("#stat-messages", (e) => e.textContent));
        assert.equal(after, before + 1);
        assert.ok(await admin.$("svg.chart"), "deliveries chart drawn");
      });

      await t.step("retry a deferred message from the queue page", async () => {
        const queue = srv.srv.context.outbound as Queue;
        const first = nextOutcome(queue);
        const blob = await srv.srv.context.store.blobs.put(
          new TextEncoder().encode(
            "From: bob@example.org\r\nTo: far@remote.test\r\nSubject: Q\r\n\r\nqueued\r\n",
          ),
        );
        const { id } = await queue.enqueue(
          {
            from: "bob@example.org",
            recipients: [{ address: "far@remote.test" }],
            smtputf8: false,
            body: "7BIT",
            sessionId: "web-browser-test",
          },
          blob,
          { origin: "web-browser-test" },
        );
        assert.equal((await first).status, "deferred");
        await admin.goto(`${origin}/admin/queue`);
        assert.match(await text(admin), /far@remote\.test|1 of 1/);
        await check(admin, "07-queue");
        const second = nextOutcome(queue);
        await submit(admin, `button[aria-label="Retry message ${id} now"]`);
        assert.match(await text(admin), /Retry scheduled\./);
        // The retry made a new attempt at once (the schedule alone would wait a day).
        assert.equal((await second).status, "deferred");
      });

      const user = watchCsp(await (await browser.createBrowserContext()).newPage());
      await user.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });

      await t.step("revoking a user's sessions logs its browser out", async () => {
        await logIn(user, origin, "carol@acme.test", "carol-pass-1");
        assert.equal(new URL(user.url()).pathname, "/account");
        assert.match(await text(user), /Storage/);
        await check(user, "08-user-account-phone");
        await admin.goto(`${origin}/admin/sessions`);
        await check(admin, "09-admin-sessions");
        await submit(admin, 'button[aria-label="End all sessions of carol@acme.test"]');
        assert.match(await text(admin), /Revoked\./);
        await user.reload();
        assert.equal(new URL(user.url()).pathname, "/login");
        assert.match(await text(user), /Your session has ended/);
        await admin.goto(`${origin}/admin/audit?kind=security`);
        assert.match(await text(admin), /session\.revoke_all|sessions?\.revoke/);
        await check(admin, "10-audit");
      });

      await t.step("the user changes its password", async () => {
        await logIn(user, origin, "carol@acme.test", "carol-pass-1");
        await user.goto(`${origin}/account/password`);
        await check(user, "11-password");
        await fill(user, {
          "f-current": "carol-pass-1",
          "f-password": "carol-pass-2",
          "f-confirm": "carol-pass-2",
        });
        await submit(user, "form.card button[type=submit]");
        assert.match(await text(user), /Password changed\./);
        await submit(user, "header form button");
        assert.equal(new URL(user.url()).pathname, "/login");
        await logIn(user, origin, "carol@acme.test", "carol-pass-1");
        assert.match(await text(user), /Invalid credentials/);
        await logIn(user, origin, "carol@acme.test", "carol-pass-2");
        assert.equal(new URL(user.url()).pathname, "/account");
      });

      await t.step("the user's vacation reply answers an SMTP message", async () => {
        await user.goto(`${origin}/account/vacation`);
        await user.click("#f-isEnabled");
        await fill(user, { "f-subject": "Out of office", "f-textBody": "Back on Monday." });
        await submit(user, "form.card button[type=submit]");
        assert.match(await text(user), /Saved\./);
        assert.equal(
          await user.$eval("#f-isEnabled", (e) => (e as unknown as { checked: boolean }).checked),
          true,
        );
        await check(user, "12-vacation");

        const store = srv.srv.context.store;
        const bob = srv.accounts["bob@example.org"]!;
        const inbox = await store.getMailboxByRole(bob.id, "inbox");
        let notified: () => void = () => {};
        const arrived = new Promise<void>((r) => (notified = r));
        const unsubscribe = store.notifier.subscribe(bob.id, async () => {
          if ((await store.listPlacements(bob.id, inbox!.id)).length > 0) notified();
        });
        await smtp.sendMail({
          from: "bob@example.org",
          to: "carol@acme.test",
          subject: "Are you there?",
          text: "?",
        });
        await arrived;
        unsubscribe();
        const [placement] = await store.listPlacements(bob.id, inbox!.id);
        const reply = new TextDecoder().decode((await store.readMessage(bob.id, placement!.messageId))!);
        assert.match(reply, /^Auto-Submitted: auto-replied/m);
        assert.match(reply, /^Subject: Out of office/m);
        assert.match(reply, /Back on Monday\./);
      });

      await t.step("API tokens and sessions pages are accessible", async () => {
        await user.goto(`${origin}/account/tokens`);
        await fill(user, { "f-name": "phone" });
        await submit(user, "form.card button[type=submit]");
        assert.match(await user.$eval("#new-token", (e) => e.textContent ?? ""), /^tern_/);
        await check(user, "13-tokens");
        await user.goto(`${origin}/account/sessions`);
        assert.match(await text(user), /this browser/);
        await check(user, "14-sessions");
      });

      await t.step("a Sieve script error is shown at its line and column, accessibly", async () => {
        await user.goto(`${origin}/account/filters`);
        await fill(user, { "f-content": 'keep;\nfileinto "A"\n' });
        await submit(user, 'form[action="/account/filters"] button[type=submit]');
        assert.match(
          await user.$eval("#content-error", (e) => e.textContent ?? ""),
          /^line \d+, column \d+: /,
        );
        await check(user, "15-filters-error");
      });

      await t.step("the other admin pages pass the accessibility check", async () => {
        const carol = await srv.srv.context.store.getAccountByAddress("carol@acme.test");
        for (
          const path of [
            "/admin/organizations/acme",
            `/admin/accounts/${carol!.id}`,
            "/admin/aliases",
            "/admin/tokens",
            "/admin/webhooks",
            "/admin/domains/acme.test?check=1",
          ]
        ) {
          await admin.goto(`${origin}${path}`);
          assert.equal(new URL(admin.url()).pathname, path.split("?")[0]);
          await check(admin, `16-${path}`);
        }
      });

      await t.step("no page broke its own Content-Security-Policy", () => {
        assert.deepEqual(cspViolations, []);
      });
    } finally {
      await browser?.close();
      smtp.close();
      await srv.close();
      await sink.close();
    }
  },
});
