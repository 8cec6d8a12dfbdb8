/** Shared bits for the env-file safety tests: a temp dir with a .env of given bytes, and reads of it. */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OFFICIAL = 'sk-proj-fake-0000';
export const RELAY = 'hs-test-0000000000000000';
export const posix = process.platform !== 'win32';
export const isRoot = posix && process.getuid?.() === 0;

/** A dotenv file in the shape apps have: provider lines plus lines holy must not touch. */
export const BASE = `# app\nOPENAI_API_KEY=${OFFICIAL}\nOPENAI_BASE_URL=https://api.openai.com/v1\nHOLYSHEEP_API_KEY=${RELAY}\n`;

const made: string[] = [];
// Registered when the test file imports this module, so it runs once after all of the file's tests.
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temp dir (removed when the test file ends). */
export function tempDir(prefix = 'holy-envsafe-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** A temp dir holding `.env` with exactly these bytes (mode 0600). */
export function envDir(content: string | Buffer, name = '.env'): string {
  const d = tempDir();
  writeFileSync(join(d, name), content);
  chmodSync(join(d, name), 0o600);
  return d;
}

export const bytesOf = (d: string, f = '.env') => readFileSync(join(d, f));
/** Every file in the dir except backups. */
export const others = (d: string) => readdirSync(d).filter((f) => !f.includes('.bak.')).sort();
