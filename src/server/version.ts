// The version dustd reports (X-Rqlite-Version, /status, -version), read from the package it ships in.
import fs from 'node:fs';

let cached: string | undefined;

export function dustVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const manifest = JSON.parse(
      fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: unknown;
    };
    cached = typeof manifest.version === 'string' ? `v${manifest.version}` : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
