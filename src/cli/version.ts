// The shell's version is the package's, read from package.json three levels above the compiled file
// (`dist/src/cli/version.js`), whichever build directory it lives in.
import fs from 'node:fs';

export function shellVersion(): string {
  try {
    const text = fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (parsed.name === 'dust' && typeof parsed.version === 'string') return parsed.version;
  } catch {
    // a missing or unreadable package.json only costs us the version string
  }
  return 'unknown';
}
