/**
 * The temp files holy has open right now (results, CSV, HTML report being written), so that a second
 * Ctrl-C/SIGTERM, which exits at once without the usual clean-up, can still remove them (bin/holy.js).
 */
import { unlinkSync } from 'node:fs';

const open = new Set<string>();

/** Note a temp file that must not outlive the process. */
export function trackTemp(path: string): void {
  open.add(path);
}

/** The temp file was moved into place or removed: nothing left to clean. */
export function untrackTemp(path: string): void {
  open.delete(path);
}

/** Remove every tracked temp file now (synchronous: called on the way out of the process). */
export function removeTempFiles(): void {
  for (const p of open) {
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
  }
  open.clear();
}
