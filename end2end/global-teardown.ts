// Stops the server started by global-setup.ts and removes its data dir
// (kept when GTX_E2E_KEEP_DATA=1, for poking at it after a failure).
import * as fs from 'node:fs';
import { STATE_FILE, readState } from './e2e-state';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const state = readState();
  if (state.serverPid > 0 && alive(state.serverPid)) {
    process.kill(state.serverPid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(state.serverPid) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (alive(state.serverPid)) process.kill(state.serverPid, 'SIGKILL');
  }
  if (process.env.GTX_E2E_KEEP_DATA !== '1') {
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}
