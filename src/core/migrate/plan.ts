/** Migration plans as data: which provider lines change, computed from the env-file model without touching disk. */
import { entriesOf, type EnvEntry, type EnvFile } from '../envfile/parse.js';
import { appendEntry, assertReadsBack, cloneEnv, newEntry, setEntryValue } from '../envfile/edit.js';

export type VarRole = 'url' | 'key';

/** A provider variable holy may edit. `optional`: only edited where the file already has it. */
export interface VarSpec {
  name: string;
  role: VarRole;
  optional?: boolean;
}

/** The provider lines holy edits by default (OPENAI_API_BASE is the legacy name some SDKs read). */
export const DEFAULT_VARS: readonly VarSpec[] = [
  { name: 'OPENAI_BASE_URL', role: 'url' },
  { name: 'OPENAI_API_BASE', role: 'url', optional: true },
  { name: 'OPENAI_API_KEY', role: 'key' },
];

/** Read a --var value: NAME, NAME=url or NAME=key; a bare NAME is classified by its name. */
export function parseVarSpec(spec: string): VarSpec | { error: string } {
  const m = /^([A-Za-z_][A-Za-z0-9_.-]*)(?:=(url|key))?$/i.exec(spec.trim());
  if (!m) return { error: `--var ${JSON.stringify(spec)}: expected a variable name, optionally with =url or =key, e.g. --var LLM_BASE_URL or --var LLM_TOKEN=key` };
  const name = m[1]!;
  if (m[2]) return { name, role: m[2].toLowerCase() as VarRole };
  if (/(KEY|TOKEN|SECRET)$/i.test(name)) return { name, role: 'key' };
  if (/(URL|BASE|ENDPOINT|HOST)$/i.test(name)) return { name, role: 'url' };
  return { error: `--var ${name}: cannot tell whether it holds a key or a base URL; write --var ${name}=key or --var ${name}=url` };
}

/** Variables that hold secrets and must be masked wherever they are shown. */
export function isSecretName(name: string): boolean {
  return /(KEY|TOKEN|SECRET|PASSWORD)/i.test(name);
}

export interface Change {
  key: string;
  action: 'set' | 'add' | 'remove' | 'restore';
  /** 1-based line in the current file (0 for an added line). */
  line: number;
  before?: string;
  after?: string;
  secret: boolean;
}

export interface Plan {
  changes: Change[];
  /** The file as it would be after applying. */
  after: EnvFile;
  notes: string[];
}

export interface PlanTarget {
  /** Value for url-role variables. */
  baseURL: string;
  /** Value for key-role variables; undefined leaves them as they are. */
  key?: string;
  /** Add required variables the file lacks (migrate); rollback only edits what is there. */
  addMissing: boolean;
  /** Add the key variable even without addMissing (rollback with an explicit key source). */
  addKey?: boolean;
  /** Leave an assignment alone when its current value already serves (rollback: same endpoint, a key that fits). */
  keep?(role: VarRole, current: string): boolean;
}

/** Two base URLs name the same endpoint (case of the host and trailing slashes do not matter). */
export function sameEndpoint(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const x = new URL(u.trim());
      return `${x.protocol}//${x.host.toLowerCase()}${x.pathname.replace(/\/+$/, '')}${x.search}`;
    } catch {
      return u.trim().replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

/** Set every assignment of each provider variable to the target's value; earlier duplicates too, for first-wins loaders. */
export function computePlan(file: EnvFile, target: PlanTarget, vars: readonly VarSpec[]): Plan {
  const after = cloneEnv(file);
  const changes: Change[] = [];
  const notes: string[] = [];
  const expect: Record<string, string> = {};
  for (const v of vars) {
    const value = v.role === 'url' ? target.baseURL : target.key;
    if (value === undefined) continue;
    const present = entriesOf(after, v.name);
    if (present.length === 0) {
      const add = !v.optional && (target.addMissing || (v.role === 'key' && target.addKey));
      if (!add) continue;
      appendEntry(after, newEntry(v.name, value, after.eol));
      changes.push({ key: v.name, action: 'add', line: 0, after: value, secret: v.role === 'key' || isSecretName(v.name) });
      expect[v.name] = value;
      continue;
    }
    if (present.length > 1) notes.push(`${v.name} is assigned ${present.length} times (lines ${present.map((e) => e.line).join(', ')}); every one is set, so loaders that read the first and those that read the last agree.`);
    for (const e of present) {
      if (e.value === value || target.keep?.(v.role, e.value)) continue;
      replaceToken(after, e, setEntryValue(e, value));
      changes.push({ key: v.name, action: 'set', line: e.line, before: e.value, after: value, secret: v.role === 'key' || isSecretName(v.name) });
    }
    if (!target.keep) expect[v.name] = value;
  }
  assertReadsBack(after, expect);
  return { changes, after, notes };
}

function replaceToken(file: EnvFile, old: EnvEntry, next: EnvEntry): void {
  const i = file.tokens.indexOf(old);
  file.tokens[i] = next;
}
