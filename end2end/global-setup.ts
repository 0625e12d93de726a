// Starts one fresh debug server (built by `cargo leptos build`) per Playwright project, each
// on its own free loopback port with its own temp data dir and a fixed GTX_SETUP_TOKEN:
// first-run setup can happen only once per server, and every project walks through it.
// Waits for /healthz and records the servers in test-results/e2e-state.json; each server
// logs to test-results/server-<project>.log.
//
// GTX_BIN overrides the binary (default ../target/debug/gtx-keys); GTX_SITE_ROOT the
// site folder (default ../target/site). Chromium keeps the `__Host-` + `Secure` session
// cookie on http://127.0.0.1 (a potentially trustworthy origin), so no TLS is needed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { type E2EState, RESULTS_DIR, STATE_FILE, type ServerState, serverLog } from './e2e-state';

const REPO_ROOT = path.resolve(__dirname, '..');
const READY_TIMEOUT_MS = 180_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        reject(new Error('could not pick a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** The server's environment: never a PostgreSQL URL or GTX_* overrides from the caller. */
function serverEnv(siteRoot: string, setupToken: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LEPTOS_SITE_ROOT: siteRoot };
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key.startsWith('GTX_')) delete env[key];
  }
  env.GTX_SETUP_TOKEN = setupToken;
  // Usage counts reach the database (and the key pages) within a second, not 30.
  env.GTX_USAGE_FLUSH_SECONDS = '1';
  // The webhooks page's tests deliver to a receiver on loopback.
  env.GTX_WEBHOOKS_ALLOW_PRIVATE = 'true';
  env.RUST_LOG ??= 'info';
  env.NO_COLOR = '1'; // plain text in the server logs
  return env;
}

function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no server log)';
  }
}

async function waitUntilReady(baseURL: string, logFile: string, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no attempt yet';
  while (Date.now() < deadline) {
    const why = exited();
    if (why !== null) throw new Error(`gtx-keys exited before it was ready (${why}). Log tail:\n${logTail(logFile)}`);
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gtx-keys not ready after ${READY_TIMEOUT_MS / 1000}s (last: ${last}). Log tail:\n${logTail(logFile)}`);
}

async function startServer(project: string, bin: string, siteRoot: string): Promise<ServerState> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `gtx-e2e-${project}-`));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const setupToken = `e2e-${project}-${randomBytes(12).toString('hex')}`;
  const logFile = serverLog(project);

  const log = fs.openSync(logFile, 'w');
  const server = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, 'serve'], {
    cwd: REPO_ROOT,
    env: serverEnv(siteRoot, setupToken),
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  server.unref();
  let exitReason: string | null = null;
  server.on('exit', (code, signal) => {
    exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  server.on('error', (err) => {
    exitReason = `spawn error: ${err.message}`;
  });
  try {
    await waitUntilReady(baseURL, logFile, () => exitReason);
  } catch (err) {
    server.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return { project, baseURL, setupToken, serverPid: server.pid ?? -1, dataDir, logFile };
}

export default async function globalSetup(config: FullConfig): Promise<void> {
  const bin = path.resolve(process.env.GTX_BIN ?? path.join(REPO_ROOT, 'target/debug/gtx-keys'));
  const siteRoot = path.resolve(process.env.GTX_SITE_ROOT ?? path.join(REPO_ROOT, 'target/site'));
  if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist: run \`cargo leptos build\` first`);
  if (!fs.existsSync(path.join(siteRoot, 'pkg'))) {
    throw new Error(`${siteRoot}/pkg does not exist: run \`cargo leptos build\` first`);
  }

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.rmSync(STATE_FILE, { force: true });
  const state: E2EState = { servers: {} };
  const writeState = () => fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  // One after the other, writing the state file as each comes up, so teardown stops
  // every server that did start even when a later one fails.
  try {
    for (const project of config.projects) {
      const server = await startServer(project.name, bin, siteRoot);
      state.servers[project.name] = server;
      writeState();
      console.log(`gtx-keys for "${project.name}" ready at ${server.baseURL}; log: ${server.logFile}`);
    }
  } catch (err) {
    // Playwright skips global teardown when global setup fails: stop what did start.
    for (const s of Object.values(state.servers)) {
      try {
        process.kill(s.serverPid, 'SIGKILL');
      } catch {
        // already gone
      }
      fs.rmSync(s.dataDir, { recursive: true, force: true });
    }
    fs.rmSync(STATE_FILE, { force: true });
    throw err;
  }
}
