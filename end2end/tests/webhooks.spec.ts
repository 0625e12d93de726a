// The webhooks page, once per project (hydrated and without JavaScript), against the
// project's own fresh server (started with GTX_WEBHOOKS_ALLOW_PRIVATE by global setup, so
// deliveries reach a receiver on loopback): add an endpoint and save its signing secret
// from the one-time reveal, send a test event and see it delivered in the log, see a key
// event arrive, disable and enable, refused input, who may see the page, remove it; axe
// and screenshots. The receiver checks every delivery's signature with the `standardwebhooks`
// package (npm), using the secret the page revealed.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
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

const ADMIN_EMAIL = 'hooks-admin@example.com';
const ADMIN_PASSWORD = 'hooks admin password 2026';
const MEMBER_EMAIL = 'hooks-member@example.com';
const MEMBER_PASSWORD = 'hooks member password 2026';

/** One request the receiver got. */
type Delivery = { headers: Record<string, string>; body: string };

test.describe.configure({ mode: 'serial' });

test.describe('Webhooks', () => {
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  let orgId = '';
  let receiver: http.Server;
  let endpointUrl = '';
  let secret = '';
  const received: Delivery[] = [];

  const base = () => `/orgs/${orgId}/webhooks`;
  const endpoint = () => page.getByRole('region', { name: endpointUrl });
  const log = () => page.getByRole('table', { name: `Deliveries to ${endpointUrl}` });

  test.beforeAll(async ({ browser, gtx, hydrated }, testInfo) => {
    orgId = gtxCli(gtx, ['org', 'create', '--name', 'Hooks Org']);
    gtxCli(gtx, ['user', 'create', '--org', orgId, '--email', ADMIN_EMAIL, '--role', 'admin'], `${ADMIN_PASSWORD}\n`);
    gtxCli(gtx, ['user', 'create', '--org', orgId, '--email', MEMBER_EMAIL, '--role', 'member'], `${MEMBER_PASSWORD}\n`);

    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        received.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    endpointUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gt-keys/${hydrated ? 'hydrated' : 'no-js'}`;

    context = await newProjectContext(browser, testInfo, gtx);
    page = await context.newPage();
    collectConsoleErrors(page, errors);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, hydrated);
  });

  test.afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  // ---- helpers -------------------------------------------------------------------------

  const signIn = (p: Page, email: string, password: string, hydrated: boolean) =>
    signInTo(p, email, password, hydrated, `/orgs/${orgId}`);

  async function goto(url: string, hydrated: boolean): Promise<void> {
    const response = await page.goto(url);
    expect(response?.status(), `status of ${url}`).toBe(200);
    await waitForHydration(page, hydrated);
  }

  /** The deliveries of type `type` the receiver got, each verified with the secret. */
  function receivedOf(type: string): { id: string; body: { type: string; timestamp: string; data: Record<string, unknown> } }[] {
    return received
      .filter((d) => (JSON.parse(d.body) as { type: string }).type === type)
      .map((d) => {
        // Throws unless the signature, id and timestamp check out.
        const body = new Webhook(secret).verify(d.body, d.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
        return { id: d.headers['webhook-id'], body };
      });
  }

  /** The log's row for the latest event of `type` reads "Delivered" (waiting for it). */
  async function expectDelivered(type: string, hydrated: boolean): Promise<void> {
    const row = () => log().getByRole('row').filter({ hasText: type }).first();
    const check = async () => {
      await expect(row().getByRole('cell').nth(2)).toHaveText('Delivered', { timeout: 2_000 });
    };
    if (hydrated) {
      // The page looks again by itself while a delivery is pending.
      await expect(row().getByRole('cell').nth(2)).toHaveText('Delivered', { timeout: 20_000 });
    } else {
      await expect(async () => {
        await goto(base(), hydrated);
        await check();
      }).toPass({ timeout: 20_000, intervals: [500, 1_000] });
    }
    await expect(row().getByRole('cell').nth(3)).toHaveText('204');
    await expect(row().getByRole('cell').nth(4)).toHaveText(/^\d+ ms$/);
    await expect(row().getByRole('cell').nth(5)).toHaveText('1');
  }

  // ---- tests ---------------------------------------------------------------------------

  test('the page starts empty, and refuses a bad URL and an endpoint without events', async ({ hydrated }, testInfo) => {
    await goto(base(), hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Webhooks' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await expect(page.getByText(/^No endpoints yet\./)).toBeVisible();

    await page.getByRole('button', { name: 'Add endpoint', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await expect(dialog).toBeVisible();
    await expect(page).toHaveURL(pathIs(base(), 'add=1'));
    const checkboxes = dialog.getByRole('checkbox');
    await expect(checkboxes).toHaveCount(9);
    for (const box of await checkboxes.all()) await expect(box).toBeChecked();
    await expectNoSeriousAxeViolations(page, 'the add-endpoint dialog', hydrated);
    await saveScreenshots(page, testInfo, 'webhooks-add');

    // Not http(s): past the browser's type=url check, refused by the server.
    const url = dialog.getByRole('textbox', { name: 'Endpoint URL' });
    await url.fill('ftp://files.example.com/hooks');
    await dialog.getByRole('button', { name: 'Save endpoint', exact: true }).click();
    await expect(page.getByRole('dialog', { name: 'Add endpoint' }).getByRole('textbox', { name: 'Endpoint URL' })).toHaveAccessibleDescription(
      /Enter the endpoint's http or https URL/,
    );
    await expect(page.getByRole('dialog', { name: 'Add endpoint' }).getByRole('textbox', { name: 'Endpoint URL' })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    await expect(page.getByRole('dialog', { name: 'Save your signing secret' })).toHaveCount(0);

    // No event checked.
    if (!hydrated) await waitForHydration(page, hydrated);
    const again = page.getByRole('dialog', { name: 'Add endpoint' });
    await again.getByRole('textbox', { name: 'Endpoint URL' }).fill(endpointUrl);
    for (const box of await again.getByRole('checkbox').all()) await box.uncheck();
    await again.getByRole('button', { name: 'Save endpoint', exact: true }).click();
    await expect(page.getByRole('dialog', { name: 'Add endpoint' }).getByRole('group', { name: 'Events' })).toHaveAccessibleDescription(
      /Choose at least one event\./,
    );

    // Nothing was added.
    await goto(base(), hydrated);
    await expect(page.getByText(/^No endpoints yet\./)).toBeVisible();
    expect(received).toEqual([]);
  });

  test('an admin adds an endpoint and saves its signing secret from the reveal, once', async ({ hydrated }, testInfo) => {
    await goto(`${base()}?add=1`, hydrated);
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByRole('textbox', { name: 'Endpoint URL' }).fill(endpointUrl);
    // Everything but stale keys.
    await dialog.getByRole('checkbox', { name: 'api_key.stale' }).uncheck();
    await dialog.getByRole('button', { name: 'Save endpoint', exact: true }).click();

    const reveal = page.getByRole('dialog', { name: 'Save your signing secret' });
    await expect(reveal).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`${base()}\\?reveal=[^&#]+$`));
    const revealUrl = page.url();
    secret = (await reveal.getByTestId('signing-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await expect(reveal.getByText(endpointUrl)).toBeVisible();
    if (hydrated) {
      await reveal.getByRole('button', { name: 'Copy', exact: true }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    } else {
      // Copying needs JavaScript; the secret can still be selected.
      await expect(reveal.getByRole('button', { name: 'Copy', exact: true })).toHaveCount(0);
    }
    await expectNoSeriousAxeViolations(page, 'the signing-secret reveal', hydrated);
    await saveScreenshots(page, testInfo, 'webhooks-reveal');

    await reveal.getByRole('button', { name: 'Done', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base()));
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(endpoint()).toBeVisible();
    await expect(endpoint()).toContainText('Enabled');
    await expect(endpoint()).toContainText('api_key.expired');
    await expect(endpoint()).not.toContainText('api_key.stale');
    await expect(endpoint().getByText('No deliveries yet.')).toBeVisible();

    // Shown once: the same reveal link shows nothing now, and the page never has it.
    await goto(revealUrl, hydrated);
    await expect(page.getByRole('dialog')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);
  });

  test('"Send test event" delivers a signed webhook.test, and the log shows it', async ({ hydrated }, testInfo) => {
    await goto(base(), hydrated);
    await page.getByRole('button', { name: `Send test event to ${endpointUrl}`, exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: `Test event sent to ${endpointUrl}.` })).toBeVisible();
    await expectDelivered('webhook.test', hydrated);

    const tests = receivedOf('webhook.test');
    expect(tests).toHaveLength(1);
    expect(tests[0].id).toMatch(/^msg_/);
    expect(tests[0].body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(tests[0].body.data).toMatchObject({ organisation_id: orgId, actor: { type: 'user', name: ADMIN_EMAIL } });
    await expectNoSeriousAxeViolations(page, 'the webhooks page with its delivery log', hydrated);
    await saveScreenshots(page, testInfo, 'webhooks');
  });

  test('a key created beside the server reaches the endpoint; disabled, it gets nothing new', async ({ gtx, hydrated }) => {
    gtxCli(gtx, ['key', 'create', '--org', orgId, '--name', 'Hooked key', '--permission', 'files:read']);
    await goto(base(), hydrated);
    await expectDelivered('api_key.created', hydrated);
    const created = receivedOf('api_key.created');
    expect(created).toHaveLength(1);
    expect(created[0].body.data).toMatchObject({ name: 'Hooked key' });
    expect(JSON.stringify(created[0].body)).not.toContain('gtk_');

    await page.getByRole('button', { name: `Disable ${endpointUrl}`, exact: true }).click();
    await expect(endpoint()).toContainText('Disabled');
    await expect(page.getByRole('button', { name: `Send test event to ${endpointUrl}`, exact: true })).toBeDisabled();
    if (!hydrated) await waitForHydration(page, hydrated);
    gtxCli(gtx, ['key', 'create', '--org', orgId, '--name', 'Unheard key', '--permission', 'files:read']);

    await page.getByRole('button', { name: `Enable ${endpointUrl}`, exact: true }).click();
    await expect(endpoint()).toContainText('Enabled');
    await page.getByRole('button', { name: `Send test event to ${endpointUrl}`, exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: `Test event sent to ${endpointUrl}.` })).toBeVisible();
    await expect.poll(() => receivedOf('webhook.test').length, { timeout: 20_000 }).toBe(2);
    // The key created while the endpoint was off was never queued for it.
    expect(receivedOf('api_key.created').map((d) => d.body.data.name)).toEqual(['Hooked key']);
    // The only console errors: the browser's notes on the two refused adds (422).
    expect(errors.filter((e) => !/status of 422 .*\/_sf\/add_webhook/.test(e))).toEqual([]);
  });

  test('only admins see the page', async ({ browser, gtx, hydrated }, testInfo) => {
    const member = await newProjectContext(browser, testInfo, gtx);
    try {
      const p = await member.newPage();
      await signIn(p, MEMBER_EMAIL, MEMBER_PASSWORD, hydrated);
      await expect(p.getByRole('link', { name: 'Webhooks', exact: true })).toHaveCount(0);
      const response = await p.goto(base());
      expect(response?.status()).toBe(404);
      expect(await p.content()).not.toContain(endpointUrl);
    } finally {
      await member.close();
    }
  });

  test('removing an endpoint asks first, then it is gone with its log', async ({ gtx, hydrated }) => {
    await goto(base(), hydrated);
    await page.getByRole('button', { name: `Remove ${endpointUrl}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove endpoint' });
    await expect(dialog).toContainText(endpointUrl);
    await dialog.getByRole('link', { name: 'Cancel', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base()));
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(endpoint()).toBeVisible();

    await page.getByRole('button', { name: `Remove ${endpointUrl}`, exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove endpoint' }).getByRole('button', { name: 'Remove endpoint', exact: true }).click();
    await expect(page).toHaveURL(pathIs(base()));
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(page.getByText(/^No endpoints yet\./)).toBeVisible();
    expect(JSON.parse(gtxCli(gtx, ['webhook', 'list', '--org', orgId, '--json']))).toEqual([]);

    // The audit log shows what was done to the endpoint, under its own filter.
    await goto(`/orgs/${orgId}/audit-log?kind=webhook`, hydrated);
    await expect(page.getByRole('combobox', { name: 'Show' })).toHaveValue('webhook');
    const actions = await page.getByRole('main').getByRole('table').locator('tbody tr td:nth-child(3)').allTextContents();
    expect(actions).toEqual(['webhook.remove', 'webhook.enabled', 'webhook.enabled', 'webhook.add']);
  });
});
