/** The provider variables of a prepared plan, as other formats and the redactor need them. */
import { envValues } from '../../core/envfile/parse.js';
import { isSecretName } from '../../core/migrate/plan.js';
import type { FormatVar } from '../../core/migrate/formats.js';
import { PLACEHOLDER, type Prepared } from './prepare.js';
import { safe } from './render.js';

/** Values of secret variables in the file, before and after, for redaction of anything printed. */
export function secretValues(p: Prepared): string[] {
  const vals = [envValues(p.file), envValues(p.plan.after)].flatMap((o) => Object.entries(o).filter(([k]) => isSecretName(k)).map(([, v]) => v));
  return vals.filter((v) => v.length >= 8 && v !== PLACEHOLDER);
}

/** Provider variables as the app would see them after the plan (for sh/k8s/compose). */
export function formatVars(p: Prepared, masked = false): FormatVar[] {
  const vals = envValues(p.plan.after);
  return p.vars
    .filter((v) => vals[v.name] !== undefined)
    .map((v) => {
      const secret = v.role === 'key' || isSecretName(v.name);
      const value = vals[v.name]!;
      return { name: v.name, secret, value: masked && secret ? safe(value, [value]) : value };
    });
}
