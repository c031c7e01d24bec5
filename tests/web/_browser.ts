/**
 * Browser test support: Debian's Chromium driven by puppeteer-core (headless, loopback only),
 * screenshots saved as test artefacts in a temp directory (its path printed once), and an
 * axe-core accessibility check of a page.
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import axe from "axe-core";

/** Where Chromium may be installed (CHROMIUM_PATH first). */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium executable, or null when none is installed. */
export function findChromium(): string | null {
  const given = Deno.env.get("CHROMIUM_PATH");
  for (const path of given ? [given, ...CANDIDATES] : CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  return null;
}

/** Launches headless Chromium (no sandbox: CI runs as root). */
export async function launch(executablePath: string): Promise<Browser> {
  return await puppeteer.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--lang=en-US"],
  });
}

let shotDir: string | null = null;

/** Saves a full-page screenshot as a test artefact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!shotDir) {
    shotDir = await Deno.makeTempDir({ prefix: "tern-web-screenshots-" });
    console.log(`web UI screenshots: ${shotDir}`);
  }
  const path = `${shotDir}/${name.replace(/[^a-z0-9_-]/gi, "_")}.png`;
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/** One axe violation, short. */
export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2 A/AA rules) in the page and returns its serious and critical violations.
 * The engine is evaluated through the DevTools protocol, which the page's CSP (no script at all)
 * does not govern.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    type Found = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };
    const a = (globalThis as unknown as {
      axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Found[] }> };
    }).axe;
    const r = await a.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)),
    }));
  }) as Violation[];
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}
