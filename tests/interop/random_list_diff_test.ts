/**
 * Random mailbox trees against Dovecot: fast-check builds scripts of CREATE, DELETE, RENAME,
 * APPEND, STATUS, SELECT and EXAMINE over a few names, with LIST commands of random patterns
 * between them (`_mailbox_script.ts`), runs each under a new prefix on a throwaway Dovecot and on
 * Tern, and every step must answer the same: a LIST the same names with the same attributes
 * (`_list_view.ts`), a STATUS the same items, a SELECT the same message count, every command the
 * same tagged status (the human text and most response codes differ between the servers, and
 * Dovecot leaves codes out that Tern sends, so only OK, NO and BAD are compared).
 *
 * The scripts come from a fixed seed; `TERN_RANDOM_LIST_SEED` and `TERN_RANDOM_LIST_RUNS` explore
 * further (a failure prints its seed and the shrunk script).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  dovecotMissing,
  type ImapWire,
  normaliseResponse,
  type Response,
  startDovecot,
  startTern,
} from "./_dovecot.ts";
import { normaliseAttrs } from "./_list_view.ts";
import { mailboxScriptArbitrary, type MailboxStep, PREFIX } from "./_mailbox_script.ts";

if (dovecotMissing) console.log(`random_list_diff_test skipped: ${dovecotMissing}`);

const MESSAGE = new TextEncoder().encode("From: a@example.org\r\nSubject: s\r\n\r\nbody\r\n");

/** What is compared of one step's answer. */
function view(cmd: string, rs: Response[]): string[] {
  const tagged = /^TAG (OK|NO|BAD)/i.exec(rs.at(-1)!.text)?.[1]?.toUpperCase() ?? rs.at(-1)!.text;
  const untagged = rs.slice(0, -1).map((r) => r.text);
  if (/^LIST /.test(cmd)) {
    return [
      ...untagged.filter((l) => /^\* LIST /i.test(l)).map((l) => normaliseAttrs(l, true)).sort(),
      tagged,
    ];
  }
  if (/^STATUS /.test(cmd)) {
    return [...untagged.filter((l) => /^\* STATUS /i.test(l)).map((l) => normaliseResponse(l)), tagged];
  }
  if (/^(SELECT|EXAMINE) /.test(cmd)) return [...untagged.filter((l) => /^\* \d+ EXISTS$/.test(l)), tagged];
  return [tagged];
}

/** Runs a script under the prefix `box` on one server; the view of each step. */
async function run(w: ImapWire, steps: MailboxStep[], box: string): Promise<string[][]> {
  await w.ok(`CREATE ${box}`);
  const out: string[][] = [];
  for (const step of steps) {
    const cmd = step.replaceAll(`${PREFIX}/`, `${box}/`).replaceAll(`"${PREFIX}"`, `"${box}"`);
    const rs = cmd.startsWith("APPEND ") ? await w.cmd([`${cmd} (\\Seen) `, MESSAGE]) : await w.cmd(cmd);
    out.push(view(cmd, rs).map((l) => l.replaceAll(box, PREFIX)));
    if (/^(SELECT|EXAMINE) /.test(cmd)) await w.cmd("UNSELECT");
  }
  return out;
}

Deno.test({
  name: "random mailbox trees: CREATE, DELETE, RENAME and LIST patterns answer as Dovecot answers",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    const [dw, tw] = [await dovecot.login(), await tern.login()];
    let n = 0;
    let steps = 0;
    try {
      await fc.assert(
        fc.asyncProperty(mailboxScriptArbitrary(), async (script) => {
          const box = `m${++n}`;
          const want = await run(dw, script, box);
          const got = await run(tw, script, box);
          for (let i = 0; i < script.length; i++) {
            steps++;
            assert.deepEqual(
              got[i],
              want[i],
              `${script.join("\n")}\n>>> ${script[i]}\n  dovecot: ${want[i]!.join(" | ")}\n  tern:    ${
                got[i]!.join(" | ")
              }`,
            );
          }
        }),
        {
          seed: Number(Deno.env.get("TERN_RANDOM_LIST_SEED") ?? 20261208),
          numRuns: Number(Deno.env.get("TERN_RANDOM_LIST_RUNS") ?? 100),
        },
      );
      console.log(`random_list_diff_test: ${n} scripts, ${steps} steps compared`);
    } finally {
      dw.close();
      tw.close();
      await tern.stop();
      await dovecot.stop();
    }
  },
});
