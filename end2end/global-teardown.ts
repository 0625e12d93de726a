// Stops every server started by global-setup.ts and removes their data dirs
// (kept when GTX_E2E_KEEP_DATA=1, for poking at them after a failure).
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

async function stop(pid: number): Promise<void> {
  if (pid <= 0 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const servers = Object.values(readState().servers);
  await Promise.all(servers.map((s) => stop(s.serverPid)));
  if (process.env.GTX_E2E_KEEP_DATA !== '1') {
    for (const s of servers) fs.rmSync(s.dataDir, { recursive: true, force: true });
  }
}
