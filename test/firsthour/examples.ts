/**
 * Every example a new user can copy — the README's shell blocks and each command's --help
 * "Examples:" — as runnable scripts, with the placeholders they name (traffic.jsonl, usage.csv,
 * .env, https://relay.example.com/v1, fixed ports, …) mapped to fixtures and local simulators.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Example {
  /** Where it is documented: "README.md:52" or "holy bench --help". */
  where: string;
  /** The lines as documented (a README block may hold several, with background simulators). */
  lines: string[];
}

/** The sh blocks of a markdown file: lines that run holy (or set variables for it), continuations joined. */
export function markdownExamples(file: string, label: string): Example[] {
  const text = readFileSync(file, 'utf8').split('\n');
  const out: Example[] = [];
  let block: string[] | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const line = text[i]!;
    if (block === null && /^```(sh|bash)\s*$/.test(line)) {
      block = [];
      start = i + 2;
    } else if (block !== null && line.startsWith('```')) {
      const joined = block.join('\n').replace(/\\\n\s*/g, '').split('\n');
      const cmds = joined.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      if (cmds.some(runsHoly)) out.push({ where: `${label}:${start}`, lines: cmds.filter((l) => runsHoly(l) || /^kill %\d$/.test(l)) });
      block = null;
    } else if (block !== null) block.push(line);
  }
  return out;
}

/** The "$ holy …" lines of a help text's Examples (and the root's "Start here"). */
export function helpExamples(help: string, label: string): Example[] {
  return help
    .split('\n')
    .map((l) => /^\s+\$ (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .map((l) => ({ where: label, lines: [l] }));
}

function runsHoly(line: string): boolean {
  return /^([A-Z_][A-Z0-9_]*=\S+\s+)*holy\b/.test(line) || /\|\s*holy\b/.test(line);
}

/** Replace what only exists on the author's machine with what exists in the test workspace. */
export function localise(line: string, map: { relay: string; hook: string; ports: Map<string, number> }): string {
  let s = line
    .replace(/\s+#.*$/, '') // trailing comments
    .replaceAll('https://relay.example.com/v1', map.relay)
    .replace(/https:\/\/hooks\.slack\.com\/\S+/, map.hook)
    .replace(/--restart "[^"]*"/, '--restart "true"')
    .replace(/--duration \d+/, '--duration 2')
    // `& sleep 1;` waits for a simulator by time; a loaded machine needs the file itself.
    .replace(/> (\S+) & sleep 1;/, '> $1 & until [ -s $1 ]; do sleep 0.1; done;');
  for (const [from, to] of map.ports) s = s.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
  return s;
}

/** The fixed ports the examples use, each mapped to one free now (the examples bind them by number). */
export function fixedPorts(examples: Example[]): string[] {
  const ports = new Set<string>();
  for (const e of examples) for (const l of e.lines) for (const m of l.matchAll(/(?:--port |127\.0\.0\.1:)(\d{4,5})\b/g)) ports.add(m[1]!);
  return [...ports];
}

/** `holy <cmd> --help` for every command and subcommand, from the built bin. */
export function allHelp(bin: string, commands: string[][]): Example[] {
  return commands.flatMap((c) => helpExamples(execFileSync(process.execPath, ['--', bin, ...c, '--help'], { encoding: 'utf8' }), `holy ${[...c, '--help'].join(' ')}`));
}

export const README = (root: string) => join(root, 'README.md');

/** Every command and subcommand with a --help of its own; [] is holy itself. */
export const COMMANDS = [[], ['verify'], ['models'], ['models', 'check'], ['bench'], ['roi'], ['migrate'], ['rollback'], ['mock'], ['tour'], ['gateway'], ['gateway', 'keys', 'add'], ['gateway', 'keys', 'revoke']];
