// Where global setup leaves what the tests need: the server's URL and the seeded ids.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface E2EState {
  baseURL: string;
  orgId: string;
  orgName: string;
  projectId: string;
  projectName: string;
  serverPid: number;
  dataDir: string;
  logFile: string;
}

export const RESULTS_DIR = path.join(__dirname, 'test-results');
export const STATE_FILE = path.join(RESULTS_DIR, 'e2e-state.json');
export const SERVER_LOG = path.join(RESULTS_DIR, 'server.log');

export function readState(): E2EState {
  if (!fs.existsSync(STATE_FILE)) {
    throw new Error(`${STATE_FILE} is missing: global setup did not run or failed`);
  }
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as E2EState;
}
