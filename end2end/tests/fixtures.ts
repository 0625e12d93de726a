import { test as base, expect, type Page } from '@playwright/test';
import { type E2EState, readState } from '../e2e-state';

type TestFixtures = {
  /** Console errors and uncaught page errors seen so far in this test. */
  consoleErrors: string[];
  /** True in the "hydrated" project, false in "no-js". */
  hydrated: boolean;
};
type WorkerFixtures = { gtx: E2EState };

export const test = base.extend<TestFixtures, WorkerFixtures>({
  gtx: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      await use(readState());
    },
    { scope: 'worker' },
  ],
  // The server listens on a port picked by global setup.
  baseURL: async ({ gtx }, use) => {
    await use(gtx.baseURL);
  },
  hydrated: async ({ javaScriptEnabled }, use) => {
    await use(javaScriptEnabled !== false);
  },
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(errors);
  },
});

export { expect };

/** In the hydrated project, wait until the WASM app has hydrated the page. */
export async function waitForHydration(page: Page, hydrated: boolean): Promise<void> {
  if (hydrated) {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  } else {
    // Sanity check that JavaScript really is off in this project.
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
