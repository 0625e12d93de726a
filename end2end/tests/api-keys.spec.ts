// The API key pages, once per project (hydrated and without JavaScript), against the
// project's own fresh server: Project → API Keys and Organisation → API Keys, create (each
// kind of key), the one-time reveal, rotate with a grace period, revoke, filters and
// sorting, validation, who may see what, accessibility (axe-core) and screenshots.
//
// Independent of accounts.spec.ts: the organisation, its projects and users come from the
// operator CLI, run against the server's own data directory while it runs. The tests
// share one signed-in admin context, so they run in order and stop at the first failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Locator, Page, Response, TestInfo } from '@playwright/test';
import type { ServerState } from '../e2e-state';
import {
  collectConsoleErrors,
  escapeRegExp,
  expect,
  gtxCli,
  newProjectContext,
  pathIs,
  saveScreenshots,
  signInTo,
  test,
  waitForHydration,
} from './fixtures';


const ORG_NAME = 'Keys Test Org';
const PROJECT_A = 'Mobile app';
const PROJECT_B = 'Backend';
const ADMIN_EMAIL = 'keys-admin@example.com';
const ADMIN_PASSWORD = 'keys admin password 2026';
const MEMBER_EMAIL = 'keys-member@example.com';
const MEMBER_PASSWORD = 'keys member password 2026';

const PREFIX = { production: 'gtx-api-', development: 'gtx-dev-', organisation: 'gtx-org-' } as const;
type Kind = keyof typeof PREFIX;

/** `prefix` + 43 random + 6 checksum base62 characters. */
const keyFormat = (kind: Kind) => new RegExp(`^${escapeRegExp(PREFIX[kind])}[0-9A-Za-z]{49}$`);
/** What the list shows instead of the key: prefix + first 4 + … + last 4. */
const hintOf = (key: string) => `${key.slice(0, 12)}…${key.slice(-4)}`;

test.describe.configure({ mode: 'serial' });

