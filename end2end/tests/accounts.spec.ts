// The accounts flow, once per project (hydrated and without JavaScript), against the
// project's own fresh server: first-run setup, sign-out and sign-in, projects, inviting a
// member, accepting the invite, and what a plain member may (not) see.
//
// The tests share two signed-in browser contexts (admin and member), so they run in
// order and stop at the first failure.
import type { Browser, BrowserContext, Locator, Page, Response, TestInfo } from '@playwright/test';
import type { ServerState } from '../e2e-state';
import {
  collectConsoleErrors,
  escapeRegExp,
  expect,
  newProjectContext,
  pathIs,
  saveScreenshots,
  test,
  waitForHydration,
} from './fixtures';

const ORG_NAME = 'Acme Translations';
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'correct horse battery staple';
const MEMBER_EMAIL = 'member@example.com';
const MEMBER_NAME = 'Mia Member';
const MEMBER_PASSWORD = 'member password 2026';

const isServerFn = (url: string) => new URL(url).pathname.startsWith('/_sf/');

test.describe.configure({ mode: 'serial' });

test.describe('accounts flow', () => {
  let admin: BrowserContext;
  let adminPage: Page;
  let member: BrowserContext | undefined;
  let memberPage: Page;
  const adminErrors: string[] = [];
  const memberErrors: string[] = [];

  // Filled in as the flow goes.
  let orgId = '';
  let websiteId = '';
  let docsId = '';
  let inviteLink = '';

  const orgPath = () => `/orgs/${orgId}`;
  const settingsPath = (projectId: string) => `/orgs/${orgId}/projects/${projectId}/settings`;
  const keysPath = (projectId: string) => `/orgs/${orgId}/projects/${projectId}/api-keys`;

  test.beforeAll(async ({ browser, gtx }, testInfo) => {
    admin = await newProjectContext(browser, testInfo, gtx);
    adminPage = await admin.newPage();
    collectConsoleErrors(adminPage, adminErrors);
  });

  test.afterAll(async () => {
    await member?.close();
    await admin?.close();
  });

  /**
   * Fails on console errors seen since the last check. `expected` lists the failed
   * requests a step provoked on purpose (a wrong password answers 401 to the hydrated
   * app's server-function call, and Chromium logs every 4xx response as an error).
   */
  function expectNoConsoleErrors(errors: string[], expected: RegExp[] = []): void {
    const unexpected = errors.filter((e) => !expected.some((re) => re.test(e)));
    errors.length = 0;
    expect(unexpected, 'console errors').toEqual([]);
  }

  /** The console error Chromium logs when a server function answers `status`. */
  function failedServerFn(endpoint: string, status: number): RegExp {
    return new RegExp(`status of ${status}\\b.*/_sf/${endpoint}\\)$`);
  }

  /**
   * Hydrated, a refused server-function call should answer the status its error means
   * (the app sets it in AppError::ser); a plain form post gets a redirect back instead.
   */
  async function expectServerFnStatus(page: Page, hydrated: boolean, endpoint: string, status: number) {
    if (!hydrated) return;
    const response = await page.waitForResponse((r) => new URL(r.url()).pathname === `/_sf/${endpoint}`);
    expect(response.status(), `status of the refused /_sf/${endpoint} call`).toBe(status);
  }

  async function goto(page: Page, path: string, hydrated: boolean, status = 200): Promise<Response | null> {
    const response = await page.goto(path);
    expect(response?.status(), `status of ${path}`).toBe(status);
    await waitForHydration(page, hydrated);
    return response;
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function signOut(page: Page, hydrated: boolean): Promise<void> {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page).toHaveURL(pathIs('/login'));
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  }

  /** Submits the "Add to project" form and waits for the server to have done it. */
  async function addToProject(page: Page, section: Locator, hydrated: boolean): Promise<void> {
    const done = hydrated
      ? page.waitForResponse((r) => new URL(r.url()).pathname === '/_sf/add_project_member')
      : page.waitForEvent('load');
    await section.getByRole('button', { name: 'Add to project', exact: true }).click();
    await done;
    await expect(page).toHaveURL(/\/settings$/);
  }

  async function createProject(page: Page, name: string, hydrated: boolean): Promise<string> {
    await page.getByRole('button', { name: 'New project', exact: true }).click();
    await expect(page).toHaveURL(pathIs(orgPath(), 'new=project'));
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('textbox', { name: 'Default locale' })).toHaveValue('en');
    await dialog.getByRole('textbox', { name: 'Project name' }).fill(name);
    await dialog.getByRole('button', { name: 'Create project', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${escapeRegExp(orgPath())}/projects/[^/?#]+/settings$`));
    await expect(page.getByRole('heading', { level: 1, name: `${name} settings` })).toBeVisible();
    const projectId = new URL(page.url()).pathname.split('/')[4];
    await expect(page.getByTestId('project-id')).toHaveText(projectId);
    const copy = page.getByRole('button', { name: 'Copy project ID' });
    if (hydrated) {
      // The Copy button works only with JavaScript: check what it put on the clipboard.
      await copy.click();
      await expect(copy).toHaveText('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(projectId);
    } else {
      await expect(copy).toHaveCount(0);
    }
    return projectId;
  }

  test('first run: / leads to setup, a wrong token is refused, setup signs the admin in', async ({
    gtx,
    hydrated,
  }, testInfo) => {
    const page = adminPage;
    await page.goto('/');
    await expect(page).toHaveURL(pathIs('/setup'));
    await waitForHydration(page, hydrated);
    await expect(page.getByRole('banner').getByText('GT Keys', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create organisation', exact: true })).toBeVisible();
    await saveScreenshots(page, testInfo, 'setup');

    // A signed-out visitor cannot reach the sign-in page yet either.
    await page.goto('/login');
    await expect(page).toHaveURL(pathIs('/setup'));
    await waitForHydration(page, hydrated);

    const fill = async (token: string) => {
      await page.getByLabel('Setup token', { exact: true }).fill(token);
      await page.getByLabel('Organisation name', { exact: true }).fill(ORG_NAME);
      await page.getByLabel('Email', { exact: true }).fill(ADMIN_EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Create organisation', exact: true }).click();
    };

    const refused = expectServerFnStatus(page, hydrated, 'complete_setup', 422);
    await fill('not-the-setup-token');
    await refused;
    await expect(page.getByText('This setup token is not correct.', { exact: false })).toBeVisible();
    await expect(page).toHaveURL(/\/setup(\?.*)?$/);
    expectNoConsoleErrors(adminErrors, [failedServerFn('complete_setup', 422)]);

    if (!hydrated) await waitForHydration(page, hydrated);
    await fill(gtx.setupToken);
    await expect(page).toHaveURL(/\/orgs\/[^/?#]+$/);
    orgId = new URL(page.url()).pathname.split('/')[2];
    await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
    const banner = page.getByRole('banner');
    await expect(banner.getByText(ADMIN_EMAIL, { exact: true })).toBeVisible();
    await expect(
      banner.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG_NAME, exact: true }),
    ).toHaveAttribute('href', orgPath());
    await expect(page.getByRole('main').getByText(/No projects yet/)).toBeVisible();

    // Setup is gone for good.
    await goto(page, '/setup', hydrated, 404);
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
    expectNoConsoleErrors(adminErrors, [/status of 404/]);
  });

  test('sign out, then sign in (a wrong password first)', async ({ hydrated }, testInfo) => {
    const page = adminPage;
    await goto(page, orgPath(), hydrated);
    await signOut(page, hydrated);

    // Signed out, every page leads to the sign-in page.
    for (const path of ['/', orgPath(), `${orgPath()}/members`]) {
      await page.goto(path);
      await expect(page, `signed out, ${path} leads to /login`).toHaveURL(pathIs('/login'));
    }
    await waitForHydration(page, hydrated);
    await saveScreenshots(page, testInfo, 'login');

    const refused = expectServerFnStatus(page, hydrated, 'sign_in', 401);
    await signIn(page, ADMIN_EMAIL, 'not the right password');
    await refused;
    await expect(page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' })).toBeVisible();
    await expect(page).toHaveURL(/\/login(\?.*)?$/);
    expectNoConsoleErrors(adminErrors, [failedServerFn('sign_in', 401)]);

    await waitForHydration(page, hydrated);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await expect(page).toHaveURL(pathIs(orgPath()));
    await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
    await expect(page.getByRole('banner').getByText(ADMIN_EMAIL, { exact: true })).toBeVisible();
    expectNoConsoleErrors(adminErrors);
  });

  test('the admin creates the projects "Website" and "Docs"', async ({ hydrated }, testInfo) => {
    const page = adminPage;
    await goto(page, orgPath(), hydrated);
    for (const [name, href] of [
      ['Projects', orgPath()],
      ['Members', `${orgPath()}/members`],
      ['Audit log', `${orgPath()}/audit-log`],
    ]) {
      await expect(page.getByRole('main').getByRole('link', { name, exact: true })).toHaveAttribute('href', href);
    }

    // The dialog as the page shows it, for the screenshots.
    await page.getByRole('button', { name: 'New project', exact: true }).click();
    await expect(page.getByRole('dialog', { name: 'New project' })).toBeVisible();
    await saveScreenshots(page, testInfo, 'org-new-project');
    await goto(page, orgPath(), hydrated);

    websiteId = await createProject(page, 'Website', hydrated);
    await goto(page, orgPath(), hydrated);
    docsId = await createProject(page, 'Docs', hydrated);
    expect(docsId).not.toBe(websiteId);

    await goto(page, orgPath(), hydrated);
    const main = page.getByRole('main');
    await expect(main.getByRole('table')).toBeVisible();
    // A project's name leads to its API keys; a separate link to its settings.
    await expect(main.getByRole('link', { name: 'Website', exact: true })).toHaveAttribute('href', keysPath(websiteId));
    await expect(main.getByRole('link', { name: 'Docs', exact: true })).toHaveAttribute('href', keysPath(docsId));
    await expect(main.getByRole('link', { name: 'Settings of Website', exact: true })).toHaveAttribute(
      'href',
      settingsPath(websiteId),
    );
    await expect(main.getByRole('link', { name: 'Settings of Docs', exact: true })).toHaveAttribute(
      'href',
      settingsPath(docsId),
    );
    await saveScreenshots(page, testInfo, 'org');
    expectNoConsoleErrors(adminErrors);
  });

  test('navigating through the header: client-side when hydrated, a page load without JS', async ({ hydrated }) => {
    const page = adminPage;
    await goto(page, settingsPath(websiteId), hydrated);

    const orgLink = page
      .getByRole('banner')
      .getByRole('navigation', { name: 'Organisations' })
      .getByRole('link', { name: ORG_NAME, exact: true });
    const serverFnCalls: string[] = [];
    const documentRequests: string[] = [];
    const onRequest = (req: import('@playwright/test').Request) => {
      if (isServerFn(req.url())) serverFnCalls.push(`${req.method()} ${req.url()}`);
      if (req.isNavigationRequest() && req.resourceType() === 'document') documentRequests.push(req.url());
    };
    page.on('request', onRequest);
    try {
      if (hydrated) {
        // Client-side navigation: a marker on window survives, and the data comes from
        // a server-function round trip instead of a new document.
        await page.evaluate(() => {
          (window as unknown as { __gtxMarker?: string }).__gtxMarker = 'before-click';
        });
        const sfResponse = page.waitForResponse((res) => isServerFn(res.url()));
        await orgLink.click();
        const res = await sfResponse;
        expect(res.request().method()).toBe('POST');
        expect(res.status()).toBe(200);
        await expect(page).toHaveURL(pathIs(orgPath()));
        await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
        expect(
          await page.evaluate(() => (window as unknown as { __gtxMarker?: string }).__gtxMarker),
        ).toBe('before-click');
        expect(documentRequests).toEqual([]);
      } else {
        // Without JavaScript the link is a plain link: a full, server-rendered page load.
        const docResponse = page.waitForResponse(
          (res) => res.request().isNavigationRequest() && new URL(res.url()).pathname === orgPath(),
        );
        await orgLink.click();
        const res = await docResponse;
        expect(res.status()).toBe(200);
        expect(res.request().resourceType()).toBe('document');
        expect(await res.text()).toContain(ORG_NAME);
        await expect(page).toHaveURL(pathIs(orgPath()));
        await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
        expect(documentRequests.map((u) => new URL(u).pathname)).toEqual([orgPath()]);
        expect(serverFnCalls).toEqual([]);
      }
    } finally {
      page.off('request', onRequest);
    }
    await expect(page.getByRole('main').getByRole('link', { name: 'Website', exact: true })).toBeVisible();
    expectNoConsoleErrors(adminErrors);

    // Ids that do not exist are a 404 with a not-found message, signed in too.
    for (const path of ['/orgs/does-not-exist', `${orgPath()}/projects/does-not-exist/settings`, '/no/such/page']) {
      await goto(page, path, hydrated, 404);
      await expect(page.getByRole('heading', { level: 1, name: 'Page not found' }), path).toBeVisible();
    }
    expectNoConsoleErrors(adminErrors, [/status of 404/]);
  });

  test('the admin invites a member; the link is shown once', async ({ gtx, hydrated }, testInfo) => {
    const page = adminPage;
    const membersPath = `${orgPath()}/members`;
    await goto(page, membersPath, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
    await expect(page.getByRole('main').getByRole('table')).toContainText(ADMIN_EMAIL);

    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    await expect(page).toHaveURL(pathIs(membersPath, 'invite=1'));
    const dialog = page.getByRole('dialog', { name: 'Invite member' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('textbox', { name: 'Email' }).fill(MEMBER_EMAIL);
    const role = dialog.getByRole('radiogroup', { name: 'Role' });
    await expect(role.getByRole('radio', { name: 'Admin', exact: true })).toBeVisible();
    await role.getByRole('radio', { name: 'Member', exact: true }).check();
    await saveScreenshots(page, testInfo, 'members-invite');
    await dialog.getByRole('button', { name: 'Send invite', exact: true }).click();

    await expect(page).toHaveURL(new RegExp(`${escapeRegExp(membersPath)}\\?reveal=[^&#]+$`));
    const reveal = page.getByRole('dialog', { name: 'Invite link' });
    await expect(reveal).toBeVisible();
    const linkText = reveal.getByTestId('invite-link');
    await expect(linkText).toHaveText(new RegExp(`^${escapeRegExp(gtx.baseURL)}/invite/[^/\\s]+$`));
    inviteLink = (await linkText.textContent())?.trim() ?? '';
    await expect(reveal.getByRole('link', { name: 'Done', exact: true })).toHaveAttribute('href', membersPath);
    await saveScreenshots(page, testInfo, 'members-invite-link');
    expectNoConsoleErrors(adminErrors);

    // Shown once: a reload of the same URL no longer has it.
    const reloaded = await page.reload();
    expect(reloaded?.status()).toBe(200);
    await waitForHydration(page, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
    await expect(page.getByRole('dialog', { name: 'Invite link' })).toHaveCount(0);
    await expect(page.getByTestId('invite-link')).toHaveCount(0);
    const token = inviteLink.split('/invite/')[1];
    expect(await reloaded?.text()).not.toContain(token);
    expect(await page.content()).not.toContain(token);
    // The open invite is listed without its link.
    await expect(page.getByRole('main')).toContainText(MEMBER_EMAIL);
    expectNoConsoleErrors(adminErrors);

    await signOut(page, hydrated);
    expectNoConsoleErrors(adminErrors);
  });

  test('the invited member joins and sees no projects yet', async ({ browser, gtx, hydrated }, testInfo) => {
    member = await newProjectContext(browser, testInfo, gtx);
    memberPage = await member.newPage();
    collectConsoleErrors(memberPage, memberErrors);
    const page = memberPage;

    await goto(page, inviteLink, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: `Join ${ORG_NAME}` })).toBeVisible();
    await page.getByLabel('Name', { exact: true }).fill(MEMBER_NAME);
    await page.getByLabel('Password', { exact: true }).fill(MEMBER_PASSWORD);
    await page.getByRole('button', { name: 'Join organisation', exact: true }).click();

    await expect(page).toHaveURL(pathIs(orgPath()));
    await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
    await expect(page.getByRole('banner').getByText(MEMBER_EMAIL, { exact: true })).toBeVisible();
    const main = page.getByRole('main');
    await expect(main.getByText(/not a member of any project/)).toBeVisible();
    await expect(main.getByRole('table')).toHaveCount(0);
    await expect(main.getByRole('link', { name: 'Website' })).toHaveCount(0);
    await expect(main.getByRole('link', { name: 'Docs' })).toHaveCount(0);
    // No admin controls.
    await expect(page.getByRole('button', { name: 'New project' })).toHaveCount(0);
    await expect(main.getByRole('link', { name: 'Members', exact: true })).toHaveCount(0);
    await expect(main.getByRole('link', { name: 'Audit log', exact: true })).toHaveCount(0);
    expectNoConsoleErrors(memberErrors);

    // The link worked once: someone else trying it gets nowhere.
    const stranger = await newProjectContext(browser, testInfo, gtx);
    try {
      const strangerPage = await stranger.newPage();
      const strangerErrors: string[] = [];
      collectConsoleErrors(strangerPage, strangerErrors);
      await goto(strangerPage, inviteLink, hydrated, 200);
      await expect(
        strangerPage.getByRole('heading', { level: 1, name: 'This invite link does not work' }),
      ).toBeVisible();
      await expect(strangerPage.getByRole('button', { name: 'Join organisation' })).toHaveCount(0);
      expectNoConsoleErrors(strangerErrors);
    } finally {
      await stranger.close();
    }
  });

  test('the admin adds the member to "Website"', async ({ browser, gtx, hydrated }, testInfo) => {
    // A fresh admin session in a new browser context.
    await admin.close();
    admin = await newProjectContext(browser, testInfo, gtx);
    adminPage = await admin.newPage();
    collectConsoleErrors(adminPage, adminErrors);
    const page = adminPage;

    await page.goto('/login');
    await waitForHydration(page, hydrated);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await expect(page).toHaveURL(pathIs(orgPath()));

    await goto(page, settingsPath(websiteId), hydrated);
    const section = page.getByRole('region', { name: 'Members' });
    await expect(section).toBeVisible();
    await section.getByRole('textbox', { name: 'Member email' }).fill(MEMBER_EMAIL);
    await addToProject(page, section, hydrated);
    // Hydrated, the list does not update by itself (see "known bugs" below): reload.
    await expect(section.getByText(`${MEMBER_NAME} (${MEMBER_EMAIL})`)).toBeVisible();
    await expect(section.getByRole('button', { name: `Remove ${MEMBER_EMAIL} from the project` })).toBeVisible();

    // The members page shows the project next to the member.
    await goto(page, `${orgPath()}/members`, hydrated);
    await expect(page.getByRole('row').filter({ hasText: MEMBER_EMAIL })).toContainText('Website');
    expectNoConsoleErrors(adminErrors);
  });

  test('the member sees only "Website"; admin pages and "Docs" are 404', async ({ hydrated }) => {
    const page = memberPage;
    await page.reload();
    await waitForHydration(page, hydrated);
    await expect(page).toHaveURL(pathIs(orgPath()));
    const main = page.getByRole('main');
    await expect(main.getByRole('link', { name: 'Website', exact: true })).toHaveAttribute('href', keysPath(websiteId));
    await expect(main.getByRole('link', { name: 'Settings of Website', exact: true })).toHaveAttribute(
      'href',
      settingsPath(websiteId),
    );
    await expect(main.getByRole('link', { name: 'Docs', exact: true })).toHaveCount(0);
    await expect(main).not.toContainText('Docs');
    expectNoConsoleErrors(memberErrors);

    // Their own project's settings, without the admin-only member management.
    await goto(page, settingsPath(websiteId), hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Website settings' })).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Member email' })).toHaveCount(0);
    expectNoConsoleErrors(memberErrors);

    for (const path of [`${orgPath()}/members`, `${orgPath()}/audit-log`, settingsPath(docsId)]) {
      await goto(page, path, hydrated, 404);
      await expect(page.getByRole('heading', { level: 1, name: 'Page not found' }), path).toBeVisible();
      await expect(page.getByRole('main')).not.toContainText('Docs');
    }
    expectNoConsoleErrors(memberErrors, [/status of 404/]);
  });

  test('the audit log shows what happened', async ({ hydrated }) => {
    const page = adminPage;
    await goto(page, `${orgPath()}/audit-log`, hydrated);
    const table = page.getByRole('main').getByRole('table');
    await expect(table).toBeVisible();
    // Setup, two projects, the invite, the join and the project membership at least.
    expect(await table.getByRole('row').count()).toBeGreaterThan(5);
    await expect(table).toContainText(ADMIN_EMAIL);
    expectNoConsoleErrors(adminErrors);
  });
});

// Regressions of bugs this suite found (a stale header after sign-in/out, a stale member
// list after "Add to project", a hydration panic on /). They run after the flow, on the
// data it made, each in a browser context of its own.
test.describe('page state follows changes', () => {
  async function adminSession(browser: Browser, testInfo: TestInfo, gtx: ServerState, hydrated: boolean) {
    const context = await newProjectContext(browser, testInfo, gtx);
    const page = await context.newPage();
    const errors: string[] = [];
    collectConsoleErrors(page, errors);
    await page.goto('/login');
    await waitForHydration(page, hydrated);
    await page.getByLabel('Email', { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(/\/orgs\/[^/?#]+$/);
    await expect(page.getByRole('heading', { level: 1, name: ORG_NAME })).toBeVisible();
    return { context, page, errors, orgPath: new URL(page.url()).pathname };
  }

  test('the header follows sign-in and sign-out without a reload', async ({ browser, gtx, hydrated }, testInfo) => {
    const { context, page } = await adminSession(browser, testInfo, gtx, hydrated);
    try {
      const banner = page.getByRole('banner');
      await expect(banner.getByText(ADMIN_EMAIL, { exact: true })).toBeVisible();
      await expect(banner.getByRole('navigation', { name: 'Organisations' })).toBeVisible();
      await banner.getByRole('button', { name: 'Sign out', exact: true }).click();
      await expect(page).toHaveURL(pathIs('/login'));
      await expect(banner.getByText(ADMIN_EMAIL, { exact: true })).toHaveCount(0);
      await expect(banner.getByRole('navigation', { name: 'Organisations' })).toHaveCount(0);
    } finally {
      await context.close();
    }
  });

  test('adding a member to a project shows them in its member list at once', async ({
    browser,
    gtx,
    hydrated,
  }, testInfo) => {
    const { context, page, orgPath } = await adminSession(browser, testInfo, gtx, hydrated);
    try {
      await page.getByRole('main').getByRole('link', { name: 'Settings of Docs', exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Docs settings' })).toBeVisible();
      await waitForHydration(page, hydrated);
      expect(new URL(page.url()).pathname.startsWith(`${orgPath}/projects/`)).toBe(true);
      const section = page.getByRole('region', { name: 'Members' });
      await section.getByRole('textbox', { name: 'Member email' }).fill(MEMBER_EMAIL);
      const done = hydrated
        ? page.waitForResponse((r) => new URL(r.url()).pathname === '/_sf/add_project_member')
        : page.waitForEvent('load');
      await section.getByRole('button', { name: 'Add to project', exact: true }).click();
      await done;
      await expect(section.getByText(`${MEMBER_NAME} (${MEMBER_EMAIL})`)).toBeVisible();
    } finally {
      await context.close();
    }
  });

  test('signed in, the home page hydrates without errors', async ({ browser, gtx, hydrated }, testInfo) => {
    test.skip(!hydrated, 'hydration only');
    const { context, page, errors } = await adminSession(browser, testInfo, gtx, hydrated);
    try {
      // Signed in, the sign-in page is not in the way: it leads to /.
      await page.goto('/login');
      await expect(page).toHaveURL(pathIs('/'));
      // A fixed number of loads, each waited for by what the page does (not by the
      // clock), so a slower machine takes longer but never fails for it.
      for (let i = 0; i < 10 && errors.length === 0; i++) {
        await page.goto('/');
        await waitForHydration(page, hydrated);
        await expect(page.getByRole('main').getByRole('link', { name: ORG_NAME, exact: true })).toBeVisible();
        // A panic would come right after the hydration marker is set: let the tasks
        // queued by hydration run (two animation frames, then the macrotask queue).
        await page.evaluate(
          () =>
            new Promise<void>((resolve) =>
              requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))),
            ),
        );
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
