import { escapeRegExp, expect, test, waitForHydration } from './fixtures';

const isServerFn = (url: string) => new URL(url).pathname.startsWith('/_sf/');

test.describe('app shell', () => {
  test('home page renders the shell with the seeded organisation', async ({
    page,
    gtx,
    hydrated,
    consoleErrors,
  }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await waitForHydration(page, hydrated);

    await expect(page.getByRole('banner').getByText('GT Keys', { exact: true })).toBeVisible();
    const nav = page.getByRole('navigation');
    await expect(nav.getByRole('link', { name: gtx.orgName, exact: true })).toBeVisible();

    expect(consoleErrors).toEqual([]);
  });

  test('navigating to an organisation shows its page and projects', async ({
    page,
    gtx,
    hydrated,
    consoleErrors,
  }) => {
    await page.goto('/');
    await waitForHydration(page, hydrated);

    const orgPath = `/orgs/${gtx.orgId}`;
    const orgLink = page.getByRole('navigation').getByRole('link', { name: gtx.orgName, exact: true });
    const serverFnCalls: string[] = [];
    const documentRequests: string[] = [];
    page.on('request', (req) => {
      if (isServerFn(req.url())) serverFnCalls.push(`${req.method()} ${req.url()}`);
      if (req.isNavigationRequest() && req.resourceType() === 'document') documentRequests.push(req.url());
    });

    if (hydrated) {
      // Client-side navigation: a marker on window survives, and the data comes
      // from a server function round trip instead of a new document.
      await page.evaluate(() => {
        (window as unknown as { __gtxMarker?: string }).__gtxMarker = 'before-click';
      });
      const sfResponse = page.waitForResponse((res) => isServerFn(res.url()), { timeout: 15_000 });
      await orgLink.click();
      const res = await sfResponse;
      expect(res.request().method()).toBe('POST');
      expect(res.status()).toBe(200);
      await expect(page).toHaveURL(new RegExp(`${escapeRegExp(orgPath)}$`));
      await expect(page.getByRole('heading', { level: 1, name: gtx.orgName })).toBeVisible();
      expect(await page.evaluate(() => (window as unknown as { __gtxMarker?: string }).__gtxMarker)).toBe(
        'before-click',
      );
      expect(documentRequests).toEqual([]);
    } else {
      // Without JavaScript the link is a plain link: a full, server-rendered page load.
      const docResponse = page.waitForResponse(
        (res) => res.request().isNavigationRequest() && new URL(res.url()).pathname === orgPath,
        { timeout: 15_000 },
      );
      await orgLink.click();
      const res = await docResponse;
      expect(res.status()).toBe(200);
      expect(res.request().resourceType()).toBe('document');
      expect(await res.text()).toContain(gtx.orgName);
      await expect(page).toHaveURL(new RegExp(`${escapeRegExp(orgPath)}$`));
      await expect(page.getByRole('heading', { level: 1, name: gtx.orgName })).toBeVisible();
      expect(documentRequests.map((u) => new URL(u).pathname)).toEqual([orgPath]);
      expect(serverFnCalls).toEqual([]);
    }

    await expect(page.getByRole('main').getByText(gtx.projectName, { exact: true })).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test('an unknown organisation id is a 404 with a not-found message', async ({ page, hydrated }) => {
    const response = await page.goto('/orgs/does-not-exist');
    expect(response?.status()).toBe(404);
    await waitForHydration(page, hydrated);
    await expect(page.getByText(/not found/i).first()).toBeVisible();
  });
});
