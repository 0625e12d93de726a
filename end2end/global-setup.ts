// Starts the debug server built by `cargo leptos build` on a free loopback port with a
// fresh data dir, waits for /healthz, seeds one organisation and one project through
// the operator CLI and records everything in test-results/e2e-state.json.
//
// GTX_BIN overrides the binary (default ../target/debug/gtx-keys); GTX_SITE_ROOT the
// site folder (default ../target/site).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type E2EState, RESULTS_DIR, SERVER_LOG, STATE_FILE } from './e2e-state';

const REPO_ROOT = path.resolve(__dirname, '..');
const READY_TIMEOUT_MS = 60_000;

const ORG_NAME = 'Acme Translations';
const PROJECT_NAME = 'Website';

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

/** The environment for the server and the CLI: never a PostgreSQL URL or GTX_* overrides. */
function serverEnv(siteRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LEPTOS_SITE_ROOT: siteRoot };
  for (const key of ['DATABASE_URL', 'GTX_LISTEN', 'GTX_DATA_DIR']) delete env[key];
  env.RUST_LOG ??= 'info';
  env.NO_COLOR ??= '1'; // plain text in server.log
  return env;
}

function logTail(): string {
  try {
    return fs.readFileSync(SERVER_LOG, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no server log)';
  }
}

function cli(bin: string, env: NodeJS.ProcessEnv, args: string[]): string {
  let out: string;
  try {
    out = execFileSync(bin, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    throw new Error(
      `gtx-keys ${args.join(' ')} failed (status ${e.status}):\n${e.stderr ?? ''}${e.stdout ?? ''}`,
    );
  }
  const value = out.trim();
  if (value === '' || value.includes('\n')) {
    throw new Error(`gtx-keys ${args.join(' ')} should print exactly one value, printed: ${JSON.stringify(out)}`);
  }
  return value;
}

async function waitUntilReady(baseURL: string, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no attempt yet';
  while (Date.now() < deadline) {
    const why = exited();
    if (why !== null) throw new Error(`gtx-keys exited before it was ready (${why}). Log tail:\n${logTail()}`);
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gtx-keys not ready after ${READY_TIMEOUT_MS / 1000}s (last: ${last}). Log tail:\n${logTail()}`);
}

export default async function globalSetup(): Promise<void> {
  const bin = path.resolve(process.env.GTX_BIN ?? path.join(REPO_ROOT, 'target/debug/gtx-keys'));
  const siteRoot = path.resolve(process.env.GTX_SITE_ROOT ?? path.join(REPO_ROOT, 'target/site'));
  if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist: run \`cargo leptos build\` first`);
  if (!fs.existsSync(path.join(siteRoot, 'pkg'))) {
    throw new Error(`${siteRoot}/pkg does not exist: run \`cargo leptos build\` first`);
  }

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.rmSync(STATE_FILE, { force: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gtx-e2e-'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const env = serverEnv(siteRoot);

  const log = fs.openSync(SERVER_LOG, 'w');
  const server = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, 'serve'], {
    cwd: REPO_ROOT,
    env,
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
    await waitUntilReady(baseURL, () => exitReason);
    const orgId = cli(bin, env, ['--data-dir', dataDir, 'org', 'create', '--name', ORG_NAME]);
    const projectId = cli(bin, env, ['--data-dir', dataDir, 'project', 'create', '--org', orgId, '--name', PROJECT_NAME]);
    const state: E2EState = {
      baseURL,
      orgId,
      orgName: ORG_NAME,
      projectId,
      projectName: PROJECT_NAME,
      serverPid: server.pid ?? -1,
      dataDir,
      logFile: SERVER_LOG,
    };
    fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
    console.log(`gtx-keys ready at ${baseURL} (org ${orgId}, project ${projectId}); log: ${SERVER_LOG}`);
  } catch (err) {
    server.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
