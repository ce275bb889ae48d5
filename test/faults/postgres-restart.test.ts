/**
 * PostgreSQL (accounts, sessions) restarted while users browse and upload. The stack runs its
 * own private server for this (`--own-postgres`, on a free port in its data dir), never the
 * machine's shared one. While it restarts, a signed-in user keeps loading the job list and a
 * job page, and uploads files: pages may fail for a moment but must come back without
 * restarting web (those that fail answer 503 with Retry-After, not 500), and no accepted upload
 * is lost (an upload whose job page failed is opened again, as a user reloads it, and then has
 * its job).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../journey/stack-process.ts';
import { eventually, type FaultStack, type GasUser, startFaultStack } from './fault-stack.ts';
import { checkInvariants } from './invariants.ts';

const vepTest = join(sharedData, 'inputs/vep-test.chr21.vcf');

let fs: FaultStack;
let user: GasUser;

beforeAll(async () => {
  fs = await startFaultStack({ database: 'gas', extraArgs: ['--own-postgres'] });
  user = await fs.signIn('free@example.org');
}, 300_000);

afterAll(async () => {
  await fs?.dispose();
});

describe('PostgreSQL restarted while users browse', () => {
  it('pages recover without restarting web, and every accepted upload gets its job', async () => {
    const jobs = [await user.submit(vepTest)];
    const webPid = (await fs.services()).web?.pid;
    const pages = [`${fs.stack.urls.web}/annotations`, `${fs.stack.urls.web}/annotations/${jobs[0]}`];

    // Browse (two pages in turn) and upload (one every few page loads) until told to stop.
    const outcomes: { at: number; status: number }[] = [];
    const pendingJobPages: string[] = [];
    let browsing = true;
    const browse = (async () => {
      for (let i = 0; browsing; i++) {
        const res = await user.context.request.get(pages[i % 2]!, { maxRedirects: 0, timeout: 10_000 }).then(
          (r) => r.status(),
          () => 0,
        );
        outcomes.push({ at: Date.now(), status: res });
        if (i % 4 === 0) {
          const next = await user.upload(vepTest).catch(() => undefined);
          if (next) {
            const id = await user.createJob(next).catch(() => undefined);
            if (id) jobs.push(id);
            else pendingJobPages.push(next);
          }
        }
      }
    })();

    await eventually('a few pages loaded before the restart', async () =>
      outcomes.length >= 4 ? true : undefined,
    );
    const restartedAt = Date.now();
    const restart = (await fs.control('/postgres/restart')) as { restarted_in_ms: number };
    // Pages come back: ten in a row answer 200 after the restart.
    const recovered = await eventually(
      'ten pages in a row after the restart',
      async () => {
        const after = outcomes.filter((o) => o.at > restartedAt + restart.restarted_in_ms);
        const lastTen = after.slice(-10);
        return lastTen.length === 10 && lastTen.every((o) => o.status === 200) ? after : undefined;
      },
      60_000,
    );
    browsing = false;
    await browse;

    // A user reloads the job page of an upload whose page failed: the job is created then.
    for (const next of pendingJobPages) jobs.push(await user.createJob(next));
    const during = outcomes.filter(
      (o) => o.at >= restartedAt && o.at <= restartedAt + restart.restarted_in_ms,
    );
    process.stdout.write(
      `[faults] PostgreSQL restart: ${restart.restarted_in_ms} ms; page loads ${outcomes.length} ` +
        `(during the restart ${during.length}, not 200: ${outcomes.filter((o) => o.status !== 200).length}: ` +
        `${[...new Set(outcomes.filter((o) => o.status !== 200).map((o) => o.status))].join(', ') || 'none'}); ` +
        `uploads ${jobs.length}, job page reloaded after an error: ${pendingJobPages.length}; ` +
        `first 200 after the restart ${recovered[0] ? recovered[0].at - restartedAt : '?'} ms after it began\n`,
    );
    expect((await fs.services()).web?.pid).toBe(webPid);
    // a page that fails while the database is away says so: 503 (try again), never a 500
    expect([...new Set(outcomes.map((o) => o.status))].filter((s) => s !== 200 && s !== 503)).toEqual([]);

    const report = await checkInvariants(fs, 'PostgreSQL restarted while users browse', jobs);
    expect(report.problems).toEqual([]);
    expect(report.lost).toBe(0);
  }, 180_000);
});
