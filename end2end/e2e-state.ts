// Where global setup leaves what the tests need: one fresh server per Playwright project
// (first-run setup can happen only once per server), keyed by project name.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ServerState {
  /** The Playwright project this server belongs to. */
  project: string;
  baseURL: string;
  /** The fixed one-time setup token (GTX_SETUP_TOKEN) the server was started with. */
  setupToken: string;
  serverPid: number;
  dataDir: string;
  logFile: string;
}

export interface E2EState {
  servers: Record<string, ServerState>;
}

export const RESULTS_DIR = path.join(__dirname, 'test-results');
export const STATE_FILE = path.join(RESULTS_DIR, 'e2e-state.json');
export const SCREENSHOTS_DIR = path.join(__dirname, 'screenshots');

/** The log file of the server of one project (kept after the run, next to the state file). */
export function serverLog(project: string): string {
  return path.join(RESULTS_DIR, `server-${project}.log`);
}

export function readState(): E2EState {
  if (!fs.existsSync(STATE_FILE)) {
    throw new Error(`${STATE_FILE} is missing: global setup did not run or failed`);
  }
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as E2EState;
}

export function serverFor(project: string): ServerState {
  const server = readState().servers[project];
  if (!server) throw new Error(`global setup started no server for project "${project}"`);
  return server;
}
