import assert from "node:assert/strict";
import {
  BusyMachine,
  checkIdle,
  diskBytes,
  idleBeforeRounds,
  idlePercent,
  idleSummary,
  median,
  rowsOf,
  settleCpu,
} from "./lib.ts";
import { parseOnly, scaled } from "./options.ts";
import { filesNeeded, openFileLimit } from "./imap_idle.ts";

const stat = (user: number, idle: number, iowait: number) =>
  `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n`;

Deno.test("idle CPU counts idle and iowait ticks over the total between two /proc/stat readings", () => {
  assert.equal(idlePercent(stat(100, 100, 0), stat(150, 140, 10)), 50);
  assert.equal(idlePercent(stat(100, 100, 0), stat(100, 200, 0)), 100);
  assert.equal(idlePercent(stat(100, 100, 0), stat(100, 100, 0)), 100);
});

Deno.test("the busy gate refuses a round below the idle threshold and only warns with --force", async () => {
  const busy = () => Promise.resolve(40);
  await assert.rejects(checkIdle({ minIdle: 80, force: false }, "x", busy), BusyMachine);
  assert.equal(await checkIdle({ minIdle: 80, force: true }, "x", busy), 40);
  assert.equal(await checkIdle({ minIdle: 30, force: false }, "x", busy), 40);
});

Deno.test("the busy gate waits up to --settle seconds for the machine to go quiet, then decides", async () => {
  // A clock that moves one second per sample, and samples that go quiet on the fourth.
  let t = 0;
  const now = () => t;
  const going = (xs: number[]) => () => {
    t += 1000;
    return Promise.resolve(xs.length > 1 ? xs.shift()! : xs[0]!);
  };
  const gate = { minIdle: 80, force: false, settleSeconds: 10 };
  assert.equal(await checkIdle(gate, "x", going([10, 20, 50, 95]), now), 95);
  assert.equal(t, 4000);
  // Never quiet: refused once the wait is over, not before.
  t = 0;
  await assert.rejects(checkIdle(gate, "x", going([10]), now), BusyMachine);
  assert.ok(t >= 10_000 && t <= 12_000, `gave up after ${t} ms`);
  // No wait asked: the first sample decides.
  t = 0;
  await assert.rejects(checkIdle({ minIdle: 80, force: false }, "x", going([10, 95]), now), BusyMachine);
  assert.equal(t, 1000);
});

Deno.test("median of odd and even counts, NaN for none", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("--only keeps the harness's order and rejects an unknown workload", () => {
  assert.deepEqual(parseOnly("disk,mixed"), ["mixed", "disk"]);
  assert.equal(parseOnly(undefined).length, 7);
  assert.throws(() => parseOnly("mixed,bogus"), /bogus/);
  assert.equal(scaled(5000, 0.05, 50), 250);
  assert.equal(scaled(5000, 0.001, 50), 50);
});

Deno.test("disk use counts the blocks allocated under a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const empty = await diskBytes(dir);
    await Deno.writeFile(`${dir}/f`, new Uint8Array(100_000).fill(1));
    const full = await diskBytes(dir);
    assert.ok(full - empty >= 100_000, `${full} - ${empty}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the report states the idle CPU before the rounds and how many were below the threshold", () => {
  idleBeforeRounds.splice(0, idleBeforeRounds.length, 95, 40, 85, 10);
  const line = idleSummary(80);
  assert.match(line, /4 rounds: min 10%, median 62.5%, max 95%; 2 below the 80% threshold/);
  assert.match(line, /not meaningful/);
  idleBeforeRounds.splice(0, idleBeforeRounds.length, 95);
  assert.doesNotMatch(idleSummary(80), /not meaningful/);
  idleBeforeRounds.length = 0;
});

Deno.test("the IDLE workloads read the open-file limit from /proc/self/limits and ask for one per connection", () => {
  const limits = "Limit                     Soft Limit           Hard Limit           Units     \n" +
    "Max cpu time              unlimited            unlimited            seconds   \n" +
    "Max open files            1024                 524288               files     \n";
  assert.equal(openFileLimit(limits), 1024);
  assert.equal(openFileLimit(limits.replace("1024 ", "unlimited ")), Infinity);
  assert.equal(openFileLimit("nothing here"), null);
  assert.ok(filesNeeded(10_000) > 10_000);
  assert.ok(filesNeeded(10_000) > 1024, "10,000 connections refused under the common default of 1024");
});

Deno.test("settleCpu waits until the server's CPU time stops growing, or its limit, and returns the last reading", async () => {
  let t = 0;
  const wait = (ms: number) => {
    t += ms;
    return Promise.resolve();
  };
  const now = () => t;
  // Busy for three windows (100 ms of CPU each), then 2 ms a window: quiet after the fourth.
  const readings = [0, 100, 200, 300, 302, 304];
  const cpu = () => readings.shift()!;
  assert.equal(await settleCpu(cpu, { windowMs: 500, quietMs: 10 }, wait, now), 302);
  assert.equal(t, 2000);
  // Never quiet: gives up at the limit with the reading it has.
  t = 0;
  let c = 0;
  const busy = () => (c += 100);
  assert.equal(await settleCpu(busy, { windowMs: 500, quietMs: 10, limitMs: 1500 }, wait, now), 400);
  assert.equal(t, 1500);
});

Deno.test("rowsOf picks one figure per round for each side and keeps a note only when given", () => {
  const row = rowsOf("dovecot", [{ a: 1, b: 10 }, { a: 2, b: 20 }], [{ a: 3, b: 30 }]);
  assert.deepEqual(row("A", "ms", (x) => x.a), {
    measure: "A",
    unit: "ms",
    peer: "dovecot",
    tern: [1, 2],
    other: [3],
  });
  assert.deepEqual(row("B", "", (x) => x.b, "why"), {
    measure: "B",
    unit: "",
    peer: "dovecot",
    tern: [10, 20],
    other: [30],
    note: "why",
  });
});
