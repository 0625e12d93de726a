import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { SCREENSHOTS_DIR, type ServerState, serverFor } from '../e2e-state';

type TestFixtures = {
  /** Console errors and uncaught page errors seen so far in this test. */
  consoleErrors: string[];
  /** True in the "hydrated" project, false in "no-js". */
  hydrated: boolean;
};
type WorkerFixtures = {
  /** The fresh server global setup started for this worker's project. */
  gtx: ServerState;
};

export const test = base.extend<TestFixtures, WorkerFixtures>({
  gtx: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use, workerInfo) => {
      await use(serverFor(workerInfo.project.name));
    },
    { scope: 'worker' },
  ],
  // Each project's server listens on a port picked by global setup.
  baseURL: async ({ gtx }, use) => {
    await use(gtx.baseURL);
  },
  hydrated: async ({ javaScriptEnabled }, use) => {
    await use(javaScriptEnabled !== false);
  },
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    collectConsoleErrors(page, errors);
    await use(errors);
  },
});

export { expect };

/** Records console errors and uncaught page errors of `page` into `errors`. */
export function collectConsoleErrors(page: Page, errors: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
}

/**
 * A browser context of its own (its own cookies) with this project's options and the
 * project's server as base URL, for flows that span tests (created in `beforeAll`, where
 * the `context` fixture is not available) or need a second signed-in user.
 */
export async function newProjectContext(
  browser: Browser,
  testInfo: TestInfo,
  gtx: ServerState,
): Promise<BrowserContext> {
  const use = testInfo.project.use;
  const options: BrowserContextOptions = {
    baseURL: gtx.baseURL,
    javaScriptEnabled: use.javaScriptEnabled ?? true,
    viewport: use.viewport ?? { width: 1280, height: 720 },
    userAgent: use.userAgent,
    deviceScaleFactor: use.deviceScaleFactor,
    isMobile: use.isMobile,
    hasTouch: use.hasTouch,
    locale: use.locale ?? 'en-US',
  };
  const context = await browser.newContext(options);
  if (options.javaScriptEnabled) {
    // Copy buttons write to the clipboard; the tests read it back.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gtx.baseURL });
  }
  return context;
}

/** In the hydrated project, wait until the WASM app has hydrated the page. */
export async function waitForHydration(page: Page, hydrated: boolean): Promise<void> {
  if (hydrated) {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  } else {
    // Sanity check that JavaScript really is off in this project.
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  }
}

/**
 * No serious or critical axe-core violation on `page` as it is now. Without JavaScript
 * the page is scanned in a JavaScript-enabled copy (axe runs in the page): the same HTML
 * and styles, no WASM.
 */
export async function expectNoSeriousAxeViolations(page: Page, what: string, hydrated: boolean): Promise<void> {
  let target = page;
  let scan: BrowserContext | undefined;
  if (!hydrated) {
    const html = await page.content();
    const browser = page.context().browser();
    if (!browser) throw new Error('no browser');
    scan = await browser.newContext({ viewport: page.viewportSize(), javaScriptEnabled: true });
    await scan.route('**/*', (route) => {
      const request = route.request();
      if (request.isNavigationRequest()) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      return request.url().endsWith('.css') ? route.continue() : route.abort();
    });
    target = await scan.newPage();
    await target.goto(page.url());
  }
  const results = await new AxeBuilder({ page: target }).analyze();
  await scan?.close();
  expect(results.passes.length).toBeGreaterThan(10);
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  expect(bad, `serious/critical axe violations on ${what}`).toEqual([]);
}

/** Signs in on /login as `email`, then expects to land on `landing` (a path). */
export async function signInTo(page: Page, email: string, password: string, hydrated: boolean, landing: string): Promise<void> {
  await page.goto('/login');
  await waitForHydration(page, hydrated);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(pathIs(landing));
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A URL matcher for exactly this path (any origin), with an optional query. */
export function pathIs(pathname: string, query?: string): RegExp {
  const q = query === undefined ? '' : `\\?${escapeRegExp(query)}`;
  return new RegExp(`^[a-z]+://[^/]+${escapeRegExp(pathname)}${q}$`);
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/**
 * Saves full-page screenshots of the page as it is now, at desktop and phone sizes, to
 * screenshots/<project>/<name>-<desktop|phone>.png, then puts the viewport back.
 */
export async function saveScreenshots(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const dir = path.join(SCREENSHOTS_DIR, testInfo.project.name);
  fs.mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: true, animations: 'disabled' });
  }
  if (before) await page.setViewportSize(before);
}

/** The server binary the operator commands run (the one global setup started). */
const GTX_BIN = path.resolve(process.env.GTX_BIN ?? path.join(__dirname, '../../target/debug/gtx-keys'));

/**
 * Runs an operator command against the server's data directory (with no DATABASE_URL or
 * GTX_* settings from the caller); returns its stdout, trimmed.
 */
export function gtxCli(gtx: ServerState, args: string[], input?: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key.startsWith('GTX_')) delete env[key];
  }
  return execFileSync(GTX_BIN, ['--data-dir', gtx.dataDir, ...args], {
    env,
    input: input ?? '',
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}
