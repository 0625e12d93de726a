// The app shell as a signed-out visitor sees it. The signed-in shell checks (header
// navigation, client-side navigation through /_sf/ when hydrated, 404 for unknown ids)
// are part of the accounts flow (accounts.spec.ts), which signs in first.
//
// These tests hold whether or not first-run setup has happened on the project's server.
import { expect, pathIs, test, waitForHydration } from './fixtures';

const SIGNED_OUT = /\/(setup|login)$/;

test.describe('app shell, signed out', () => {
  test('the home page leads to setup or sign-in and renders the shell', async ({ page, hydrated, consoleErrors }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page).toHaveURL(SIGNED_OUT);
    await waitForHydration(page, hydrated);

    const banner = page.getByRole('banner');
    await expect(banner.getByText('GT Keys', { exact: true })).toBeVisible();
    await expect(banner.getByRole('link', { name: /GT Keys/ })).toHaveAttribute('href', '/');
    // Nothing of a signed-in user.
    await expect(banner.getByRole('navigation', { name: 'Organisations' })).toHaveCount(0);
    await expect(banner.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
    await expect(page.getByRole('main').getByRole('button').first()).toBeVisible();

    expect(consoleErrors).toEqual([]);
  });

  test('organisation pages lead to setup or sign-in', async ({ page, hydrated, consoleErrors }) => {
    for (const path of ['/orgs/does-not-exist', '/orgs/does-not-exist/members']) {
      await page.goto(path);
      await expect(page, path).toHaveURL(SIGNED_OUT);
    }
    await waitForHydration(page, hydrated);
    expect(consoleErrors).toEqual([]);
  });

  test('an unknown path is a 404 with a not-found message', async ({ page, hydrated }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page).toHaveURL(pathIs('/no/such/page'));
    await waitForHydration(page, hydrated);
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  });

  test('the favicon is served', async ({ request }) => {
    const response = await request.get('/favicon.ico');
    expect(response.status()).toBe(200);
  });
});
