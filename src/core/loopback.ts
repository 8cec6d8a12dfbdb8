/** Loopback hosts: where plain http is acceptable (verify), no proxy applies (http) and the mock may bind. */

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** True for a hostname only this machine can reach: localhost, 127.x.x.x or ::1 (bracketed or not). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
