/** Reading environment-like records safely. */

/**
 * The value of `name` in `env`, own properties only: a variable named "constructor", "__proto__" or
 * "toString" must read as unset, never as a member of Object.prototype.
 */
export function ownValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(env, name)) return undefined;
  const v = env[name];
  return typeof v === 'string' ? v : undefined;
}