test.describe('API key pages', () => {
  let admin: BrowserContext;
  let page: Page;
  const adminErrors: string[] = [];

  let orgId = '';
  let projectA = '';
  let projectB = '';
  /** Every key revealed so far (none may leak anywhere else). */
  const revealed: string[] = [];
  /** The responses that carried a key (a create's or rotate's), and every response's body. */
  const carriers = new Set<Response>();
  const bodies: Promise<{ response: Response; body: string }>[] = [];

  const projectKeys = (projectId: string) => `/orgs/${orgId}/projects/${projectId}/api-keys`;
  const orgKeys = () => `/orgs/${orgId}/api-keys`;

  test.beforeAll(async ({ browser, gtx, hydrated }, testInfo) => {
    orgId = gtxCli(gtx, ['org', 'create', '--name', ORG_NAME]);
    projectA = gtxCli(gtx, ['project', 'create', '--org', orgId, '--name', PROJECT_A]);
    projectB = gtxCli(gtx, ['project', 'create', '--org', orgId, '--name', PROJECT_B]);
    gtxCli(gtx, ['user', 'create', '--org', orgId, '--email', ADMIN_EMAIL, '--role', 'admin'], `${ADMIN_PASSWORD}\n`);
    gtxCli(gtx, ['user', 'create', '--org', orgId, '--email', MEMBER_EMAIL, '--role', 'member'], `${MEMBER_PASSWORD}\n`);
    gtxCli(gtx, ['project', 'add-member', '--project', projectA, '--email', MEMBER_EMAIL]);

    admin = await newProjectContext(browser, testInfo, gtx);
    page = await admin.newPage();
    collectConsoleErrors(page, adminErrors);
    // Keep every response body the admin's browser gets (not the app's JS and WASM).
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/pkg/')) return;
      bodies.push(
        response
          .text()
          .catch(() => '') // redirects have no body
          .then((body) => ({ response, body })),
      );
    });
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, hydrated);
  });

  test.afterAll(async () => {
    await scanPage?.context().close();
    await admin?.close();
  });

  // ---- helpers -------------------------------------------------------------------------

  const signIn = (p: Page, email: string, password: string, hydrated: boolean) =>
    signInTo(p, email, password, hydrated, `/orgs/${orgId}`);

  /** Fails on console errors seen since the last check, except the `expected` ones. */
  function expectNoConsoleErrors(errors: string[], expected: RegExp[] = []): void {
    const unexpected = errors.filter((e) => !expected.some((re) => re.test(e)));
    errors.length = 0;
    expect(unexpected, 'console errors').toEqual([]);
  }

  async function goto(p: Page, url: string, hydrated: boolean, status = 200): Promise<Response | null> {
    const response = await p.goto(url);
    expect(response?.status(), `status of ${url}`).toBe(status);
    await waitForHydration(p, hydrated);
    return response;
  }

  /** Without JavaScript: a JavaScript-enabled page that serves copies of pages to axe. */
  let scanPage: Page | undefined;
  let scanHtml = '';

  /**
   * No serious or critical axe-core violations on the page as it is now. axe runs inside
   * the page, so without JavaScript it scans a copy of the page's HTML instead: served at
   * the same URL (same styles) to a JavaScript-enabled page that never loads the WASM app.
   */
  async function expectAccessible(p: Page, what: string, hydrated: boolean): Promise<void> {
    let target = p;
    if (!hydrated) {
      if (!scanPage) {
        const browser = p.context().browser();
        if (!browser) throw new Error('no browser to scan with');
        const scanContext = await browser.newContext({ viewport: p.viewportSize(), javaScriptEnabled: true });
        await scanContext.route('**/*', (route) => {
          const request = route.request();
          if (request.isNavigationRequest()) {
            return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: scanHtml });
          }
          return request.url().endsWith('.css') ? route.continue() : route.abort();
        });
        scanPage = await scanContext.newPage();
      }
      scanHtml = await p.content();
      await scanPage.setViewportSize(p.viewportSize() ?? { width: 1280, height: 720 });
      await scanPage.goto(p.url());
      target = scanPage;
    }
    const results = await new AxeBuilder({ page: target }).analyze();
    expect(results.passes.length, 'axe ran its checks').toBeGreaterThan(10);
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const report = bad.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
    expect(report, `serious/critical axe violations on ${what}:\n${JSON.stringify(report, null, 2)}`).toEqual([]);
  }

  /**
   * The key list fits the page at every width: a table inside the content column down to
   * 68rem, one card per key below (no sideways scrolling, no table past the page's edge).
   */
  async function expectListFits(p: Page): Promise<void> {
    const before = p.viewportSize();
    for (const width of [1280, 1024, 961, 960, 800]) {
      await p.setViewportSize({ width, height: 800 });
      const fit = await p.evaluate(() => ({
        scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        past:
          (document.querySelector('main table')?.getBoundingClientRect().right ?? 0) -
          (document.querySelector('#create-key')?.getBoundingClientRect().right ?? 0),
      }));
      expect(fit.scroll, `sideways scrolling at ${width} px`).toBe(0);
      expect(fit.past, `the table past the content's edge at ${width} px`).toBeLessThanOrEqual(1);
    }
    if (before) await p.setViewportSize(before);
  }

  const createButton = (p: Page) => p.getByRole('button', { name: 'Create API key', exact: true });
  const createDialog = (p: Page) => p.getByRole('dialog', { name: 'Create API key' });
  const revealDialog = (p: Page) => p.getByRole('dialog', { name: 'Save your API key' });
  const keyRows = (p: Page) => p.getByRole('main').locator('table tbody tr');
  const rowsNamed = (p: Page, name: string) =>
    keyRows(p).filter({ has: p.locator('.key-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
  const rowById = (p: Page, id: string) => p.locator(`tr[data-key-id="${id}"]`);

  /** The names in the list, in order. */
  async function listedNames(p: Page): Promise<string[]> {
    return (await keyRows(p).locator('.key-name').allTextContents()).map((s) => s.trim());
  }

  /** Opens the create dialog from the page's button; checks the URL it puts it at. */
  async function openCreate(p: Page, base: string): Promise<Locator> {
    await createButton(p).click();
    await expect(p).toHaveURL(pathIs(base, 'create=1'));
    const dialog = createDialog(p);
    await expect(dialog).toBeVisible();
    return dialog;
  }

  /**
   * Submits a form in a dialog whose server function reveals a key (`create_api_key` or
   * `rotate_api_key`) and returns the revealed key after checking the reveal dialog, the
   * response carrying the key (`no-store`) and, without JavaScript, the redirect URL.
   */
  async function submitAndReveal(
    p: Page,
    submit: Locator,
    opts: { endpoint: 'create_api_key' | 'rotate_api_key'; base: string; kind: Kind; hydrated: boolean },
  ): Promise<string> {
    const what = opts.endpoint === 'create_api_key' ? 'created' : 'rotated';
    const carrier = opts.hydrated
      ? p.waitForResponse((r) => new URL(r.url()).pathname === `/_sf/${opts.endpoint}`)
      : p.waitForResponse(
          (r) => r.request().isNavigationRequest() && new URL(r.url()).searchParams.has('reveal'),
        );
    await submit.click();
    const response = await carrier;
    expect(response.status(), `status of the response that carries the key`).toBe(200);
    expect(response.headers()['cache-control'] ?? '', 'the key is never cached').toContain('no-store');

    const dialog = revealDialog(p);
    await expect(dialog).toBeVisible();
    if (opts.hydrated) {
      // The finished action closes the create/rotate dialog: the URL drops its parameter.
      await expect(p).toHaveURL(pathIs(opts.base));
    } else {
      await expect(p).toHaveURL(new RegExp(`${escapeRegExp(opts.base)}\\?reveal=[^&#]+&${what}=1$`));
    }
    await expect(createDialog(p)).toHaveCount(0);
    await expect(p.getByRole('dialog', { name: 'Rotate API key' })).toHaveCount(0);
    await expect(dialog).toContainText('This is the only time the key is shown.');
    const key = ((await dialog.getByTestId('revealed-key').textContent()) ?? '').trim();
    expect(key).toMatch(keyFormat(opts.kind));
    expect(revealed, 'every key is new').not.toContain(key);
    revealed.push(key);
    carriers.add(response);
    expect(await response.text(), 'the response carries the key').toContain(key);
    return key;
  }

  /** Checks the `.env` snippet and the Copy buttons of the reveal dialog. */
  async function checkRevealDialog(p: Page, key: string, projectId: string | null, hydrated: boolean) {
    const dialog = revealDialog(p);
    const env = dialog.getByTestId('env-snippet');
    await expect(env).toContainText(`GT_API_KEY=${key}`);
    if (projectId) {
      await expect(env).toContainText(`GT_PROJECT_ID=${projectId}`);
    } else {
      await expect(env).not.toContainText('GT_PROJECT_ID');
    }
    const copy = dialog.getByRole('button', { name: 'Copy', exact: true });
    const copyEnv = dialog.getByRole('button', { name: 'Copy .env', exact: true });
    await expect(dialog.getByRole('button', { name: 'Done', exact: true })).toBeVisible();
    if (hydrated) {
      await copy.click();
      await expect(copy).toHaveText('Copied');
      expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(key);
      await copyEnv.click();
      await expect(copyEnv).toHaveText('Copied');
      const envText = await p.evaluate(() => navigator.clipboard.readText());
      expect(envText.split('\n')).toEqual(
        projectId ? [`GT_API_KEY=${key}`, `GT_PROJECT_ID=${projectId}`] : [`GT_API_KEY=${key}`],
      );
    } else {
      // Copy needs JavaScript: without it the buttons are not there at all.
      await expect(copy).toHaveCount(0);
      await expect(copyEnv).toHaveCount(0);
    }
  }

  /**
   * "Done" closes the reveal; the key leaves the page. Without JavaScript the reveal URL
   * took the key once: loading it again does not show it.
   */
  async function closeRevealAndReload(p: Page, key: string, base: string, hydrated: boolean): Promise<void> {
    const revealUrl = p.url();
    await revealDialog(p).getByRole('button', { name: 'Done', exact: true }).click();
    await expect(revealDialog(p)).toHaveCount(0);
    await expect(p).toHaveURL(pathIs(base));
    await waitForHydration(p, hydrated);
    expect(await p.content(), 'the key left the page').not.toContain(key);

    if (!hydrated) {
      const again = await goto(p, revealUrl, hydrated);
      await expect(revealDialog(p)).toHaveCount(0);
      expect(await again?.text(), 'a second load of the reveal URL').not.toContain(key);
    }
    const reloaded = await goto(p, base, hydrated);
    await expect(revealDialog(p)).toHaveCount(0);
    expect(await reloaded?.text(), 'the page after a reload').not.toContain(key);
    expect(await p.content()).not.toContain(key);
    // Listed masked only.
    await expect(p.getByRole('main').locator('code.key-hint', { hasText: hintOf(key) })).toHaveCount(1);
  }

  /** Creates a project key through the dialog; returns it (reveal checked, closed, reloaded). */
  async function createProjectKey(
    p: Page,
    name: string,
    kind: 'production' | 'development',
    hydrated: boolean,
    testInfo: TestInfo,
    shots = false,
  ): Promise<string> {
    const base = projectKeys(projectA);
    const dialog = await openCreate(p, base);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
    const type = dialog.getByRole('radiogroup', { name: 'Key type' });
    await expect(type.getByRole('radio', { name: 'Production', exact: true })).toBeChecked();
    await type.getByRole('radio', { name: kind === 'production' ? 'Production' : 'Development', exact: true }).check();
    if (shots) {
      await expectAccessible(p, 'the project create dialog', hydrated);
      await saveScreenshots(p, testInfo, 'keys-project-create');
    }
    const key = await submitAndReveal(p, dialog.getByRole('button', { name: 'Create key', exact: true }), {
      endpoint: 'create_api_key',
      base,
      kind,
      hydrated,
    });
    await expect(revealDialog(p)).toContainText(name);
    await checkRevealDialog(p, key, projectA, hydrated);
    if (shots) {
      await expectAccessible(p, 'the reveal dialog', hydrated);
      await saveScreenshots(p, testInfo, 'keys-project-reveal');
    }
    await closeRevealAndReload(p, key, base, hydrated);
    const row = rowsNamed(p, name).filter({ has: p.locator('code.key-hint', { hasText: hintOf(key) }) });
    await expect(row).toHaveCount(1);
    await expect(row.locator('td[data-label="Type"]')).toHaveText(kind === 'production' ? 'Production' : 'Development');
    await expect(row.locator('code.key-hint')).toHaveText(hintOf(key));
    await expect(row.locator('td[data-label="Status"]')).toContainText('Active');
    await expect(row.locator('td[data-label="Last used"]')).toHaveText('Never');
    return key;
  }

  /** Rotates the only active, not yet rotated key named `name` with a 1 hour grace period. */
  async function rotate(
    p: Page,
    base: string,
    name: string,
    kind: Kind,
    hydrated: boolean,
    testInfo: TestInfo,
    shots: string | null,
  ): Promise<void> {
    const oldRow = rowsNamed(p, name);
    await expect(oldRow).toHaveCount(1);
    const oldId = (await oldRow.getAttribute('data-key-id')) ?? '';
    const oldHint = ((await oldRow.locator('code.key-hint').textContent()) ?? '').trim();

    await oldRow.getByRole('button', { name: `Rotate ${name}`, exact: true }).click();
    await expect(p).toHaveURL(pathIs(base, `rotate=${oldId}`));
    const dialog = p.getByRole('dialog', { name: 'Rotate API key' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(name);
    await expect(dialog).toContainText(oldHint);
    const grace = dialog.getByRole('radiogroup', { name: 'Old key keeps working for' });
    for (const label of ['Now', '1 hour', '24 hours', '7 days']) {
      await expect(grace.getByRole('radio', { name: label, exact: true })).toBeVisible();
    }
    await grace.getByRole('radio', { name: '1 hour', exact: true }).check();
    if (shots) {
      await expectAccessible(p, 'the rotate dialog', hydrated);
      await saveScreenshots(p, testInfo, shots);
    }
    const key = await submitAndReveal(p, dialog.getByRole('button', { name: 'Rotate key', exact: true }), {
      endpoint: 'rotate_api_key',
      base,
      kind,
      hydrated,
    });
    await expect(revealDialog(p)).toContainText(name);
    await checkRevealDialog(p, key, kind === 'organisation' ? null : projectA, hydrated);
    await closeRevealAndReload(p, key, base, hydrated);

    // Both keys are listed: the replacement active, the old one expiring within the hour.
    const rows = rowsNamed(p, name);
    await expect(rows).toHaveCount(2);
    const newRow = rows.and(p.locator(`tr:not([data-key-id="${oldId}"])`));
    await expect(newRow).toHaveCount(1);
    await expect(newRow.locator('code.key-hint')).toHaveText(hintOf(key));
    await expect(newRow.getByText('Replacement', { exact: true })).toBeVisible();
    await expect(newRow.locator('td[data-label="Status"]')).toContainText('Active');
    await expect(newRow.getByRole('button', { name: `Rotate ${name}`, exact: true })).toBeVisible();

    const old = rowById(p, oldId);
    await expect(old.locator('code.key-hint')).toHaveText(oldHint);
    await expect(old.locator('td[data-label="Status"]')).toContainText('Expiring');
    await expect(old.locator('td[data-label="Status"]')).toContainText(/Rotated: stops working in .+/);
    await expect(old.getByText('Replacement', { exact: true })).toHaveCount(0);
    // The old key can still be revoked, but not rotated a second time.
    await expect(old.getByRole('button', { name: `Rotate ${name}` })).toHaveCount(0);
    await expect(old.getByRole('button', { name: `Revoke ${name}`, exact: true })).toBeVisible();
  }

  /** Revokes the key of the row with `id` (named `name`) through its confirmation dialog. */
  async function revoke(
    p: Page,
    base: string,
    id: string,
    name: string,
    hydrated: boolean,
    testInfo: TestInfo,
    shots: string | null,
  ): Promise<void> {
    const row = rowById(p, id);
    const hint = ((await row.locator('code.key-hint').textContent()) ?? '').trim();
    await row.getByRole('button', { name: `Revoke ${name}`, exact: true }).click();
    await expect(p).toHaveURL(pathIs(base, `revoke=${id}`));
    const dialog = p.getByRole('dialog', { name: 'Revoke API key' });
    await expect(dialog).toBeVisible();
    // It names the key.
    await expect(dialog).toContainText(`Revoke ${name} (${hint})?`);
    if (shots) {
      await expectAccessible(p, 'the revoke dialog', hydrated);
      await saveScreenshots(p, testInfo, shots);
    }
    const done = hydrated
      ? p.waitForResponse((r) => new URL(r.url()).pathname === '/_sf/revoke_api_key')
      : p.waitForEvent('load');
    await dialog.getByRole('button', { name: 'Revoke key', exact: true }).click();
    await done;
    await expect(dialog).toHaveCount(0);
    await expect(p).toHaveURL(pathIs(base));
    await expect(row.locator('td[data-label="Status"]')).toContainText('Revoked');
    await expect(row).toHaveAttribute('data-status', 'revoked');
    await expect(row.getByRole('button')).toHaveCount(0);
    // Still revoked after a reload.
    await goto(p, base, hydrated);
    await expect(rowById(p, id).locator('td[data-label="Status"]')).toContainText('Revoked');
  }

  // ---- tests ---------------------------------------------------------------------------

  test('the project page explains keys when empty, then creates a Production and a Development key, each shown once', async ({
    hydrated,
  }, testInfo) => {
    const base = projectKeys(projectA);
    // The organisation page leads there through the project's name.
    await goto(page, `/orgs/${orgId}`, hydrated);
    await page.getByRole('main').getByRole('link', { name: PROJECT_A, exact: true }).click();
    await expect(page).toHaveURL(pathIs(base));
    await waitForHydration(page, hydrated);

    await expect(page.getByRole('heading', { level: 1, name: `${PROJECT_A} · API keys` })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();
    await expect(page.getByRole('main')).toContainText('GT_API_KEY');
    await expect(page.getByTestId('project-id')).toHaveText(projectA);
    const copyId = page.getByRole('button', { name: 'Copy project ID', exact: true });
    if (hydrated) {
      await copyId.click();
      await expect(copyId).toHaveText('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(projectA);
    } else {
      await expect(copyId).toHaveCount(0);
    }
    await expectAccessible(page, 'the empty project page', hydrated);
    await saveScreenshots(page, testInfo, 'keys-project-empty');

    await createProjectKey(page, 'Production deploy', 'production', hydrated, testInfo, true);
    await createProjectKey(page, 'Local dev', 'development', hydrated, testInfo);

    await expect(page.getByRole('main').getByRole('table')).toBeVisible();
    expect(await listedNames(page)).toEqual(['Local dev', 'Production deploy']); // newest first
    await expect(page.getByRole('main').getByText('2 keys', { exact: true })).toBeVisible();
    await expectAccessible(page, 'the project page', hydrated);
    await saveScreenshots(page, testInfo, 'keys-project');
    expectNoConsoleErrors(adminErrors);
  });

  test('dialogs take focus, keep Tab inside, and the reveal asks before Escape or a backdrop click closes it', async ({
    hydrated,
  }) => {
    test.skip(!hydrated, 'focus handling and the close confirmation need JavaScript');
    const base = projectKeys(projectA);
    await goto(page, base, hydrated);
    const opener = createButton(page);
    const dialog = createDialog(page);
    const name = dialog.getByRole('textbox', { name: 'Name' });

    // By keyboard: Enter on the button opens the dialog with the Name field focused;
    // Escape closes it and focus returns to the button.
    await opener.focus();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeVisible();
    await expect(page).toHaveURL(pathIs(base, 'create=1'));
    await expect(name).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(page).toHaveURL(pathIs(base));
    await expect(opener).toBeFocused();
    // Space presses it too (a link announced as a button behaves as one).
    await page.keyboard.press('Space');
    await expect(dialog).toBeVisible();
    await expect(name).toBeFocused();
    await dialog.getByRole('link', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page).toHaveURL(pathIs(base));

    // By mouse, the same.
    await opener.click();
    await expect(dialog).toBeVisible();
    await expect(name).toBeFocused();
    // Tab from the last control wraps to the first; Shift+Tab from the first to the last.
    const submit = dialog.getByRole('button', { name: 'Create key', exact: true });
    const close = dialog.getByRole('link', { name: 'Close', exact: true });
    await submit.focus();
    await page.keyboard.press('Tab');
    await expect(close).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(submit).toBeFocused();

    // Create a key by keyboard alone.
    await name.focus();
    await page.keyboard.type('Keyboard test');
    await page.keyboard.press('Tab'); // to the key type
    await page.keyboard.press('ArrowDown'); // Development
    await expect(dialog.getByRole('radio', { name: 'Development', exact: true })).toBeChecked();
    const created = page.waitForResponse((r) => new URL(r.url()).pathname === '/_sf/create_api_key');
    await submit.focus();
    await page.keyboard.press('Enter');
    carriers.add(await created);
    const reveal = revealDialog(page);
    await expect(reveal).toBeVisible();
    const keyText = reveal.getByTestId('revealed-key');
    const key = ((await keyText.textContent()) ?? '').trim();
    expect(key).toMatch(keyFormat('development'));
    revealed.push(key);
    // Focus moved into the reveal dialog: onto its title, not onto "Done", so a stray
    // Enter cannot close it. Tab goes on to Copy and stays inside.
    const title = reveal.getByRole('heading', { name: 'Save your API key' });
    const copy = reveal.getByRole('button', { name: 'Copy', exact: true });
    const done = reveal.getByRole('button', { name: 'Done', exact: true });
    await expect(title).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(reveal).toBeVisible();
    await page.keyboard.press('Tab');
    await expect(copy).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(done).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(copy).toBeFocused();
    await title.focus();
    await page.keyboard.press('Shift+Tab');
    await expect(done).toBeFocused();

    // Escape asks first, with focus on "Keep open"; it keeps the key.
    const confirm = page.getByRole('alertdialog', { name: 'Close without saving?' });
    const keepOpen = confirm.getByRole('button', { name: 'Keep open', exact: true });
    await page.keyboard.press('Escape');
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText('The key will not be shown again.');
    await expect(confirm.getByRole('button', { name: 'Close anyway', exact: true })).toBeVisible();
    await expect(keepOpen).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(confirm).toHaveCount(0);
    await expect(reveal).toBeVisible();
    await expect(keyText).toHaveText(key);
    await expect(title).toBeFocused();

    // A click on the backdrop (outside the dialog) asks too; a click inside does not.
    await reveal.getByText('This is the only time the key is shown.').click();
    await expect(confirm).toHaveCount(0);
    await page.mouse.click(5, 5);
    await expect(confirm).toBeVisible();
    await confirm.getByRole('button', { name: 'Keep open', exact: true }).click();
    await expect(keyText).toHaveText(key);

    // "Close anyway" closes it and drops the key from the page.
    await page.keyboard.press('Escape');
    await confirm.getByRole('button', { name: 'Close anyway', exact: true }).click();
    await expect(reveal).toHaveCount(0);
    await expect(page).toHaveURL(pathIs(base));
    expect(await page.content()).not.toContain(key);
    await expect(rowsNamed(page, 'Keyboard test').locator('code.key-hint')).toHaveText(hintOf(key));
    expectNoConsoleErrors(adminErrors);
  });

  test('creating a key with an empty or duplicate name is refused next to the Name field', async ({ hydrated }) => {
    const base = projectKeys(projectA);
    await goto(page, base, hydrated);
    const before = await listedNames(page);

    let dialog = await openCreate(page, base);
    const name = dialog.getByRole('textbox', { name: 'Name' });
    await expect(name).toHaveAttribute('required', '');
    // Only spaces: past the browser's `required`, refused by the server.
    await name.fill('   ');
    await dialog.getByRole('button', { name: 'Create key', exact: true }).click();
    dialog = createDialog(page);
    const nameField = dialog.locator('.field').filter({ has: page.getByRole('textbox', { name: 'Name' }) });
    await expect(nameField.locator('.field-error')).toHaveText('Enter a name.');
    // Assistive tech hears it with the field.
    await expect(dialog.getByRole('textbox', { name: 'Name' })).toHaveAccessibleDescription(/Enter a name\./);
    await expect(dialog.getByRole('textbox', { name: 'Name' })).toHaveAttribute('aria-invalid', 'true');
    await expect(revealDialog(page)).toHaveCount(0);

    if (!hydrated) await waitForHydration(page, hydrated);
    // The name of an active key of this project.
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Local dev');
    await dialog.getByRole('radio', { name: 'Development', exact: true }).check();
    await dialog.getByRole('button', { name: 'Create key', exact: true }).click();
    await expect(nameField.locator('.field-error')).toContainText('already exists');
    // A fixed sentence (errors reach a page without JavaScript through a link, which
    // must not be able to carry text of its own).
    await expect(nameField.locator('.field-error')).toHaveText(
      'An active key with this name already exists in this project. Choose another name.',
    );
    await expect(dialog.getByRole('textbox', { name: 'Name' })).toHaveAccessibleDescription(/already exists/);
    await expect(revealDialog(page)).toHaveCount(0);

    await goto(page, base, hydrated);
    expect(await listedNames(page)).toEqual(before);
    // Hydrated, the refused calls answer 422, which Chromium logs.
    expectNoConsoleErrors(adminErrors, [/status of 422\b.*\/_sf\/create_api_key\)$/]);
  });

  test('rotating a project key with a 1 hour grace period reveals the new key once; both keys are listed', async ({
    hydrated,
  }, testInfo) => {
    const base = projectKeys(projectA);
    await goto(page, base, hydrated);
    await rotate(page, base, 'Production deploy', 'production', hydrated, testInfo, 'keys-project-rotate');
    expectNoConsoleErrors(adminErrors);
  });

  test('revoking a project key asks first, naming the key, and then lists it as revoked', async ({
    hydrated,
  }, testInfo) => {
    const base = projectKeys(projectA);
    await goto(page, base, hydrated);
    const row = rowsNamed(page, 'Local dev');
    const id = (await row.getAttribute('data-key-id')) ?? '';
    expect(id).not.toBe('');

    // Cancel leaves it alone.
    await row.getByRole('button', { name: 'Revoke Local dev', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('link', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page).toHaveURL(pathIs(base));
    await expect(rowById(page, id)).toHaveAttribute('data-status', 'active');

    await revoke(page, base, id, 'Local dev', hydrated, testInfo, 'keys-project-revoke');
    // The name is free again for a new key (unique among active keys only).
    await createProjectKey(page, 'Local dev', 'development', hydrated, testInfo);
    // Every status at once: active, a replacement, expiring after rotation, revoked.
    await expect(page.locator('tr[data-status="revoked"]')).not.toHaveCount(0);
    await expect(page.locator('tr[data-status="expiring"]')).not.toHaveCount(0);
    await saveScreenshots(page, testInfo, 'keys-project-statuses');
    await expectListFits(page);
    expectNoConsoleErrors(adminErrors);
  });

  test('the Status filter and sorting by a column stay in the URL', async ({ hydrated }) => {
    const base = projectKeys(projectA);
    await goto(page, base, hydrated);
    const all = await listedNames(page);
    expect(all.length).toBeGreaterThanOrEqual(4);

    await page.getByRole('combobox', { name: 'Status' }).selectOption('revoked');
    await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
    await expect(page).toHaveURL(/[?&]status=revoked(&|$)/);
    await waitForHydration(page, hydrated);
    const revokedRows = keyRows(page);
    await expect(revokedRows).toHaveCount(1);
    await expect(revokedRows).toHaveAttribute('data-status', 'revoked');
    expect(await listedNames(page)).toEqual(['Local dev']);
    await expect(page.getByRole('main').getByText(`1 of ${all.length} keys`, { exact: true })).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('revoked');

    // Sorting keeps the filter.
    const table = page.getByRole('main').getByRole('table');
    await table.getByRole('link', { name: 'Name', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base, 'status=revoked&sort=name&dir=asc'));
    await expect(keyRows(page)).toHaveCount(1);

    // Without the filter: by name A→Z, then Z→A, and back to newest first by default.
    await page.getByRole('main').getByRole('link', { name: 'Clear filters', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base));
    await expect(keyRows(page)).toHaveCount(all.length);
    // The form follows the URL (hydrated, the select was left at "Revoked" once).
    await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('');
    const byName = [...all].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    expect(byName).not.toEqual(all);
    await table.getByRole('link', { name: 'Name', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base, 'sort=name&dir=asc'));
    await expect(table.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
    await expect.poll(() => listedNames(page)).toEqual(byName);
    await table.getByRole('link', { name: 'Name', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base, 'sort=name&dir=desc'));
    await expect.poll(() => listedNames(page)).toEqual([...byName].reverse());

    // A reload (or a shared link) keeps the order.
    await goto(page, `${base}?sort=name&dir=desc`, hydrated);
    expect(await listedNames(page)).toEqual([...byName].reverse());
    await expect(page.getByRole('main').getByRole('table').getByRole('columnheader', { name: 'Name' })).toHaveAttribute(
      'aria-sort',
      'descending',
    );
    expectNoConsoleErrors(adminErrors);
  });

  test('the organisation page creates a key from a preset with one permission changed, and refuses a key with no permission', async ({
    hydrated,
  }, testInfo) => {
    const base = orgKeys();
    await goto(page, `/orgs/${orgId}`, hydrated);
    await page.getByRole('main').getByRole('link', { name: 'API keys', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base));
    await waitForHydration(page, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Organisation API keys' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();

    // No permission at all: refused.
    let dialog = await openCreate(page, base);
    const groups = [
      'Files',
      'Context',
      'Runtime translation',
      'Translation queue',
      'Project settings',
      'Project creation',
      'API keys',
    ];
    for (const group of groups) {
      const radios = dialog.getByRole('radiogroup', { name: group, exact: true });
      await expect(radios.getByRole('radio', { name: 'No access', exact: true })).toBeChecked();
      const levels = ['Files', 'Context', 'API keys'].includes(group) ? ['Read', 'Write'] : ['Enabled'];
      for (const level of levels) await expect(radios.getByRole('radio', { name: level, exact: true })).toBeVisible();
    }
    await expectAccessible(page, 'the organisation create dialog', hydrated);
    await saveScreenshots(page, testInfo, 'keys-org-create');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Nothing at all');
    await dialog.getByRole('button', { name: 'Create key', exact: true }).click();
    dialog = createDialog(page);
    await expect(dialog.locator('fieldset.permissions .field-error')).toHaveText('Choose at least one permission.');
    await expect(dialog.getByRole('group', { name: 'Permissions' })).toHaveAccessibleDescription(
      /Choose at least one permission\./,
    );
    await expect(revealDialog(page)).toHaveCount(0);
    if (!hydrated) await waitForHydration(page, hydrated);

    // The "Read only" preset, then Files raised to Write.
    await dialog.getByRole('link', { name: 'Read only', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base, 'create=1&preset=read_only'));
    await waitForHydration(page, hydrated);
    dialog = createDialog(page);
    const files = dialog.getByRole('radiogroup', { name: 'Files', exact: true });
    const context = dialog.getByRole('radiogroup', { name: 'Context', exact: true });
    await expect(files.getByRole('radio', { name: 'Read', exact: true })).toBeChecked();
    await expect(context.getByRole('radio', { name: 'Read', exact: true })).toBeChecked();
    for (const group of groups.slice(2)) {
      await expect(
        dialog.getByRole('radiogroup', { name: group, exact: true }).getByRole('radio', { name: 'No access', exact: true }),
      ).toBeChecked();
    }
    await files.getByRole('radio', { name: 'Write', exact: true }).check();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('CI across projects');
    const key = await submitAndReveal(page, dialog.getByRole('button', { name: 'Create key', exact: true }), {
      endpoint: 'create_api_key',
      base,
      kind: 'organisation',
      hydrated,
    });
    await checkRevealDialog(page, key, null, hydrated);
    await expectAccessible(page, 'the organisation reveal dialog', hydrated);
    await saveScreenshots(page, testInfo, 'keys-org-reveal');
    await closeRevealAndReload(page, key, base, hydrated);
    const row = rowsNamed(page, 'CI across projects');
    await expect(row.locator('td[data-label="Permissions"]')).toHaveText('Files: Write (includes Read) · Context: Read');

    // "Full access" in one click.
    dialog = await openCreate(page, base);
    await dialog.getByRole('link', { name: 'Full access', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base, 'create=1&preset=full'));
    await waitForHydration(page, hydrated);
    dialog = createDialog(page);
    await expect(
      dialog.getByRole('radiogroup', { name: 'Files', exact: true }).getByRole('radio', { name: 'Write', exact: true }),
    ).toBeChecked();
    await expect(
      dialog
        .getByRole('radiogroup', { name: 'Project creation', exact: true })
        .getByRole('radio', { name: 'Enabled', exact: true }),
    ).toBeChecked();
    // No preset grants key management: it is always chosen on its own.
    const apiKeys = dialog.getByRole('radiogroup', { name: 'API keys', exact: true });
    await expect(apiKeys.getByRole('radio', { name: 'No access', exact: true })).toBeChecked();
    await apiKeys.getByRole('radio', { name: 'Write', exact: true }).check();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Everything bot');
    const full = await submitAndReveal(page, dialog.getByRole('button', { name: 'Create key', exact: true }), {
      endpoint: 'create_api_key',
      base,
      kind: 'organisation',
      hydrated,
    });
    await checkRevealDialog(page, full, null, hydrated);
    await closeRevealAndReload(page, full, base, hydrated);
    await expect(rowsNamed(page, 'Everything bot').locator('td[data-label="Permissions"]')).toHaveText(
      'Files: Write (includes Read) · Context: Write (includes Read) · Runtime translation · Translation queue · Project settings · Project creation · API keys: Write (includes Read)',
    );
    await expectAccessible(page, 'the organisation page', hydrated);
    await saveScreenshots(page, testInfo, 'keys-org');
    await expectListFits(page);
    expectNoConsoleErrors(adminErrors, [/status of 422\b.*\/_sf\/create_api_key\)$/]);
  });

  test('the organisation page rotates a key with a grace period and revokes another', async ({ hydrated }, testInfo) => {
    const base = orgKeys();
    await goto(page, base, hydrated);
    await rotate(page, base, 'CI across projects', 'organisation', hydrated, testInfo, null);
    const id = (await rowsNamed(page, 'Everything bot').getAttribute('data-key-id')) ?? '';
    await revoke(page, base, id, 'Everything bot', hydrated, testInfo, null);
    // The replacement keeps the permissions of the key it replaced.
    for (const perms of await rowsNamed(page, 'CI across projects').locator('td[data-label="Permissions"]').allTextContents()) {
      expect(perms.trim()).toBe('Files: Write (includes Read) · Context: Read');
    }
    expectNoConsoleErrors(adminErrors);
  });

  test("a member sees their own project's keys; another project's keys and the organisation's are 404", async ({
    browser,
    gtx,
    hydrated,
  }, testInfo) => {
    const member = await newProjectContext(browser, testInfo, gtx);
    try {
      const memberPage = await member.newPage();
      const errors: string[] = [];
      collectConsoleErrors(memberPage, errors);
      await signIn(memberPage, MEMBER_EMAIL, MEMBER_PASSWORD, hydrated);

      await goto(memberPage, projectKeys(projectA), hydrated);
      await expect(memberPage.getByRole('heading', { level: 1, name: `${PROJECT_A} · API keys` })).toBeVisible();
      await expect(rowsNamed(memberPage, 'Production deploy')).toHaveCount(2);
      await expect(createButton(memberPage)).toBeVisible();
      expectNoConsoleErrors(errors);

      for (const url of [projectKeys(projectB), orgKeys(), `${orgKeys()}?create=1`]) {
        const response = await goto(memberPage, url, hydrated, 404);
        await expect(memberPage.getByRole('heading', { level: 1, name: 'Page not found' }), url).toBeVisible();
        await expect(createButton(memberPage)).toHaveCount(0);
        const body = (await response?.text()) ?? '';
        for (const hidden of [PROJECT_B, 'CI across projects', 'Everything bot']) {
          expect(body, `${url} does not mention ${hidden}`).not.toContain(hidden);
        }
      }
      expectNoConsoleErrors(errors, [/status of 404/]);
    } finally {
      await member.close();
    }
  });

  test('no plaintext key is in any response but the one that revealed it, the database files or the server log', async ({
    gtx,
  }) => {
    expect(carriers.size).toBe(revealed.length);
    const seen = await Promise.all(bodies);
    expect(seen.length).toBeGreaterThan(50);
    for (const { response, body } of seen) {
      const leaked = revealed.filter((key) => body.includes(key.slice(8)));
      if (carriers.has(response)) {
        expect(leaked, `the response that revealed a key (${response.url()})`).toHaveLength(1);
      } else {
        expect(leaked, `keys in ${response.request().method()} ${response.url()}`).toEqual([]);
      }
    }

    expect(revealed.length).toBeGreaterThanOrEqual(6);
    const files = fs
      .readdirSync(gtx.dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    expect(files.some((f) => /\.(db|sqlite3?)(-wal)?$/.test(f) || f.includes('sqlite'))).toBe(true);
    for (const file of [...files, gtx.logFile]) {
      const content = fs.readFileSync(file);
      for (const key of revealed) {
        // The secret part of the key: what follows the prefix.
        expect(content.includes(Buffer.from(key.slice(8))), `${path.basename(file)} holds a key`).toBe(false);
      }
    }
  });
});
