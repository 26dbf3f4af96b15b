// The operations console, in a real headless browser, against a real pipeline: the four
// services as processes on the local stack, data flowing. What an operator checks at a
// glance: every stage with its instances and partitions, throughput above zero, a checkpoint
// epoch, the suspended state after `iotctl suspend` and running again after resume. And
// `iotctl status` prints the same facts. CONSOLE_SCREENSHOT=<file> keeps a screenshot
// (`npm run console:screenshot` writes docs/console.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { PipelineRun, iotctlOk } from '@iot/harness';
import { launchBrowser } from '../support/browser.ts';
import { stack } from '../support/stack.ts';

const STAGES = ['ingest', 'aggregator', 'writer', 'checkpointer'] as const;

/** The number a figure on the page shows ("1,234/s" → 1234; "—" → 0). */
async function figure(page: Page, selector: string): Promise<number> {
  const text = await page.$eval(selector, (el) => el.textContent ?? '');
  const n = Number(text.replace(/[^\d.]/g, ''));
  return Number.isFinite(n) ? n : 0;
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the console did not show ${what} within ${ms} ms`);
}

test(
  'the console shows stages, instances, throughput, epochs and the suspended state; iotctl status agrees',
  { timeout: 240_000 },
  async () => {
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-console',
      seed: 77,
      // Event time close to now, so the event-time lag reads as it would live (a minute or so).
      eventStartMs: Date.now() - 90_000,
      env: { CHECKPOINT_INTERVAL: '2s', CHECKPOINT_TIMEOUT: '5s', CHECKPOINT_RETAIN: '3' },
    });
    const services = STAGES.map((s) => run.service(s));
    const browser = await launchBrowser();
    try {
      await Promise.all(services.map((s) => s.start()));
      const checkpointer = services[3]!;
      const url = `http://127.0.0.1:${checkpointer.httpPort}/console`;
      void run.produce(40_000);

      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await page.goto(url);

      // Every stage, with exactly the instance we started (its name ends in the process id).
      await until('all four stages with their instance', 30_000, async () => {
        for (const [i, stage] of STAGES.entries()) {
          const names = await page.$$eval(`[data-stage="${stage}"] [data-instance]`, (els) =>
            els.map((e) => e.getAttribute('data-instance') ?? ''),
          );
          if (names.length !== 1 || !names[0]!.endsWith(`-${services[i]!.pid}`)) return false;
        }
        return true;
      });
      // The stages that own partitions show them: both partitions are owned.
      await until('both partitions owned in ingest and the aggregator', 30_000, async () => {
        for (const stage of ['ingest', 'aggregator']) {
          const chips = await page.$$eval(`[data-stage="${stage}"] .chip`, (els) =>
            els.map((e) => e.textContent),
          );
          if (chips.join() !== 'p0,p1') return false;
        }
        return true;
      });

      // Data flows: throughput above zero in and out of every processing stage.
      await until('throughput above zero in every stage', 60_000, async () => {
        for (const stage of ['ingest', 'aggregator', 'writer']) {
          if ((await figure(page, `[data-stage="${stage}"] [data-field="in-rate"]`)) <= 0)
            return false;
          if ((await figure(page, `[data-stage="${stage}"] [data-field="out-rate"]`)) <= 0)
            return false;
        }
        return true;
      });
      await until(
        'a complete checkpoint epoch',
        30_000,
        async () => (await figure(page, '#last-epoch')) >= 1,
      );
      // The last epochs from checkpoint storage, each with its age and size.
      await until(
        'the recent epochs from checkpoint storage',
        20_000,
        async () => (await page.$$('[data-table="checkpoints"] tr')).length >= 3,
      );
      await until(
        'event-time lag per aggregator partition',
        10_000,
        async () =>
          (await page.$$('[data-partition^="aggregator/"] [data-field="lag"]')).length === 2,
      );
      assert.equal(await page.$eval('#pipeline-state', (el) => el.textContent), 'running');
      // For the README's picture: a few more rounds, so the sparklines have a shape.
      if (process.env.CONSOLE_SCREENSHOT !== undefined)
        await new Promise((r) => setTimeout(r, 12_000));
      const shot =
        process.env.CONSOLE_SCREENSHOT ??
        join(mkdtempSync(join(tmpdir(), 'console-')), 'console.png');
      await page.screenshot({ path: shot, fullPage: true });

      // The terminal shows the same facts.
      const status = await iotctlOk(run.iotctlEnv, 'status');
      assert.match(status, /^pipeline RUNNING$/m);
      for (const [i, stage] of STAGES.entries()) {
        assert.match(status, new RegExp(`^${stage}\\s+${stage}-\\S+-${services[i]!.pid}\\s`, 'm'));
      }
      assert.match(status, /^ {2}ingest\s+in\s+[\d,.]+\/s/m);
      assert.match(status, /^ {2}aggregator\/[01]\s+backlog \S+\s+event-time lag \d/m);
      assert.match(status, /^checkpoints {2}last epoch \d+/m);

      // Suspend: the page says so without a reload; resume: running again.
      await iotctlOk(run.iotctlEnv, 'suspend');
      await until(
        'the suspended state',
        15_000,
        async () =>
          (await page.$eval('#pipeline-state', (el) => el.getAttribute('data-state'))) ===
          'suspended',
      );
      for (const stage of ['ingest', 'aggregator']) {
        assert.ok(
          await page.$(`[data-stage="${stage}"] .tag.suspended`),
          `${stage} marked suspended`,
        );
      }
      assert.match(await iotctlOk(run.iotctlEnv, 'status'), /^pipeline SUSPENDED$/m);
      await iotctlOk(run.iotctlEnv, 'resume');
      await until(
        'the running state after resume',
        15_000,
        async () =>
          (await page.$eval('#pipeline-state', (el) => el.getAttribute('data-state'))) ===
          'running',
      );
      assert.deepEqual(errors, [], 'no script error on the page');
    } finally {
      await browser.close();
      await run.cleanup();
    }
  },
);
