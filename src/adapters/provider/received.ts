/**
 * The one place where text a provider (or a proxy in front of it) sent first enters holy: error
 * bodies, error messages and listings pass through `received` before anything else reads them.
 * Redaction, control-character stripping and size caps belong here (or in the core module this
 * calls), not in each renderer.
 */
import { redact } from '../../core/redact.js';

/** How much of an error body or message holy keeps, in characters. */
export const KEEP = { message: 500, body: 2000 } as const;

/** Server text → text holy may show or store: every key redacted, at most `max` characters. */
export function received(text: string, keys: ReadonlyArray<string | undefined>, max: number): string {
  // Redact before cutting, with a margin, so a key that straddles the cut leaves no fragment behind.
  return redact(text.length > max + 256 ? text.slice(0, max + 256) : text, keys).slice(0, max);
}
