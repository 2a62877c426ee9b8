// A second portal on the database the browser tests share, started with settings of its own
// (a clock moved forward, the second factor required), for the *.after.spec.ts files.
import { spawn, ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createHmac } from 'node:crypto';

/// Starts a portal (dev mode, no demo data) on the shared database with `env` added; resolves
/// once it answers /readyz.
export async function startSecondPortal(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const portal = spawn(process.env.PORTAL_BIN ?? '../target/debug/portal', [], {
    cwd: path.resolve(__dirname, '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'sqlite://../target/e2e/e2e.db',
      PORTAL_LISTEN: `127.0.0.1:${port}`,
      PORTAL_READINESS_CHECKS: 'false',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      RUST_LOG: 'warn',
      ...env,
    },
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (portal.exitCode !== null) throw new Error(`the second portal exited with ${portal.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready) return portal;
    await new Promise((r) => setTimeout(r, 250));
  }
  portal.kill('SIGKILL');
  throw new Error('the second portal did not become ready within 60 seconds');
}

/// The 6-digit code (RFC 6238: HMAC-SHA1, 30-second steps) of a base32 secret, `stepsAhead`
/// steps from now: what an authenticator app would show.
export function totp(base32: string, stepsAhead = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/\s+/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + stepsAhead));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}
