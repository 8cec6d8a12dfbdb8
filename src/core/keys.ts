/** Key hygiene and key/host checks: pure, shared by verify, bench and migrate. */

export interface HygieneIssue {
  kind: 'leading-whitespace' | 'trailing-whitespace' | 'newline' | 'quotes' | 'inner-whitespace';
  message: string;
}

/** Problems with a key as found, and the key with them removed. */
export function keyHygiene(raw: string): { issues: HygieneIssue[]; cleaned: string } {
  const issues: HygieneIssue[] = [];
  if (/[\r\n]/.test(raw)) issues.push({ kind: 'newline', message: 'the key contains a line break' });
  if (/^\s/.test(raw)) issues.push({ kind: 'leading-whitespace', message: 'the key starts with whitespace' });
  if (/\s$/.test(raw)) issues.push({ kind: 'trailing-whitespace', message: 'the key ends with whitespace' });
  let cleaned = raw.trim();
  if (/^(["'`]).*\1$/s.test(cleaned) && cleaned.length >= 2) {
    issues.push({ kind: 'quotes', message: 'the key is wrapped in quotes' });
    cleaned = cleaned.slice(1, -1).trim();
  }
  if (/\s/.test(cleaned)) issues.push({ kind: 'inner-whitespace', message: 'the key has whitespace inside it (two keys pasted together?)' });
  return { issues, cleaned };
}

export type KeyFormat = 'official' | 'relay' | 'unknown';

/** Formats of keys OpenAI issues: project, service-account, admin keys, and legacy user keys (which embed "T3BlbkFJ"). */
const OFFICIAL = [/^sk-proj-/, /^sk-svcacct-/, /^sk-admin-/, /^sk-None-/, /^sk-[A-Za-z0-9]*T3BlbkFJ/];
/**
 * Relay formats known to holy: one-api/new-api style (sk- and 48 alphanumerics, without OpenAI's
 * marker), and "hs-"-prefixed keys. Profiles add their own via keyPattern in holy.config.json.
 */
const RELAY = [/^sk-(?![A-Za-z0-9]*T3BlbkFJ)[A-Za-z0-9]{48}$/, /^hs-[A-Za-z0-9_-]{8,}$/];

/** What kind of key this looks like; extra patterns (from the profile) count as relay formats. */
export function keyFormat(key: string, extraRelayPatterns: readonly string[] = []): KeyFormat {
  if (OFFICIAL.some((r) => r.test(key))) return 'official';
  if ([...RELAY, ...extraRelayPatterns.map((p) => new RegExp(p))].some((r) => r.test(key))) return 'relay';
  // Any other sk- key is treated as official-format: sending it to a third party is the costly mistake.
  if (key.startsWith('sk-')) return 'official';
  return 'unknown';
}

function isOfficialHost(baseURL: string): boolean {
  try {
    return new URL(baseURL.trim()).hostname.toLowerCase() === 'api.openai.com';
  } catch {
    return false;
  }
}

interface KeyHostVerdict {
  ok: boolean;
  /** One sentence: why the key must not go to this host. */
  reason?: string;
  fix?: string;
}

/**
 * Refuse to send an official-format key to any host but api.openai.com (loopback included),
 * or a relay key to api.openai.com. Callers skip this only with an explicit --force.
 */
export function checkKeyHost(key: string, baseURL: string, extraRelayPatterns: readonly string[] = []): KeyHostVerdict {
  const fmt = keyFormat(key, extraRelayPatterns);
  const official = isOfficialHost(baseURL);
  let host = baseURL;
  try {
    host = new URL(baseURL.trim()).host;
  } catch {
    /* reported by URL checks */
  }
  if (fmt === 'official' && !official) {
    return {
      ok: false,
      reason: `an OpenAI-format key would be sent to ${host}, which is not api.openai.com`,
      fix: 'use the key issued by this provider (e.g. HOLYSHEEP_API_KEY), or pass --force if this host really should receive it',
    };
  }
  if (fmt === 'relay' && official) {
    return {
      ok: false,
      reason: 'a relay key would be sent to api.openai.com, which cannot accept it',
      fix: 'set OPENAI_API_KEY to your OpenAI key, or point this provider at the relay base URL',
    };
  }
  return { ok: true };
}
