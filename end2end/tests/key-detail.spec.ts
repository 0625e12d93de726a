// A key's page, once per project (hydrated and without JavaScript), against the project's
// own fresh server: open it from the list, see the chart after traffic made with the key,
// switch the range, disable and enable (on the page and in the list), edit an
// organisation key's permissions and remove the unused ones, stop an old key after a
// rotation, set an IP allow-list and a description; set the organisation's key policy;
// axe on the key's page and the settings page, screenshots at desktop and phone width.
//
// The server writes usage counts every second here (GTX_USAGE_FLUSH_SECONDS=1, set by
// global setup), so a page reload shows traffic soon after it happened.
import type { BrowserContext, Page } from '@playwright/test';
import type { ServerState } from '../e2e-state';
import {
  collectConsoleErrors,
  expect,
  expectNoSeriousAxeViolations,
  gtxCli,
  newProjectContext,
  pathIs,
  saveScreenshots,
  signInTo,
  test,
  waitForHydration,
} from './fixtures';

const ADMIN_EMAIL = 'detail-admin@example.com';
const ADMIN_PASSWORD = 'detail admin password 2026';

test.describe.configure({ mode: 'serial' });

test.describe('A key’s page', () => {
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  let orgId = '';
  let projectId = '';
  let deployKey = '';
  let deployId = '';
  let syncKey = '';
  let syncId = '';

  const projectKeys = () => `/orgs/${orgId}/projects/${projectId}/api-keys`;
  const keyPage = (id: string, project = true) =>
    project ? `${projectKeys()}/${id}` : `/orgs/${orgId}/api-keys/${id}`;

  /** The id of the key named `name` in the `--json` list of its scope. */
  function keyId(gtx: ServerState, scope: string[], name: string): string {
    const keys = JSON.parse(gtxCli(gtx, ['key', 'list', ...scope, '--json'])) as { id: string; name: string; status: string }[];
    const found = keys.find((k) => k.name === name && k.status !== 'expired');
    if (!found) throw new Error(`no key ${name}`);
    return found.id;
  }

  test.beforeAll(async ({ browser, gtx, hydrated }, testInfo) => {
    orgId = gtxCli(gtx, ['org', 'create', '--name', 'Detail Org']);
    projectId = gtxCli(gtx, ['project', 'create', '--org', orgId, '--name', 'Docs site']);
    gtxCli(gtx, ['user', 'create', '--org', orgId, '--email', ADMIN_EMAIL, '--role', 'admin'], `${ADMIN_PASSWORD}\n`);
    deployKey = gtxCli(gtx, [
      'key', 'create', '--project', projectId, '--env', 'production', '--name', 'CI deploy',
      '--description', 'Deploys the docs site from CI',
    ]);
    deployId = keyId(gtx, ['--project', projectId], 'CI deploy');
    syncKey = gtxCli(gtx, [
      'key', 'create', '--org', orgId, '--name', 'Docs sync',
      '--permission', 'files:write', '--permission', 'context:read',
    ]);
    syncId = keyId(gtx, ['--org', orgId], 'Docs sync');

    context = await newProjectContext(browser, testInfo, gtx);
    page = await context.newPage();
    collectConsoleErrors(page, errors);
    await signInTo(page, ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, `/orgs/${orgId}`);
  });

  test.afterAll(async () => {
    await context?.close();
  });

  // ---- helpers -------------------------------------------------------------------------

  async function goto(url: string, hydrated: boolean): Promise<void> {
    const response = await page.goto(url);
    expect(response?.status(), `status of ${url}`).toBe(200);
    await waitForHydration(page, hydrated);
  }

  /** Verifies `key` through the key API; its code. */
  async function verify(key: string, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await page.request.post('/api/v1/keys/verify', { data: { key, ...extra } });
    expect(response.status()).toBe(200);
    return ((await response.json()) as { code: string }).code;
  }

  /** Reloads `url` until `locator` has `text` (usage is written every second). */
  async function reloadUntil(url: string, hydrated: boolean, check: () => Promise<void>): Promise<void> {
    await expect(async () => {
      await goto(url, hydrated);
      await check();
    }).toPass({ timeout: 15_000, intervals: [500, 1_000] });
  }

  const chart = () => page.getByRole('main').getByRole('img', { name: /^Requests/ });
  const status = () => page.getByRole('main').locator('.page-head .status');

  const expectAccessible = (what: string, hydrated: boolean) => expectNoSeriousAxeViolations(page, what, hydrated);

  // ---- tests ---------------------------------------------------------------------------

  test('the name in the list opens the key’s page, whose chart shows the traffic by outcome and range', async ({ hydrated }, testInfo) => {
    for (let i = 0; i < 5; i++) expect(await verify(deployKey, { project_id: projectId })).toBe('VALID');
    for (let i = 0; i < 2; i++) expect(await verify(deployKey, { project_id: 'another-project' })).toBe('WRONG_PROJECT');
    const row = page.locator(`tr[data-key-id="${deployId}"]`);
    await reloadUntil(projectKeys(), hydrated, async () => {
      await expect(row.locator('td[data-label="Requests (7 days)"]')).toHaveText('7', { timeout: 500 });
    });
    await row.getByRole('link', { name: 'CI deploy', exact: true }).click();
    await expect(page).toHaveURL(pathIs(keyPage(deployId)));
    await waitForHydration(page, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'CI deploy' })).toBeVisible();
    await expect(page.locator('.key-description')).toHaveText('Deploys the docs site from CI');
    await expect(chart()).toHaveAttribute(
      'aria-label',
      'Requests over the last 7 days: 7 in all, 5 succeeded, 2 failed (wrong project 2).',
    );
    const table = page.getByRole('table', { name: /Requests per day/ });
    await expect(table.locator('tfoot')).toContainText('Total');
    await expect(table.locator('tfoot td').first()).toHaveText('7');
    await expect(table.locator('thead')).toContainText('Wrong project');
    await expectAccessible('a key’s page', hydrated);
    await saveScreenshots(page, testInfo, 'key-detail');

    await page.getByRole('link', { name: '24 hours', exact: true }).click();
    await expect(page).toHaveURL(pathIs(keyPage(deployId), 'range=24h'));
    await expect(chart()).toHaveAttribute('aria-label', /^Requests over the last 24 hours: 7 in all/);
    await expect(page.getByRole('table', { name: /Requests per hour/ }).locator('tbody tr')).toHaveCount(24);
    await page.getByRole('link', { name: '30 days', exact: true }).click();
    await expect(page).toHaveURL(pathIs(keyPage(deployId), 'range=30d'));
    await expect(page.getByRole('table', { name: /Requests per day over the last 30 days/ }).locator('tbody tr')).toHaveCount(30);
    expect(errors).toEqual([]);
  });

  test('disabling a key stops it until it is enabled, from its page and from the list', async ({ hydrated }) => {
    await goto(keyPage(deployId), hydrated);
    await page.getByRole('button', { name: 'Disable CI deploy', exact: true }).click();
    const disable = page.getByRole('dialog', { name: 'Disable API key' });
    await expect(disable).toContainText('CI deploy');
    await disable.getByRole('button', { name: 'Disable key', exact: true }).click();
    await expect(disable).toHaveCount(0);
    await expect(status()).toHaveText('Disabled');
    expect(await verify(deployKey)).toBe('DISABLED');

    // Enabling undoes the pause at once.
    await page.getByRole('button', { name: 'Enable CI deploy', exact: true }).click();
    await expect(status()).toHaveText('Active');
    expect(await verify(deployKey)).toBe('VALID');

    await goto(projectKeys(), hydrated);
    const row = page.locator(`tr[data-key-id="${deployId}"]`);
    await row.getByRole('button', { name: 'Disable CI deploy', exact: true }).click();
    await page.getByRole('dialog', { name: 'Disable API key' }).getByRole('button', { name: 'Disable key' }).click();
    await expect(row).toHaveAttribute('data-status', 'disabled');
    await expect(row.getByRole('button', { name: 'Rotate CI deploy' })).toHaveCount(0);
    await row.getByRole('button', { name: 'Enable CI deploy', exact: true }).click();
    await page.getByRole('dialog', { name: 'Enable API key' }).getByRole('button', { name: 'Enable key' }).click();
    await expect(row).toHaveAttribute('data-status', 'active');
    expect(await verify(deployKey)).toBe('VALID');
    expect(errors).toEqual([]);
  });

  test('an organisation key’s unused permissions can be removed, and its permissions edited', async ({ hydrated }) => {
    for (let i = 0; i < 3; i++) expect(await verify(syncKey, { permissions: ['files:read'] })).toBe('VALID');
    const unused = page.getByTestId('unused-permissions');
    await reloadUntil(keyPage(syncId, false), hydrated, async () => {
      await expect(unused).toHaveText('Not asked for in the last 30 days: files:write, context:read.', { timeout: 500 });
    });
    await page.getByRole('button', { name: 'Remove unused permissions', exact: true }).click();
    await expect(unused).toHaveText('Every permission was asked for in the last 30 days.');
    await expect(page.locator('.permission-list')).toHaveText('Files: Read');
    expect(await verify(syncKey, { permissions: ['files:write'] })).toBe('INSUFFICIENT_PERMISSIONS');

    await page.getByRole('button', { name: 'Edit permissions', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit permissions' });
    await expect(dialog.getByRole('radiogroup', { name: 'Files' }).getByRole('radio', { name: 'Read', exact: true })).toBeChecked();
    await dialog.getByRole('radiogroup', { name: 'Context' }).getByRole('radio', { name: 'Write', exact: true }).check();
    await dialog.getByRole('button', { name: 'Save permissions', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.locator('.permission-list')).toContainText('Context: Write');
    expect(await verify(syncKey, { permissions: ['context:write'] })).toBe('VALID');
    expect(errors).toEqual([]);
  });

  test('after a rotation the old key’s page counts its traffic, and "Stop old key now" ends it', async ({ hydrated }) => {
    await goto(projectKeys(), hydrated);
    await page.locator(`tr[data-key-id="${deployId}"]`).getByRole('button', { name: 'Rotate CI deploy' }).click();
    await page.getByRole('dialog', { name: 'Rotate API key' }).getByRole('button', { name: 'Rotate key' }).click();
    const reveal = page.getByRole('dialog', { name: 'Save your API key' });
    await reveal.getByRole('button', { name: 'Done', exact: true }).click();
    await expect(reveal).toHaveCount(0);
    // Counted to the minute: what the key had in the rotation's minute counts too. Let
    // every earlier check reach the database (written every second here), then add two.
    await page.waitForTimeout(2_500);
    await goto(keyPage(deployId), hydrated);
    const since = page.getByTestId('since-rotation');
    const before = Number(/^(\d+) requests? since the rotation/.exec((await since.textContent()) ?? '')?.[1]);
    expect(before).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 2; i++) expect(await verify(deployKey)).toBe('VALID');
    await reloadUntil(keyPage(deployId), hydrated, async () => {
      await expect(since).toContainText(`${before + 2} requests since the rotation`, { timeout: 500 });
    });
    await page.getByRole('button', { name: 'Stop old key now', exact: true }).click();
    await expect(status()).toHaveText('Expired');
    await expect(since).toHaveCount(0);
    expect(await verify(deployKey)).toBe('EXPIRED');
    expect(errors).toEqual([]);
  });

  test('an IP allow-list and a description are saved on the key’s page; a bad network is refused next to the field', async ({ hydrated }) => {
    await goto(keyPage(syncId, false), hydrated);
    const field = page.getByRole('textbox', { name: 'IP allow-list' });
    await field.fill('203.0.113.7/24\nnot-an-address');
    await page.getByRole('button', { name: 'Save allow-list', exact: true }).click();
    await expect(page.locator('#ip-allowlist-error')).toHaveText(/Enter IP addresses or networks/);
    await expect(page.getByTestId('allowlist-state')).toHaveText('Any address may use this key.');

    await page.getByRole('textbox', { name: 'IP allow-list' }).fill('203.0.113.7/24\n2001:db8::/32');
    await page.getByRole('button', { name: 'Save allow-list', exact: true }).click();
    await expect(page.getByTestId('allowlist-state')).toHaveText('Only 203.0.113.0/24, 2001:db8::/32 may use this key.');
    expect(await verify(syncKey, { client_ip: '203.0.113.200' })).toBe('VALID');
    expect(await verify(syncKey, { client_ip: '2001:db8::1' })).toBe('VALID');
    expect(await verify(syncKey, { client_ip: '198.51.100.1' })).toBe('IP_NOT_ALLOWED');
    expect(await verify(syncKey)).toBe('IP_NOT_ALLOWED');

    await page.getByRole('textbox', { name: 'Description' }).fill('Syncs the docs every night');
    await page.getByRole('button', { name: 'Save description', exact: true }).click();
    await expect(page.locator('.key-description')).toHaveText('Syncs the docs every night');
    // The refused network's answer (422) is the only error the browser logs.
    const unexpected = errors.filter((e) => !/status of 422 .*set_api_key_ip_allowlist/.test(e));
    errors.length = 0;
    expect(unexpected).toEqual([]);
  });

  test('the organisation settings page sets the key policy; the create dialog then offers only allowed expiries', async ({ hydrated }, testInfo) => {
    await goto(`/orgs/${orgId}/settings`, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Organisation settings' })).toBeVisible();
    const lifetime = page.getByRole('radiogroup', { name: 'Maximum key lifetime' });
    const unused = page.getByRole('radiogroup', { name: 'Disable unused keys after' });
    await expect(lifetime.getByRole('radio', { name: 'None', exact: true })).toBeChecked();
    await expect(unused.getByRole('radio', { name: 'Off', exact: true })).toBeChecked();
    await lifetime.getByRole('radio', { name: '90 days', exact: true }).check();
    await unused.getByRole('radio', { name: '60 days', exact: true }).check();
    await page.getByRole('button', { name: 'Save settings', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await goto(`/orgs/${orgId}/settings`, hydrated);
    await expect(lifetime.getByRole('radio', { name: '90 days', exact: true })).toBeChecked();
    await expect(unused.getByRole('radio', { name: '60 days', exact: true })).toBeChecked();
    await expectAccessible('the organisation settings page', hydrated);
    await saveScreenshots(page, testInfo, 'org-settings');

    await goto(`${projectKeys()}?create=1`, hydrated);
    const expires = page.getByRole('dialog', { name: 'Create API key' }).getByLabel('Expires', { exact: true });
    const options = (await expires.locator('option').allTextContents()).map((t) => t.trim());
    expect(options).toEqual(['30 days', '60 days', '90 days', 'On a date']);
    await expect(expires).toHaveValue('90d');

    // Back to no policy, for whatever runs next.
    await goto(`/orgs/${orgId}/settings`, hydrated);
    await lifetime.getByRole('radio', { name: 'None', exact: true }).check();
    await unused.getByRole('radio', { name: 'Off', exact: true }).check();
    await page.getByRole('button', { name: 'Save settings', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    expect(errors).toEqual([]);
  });
});
