import { defineConfig, devices } from '@playwright/test';

// Debian's chromium, never a Playwright-downloaded browser (see shared/toolchain.md).
const chromium = {
  ...devices['Desktop Chrome'],
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.GTX_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  // Artefacts (traces, failure screenshots) go below test-results/; Playwright empties
  // this folder at start, while server-<project>.log and e2e-state.json stay one level
  // up. Page screenshots for review go to screenshots/<project>/ (see saveScreenshots).
  outputDir: './test-results/artifacts',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: false,
  workers: 1, // 2-core machine; global setup starts one server per project
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Timeouts catch a hung test; they are not speed checks. A debug build on a slow,
  // shared 2-core machine can take several times as long as on a fast one, so each is
  // generous: a passing test never comes near them, a failing one waits them out.
  timeout: 180_000,
  expect: { timeout: 30_000 }, // the debug WASM bundle is ~3.5 MB
  reporter: [['list'], ['./summary-reporter.ts']],
  use: {
    // baseURL comes from global setup (free port): see tests/fixtures.ts.
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'hydrated', use: { ...chromium, javaScriptEnabled: true } },
    { name: 'no-js', use: { ...chromium, javaScriptEnabled: false } },
  ],
});
