/** "Model not found": recognising it, and the closest names and known mapping to offer instead. Pure. */
import { closestModels, normaliseModel, suggestMapping } from '../models.js';
import type { Diagnosis, Observation } from './classify.js';

/** True when an HTTP answer means "this model does not exist here" rather than a key or URL problem. */
export function isModelNotFound(o: Observation): boolean {
  if (o.kind !== 'http') return false;
  if (/model_not_found|invalid_model|model_not_available/.test(`${o.errorCode} ${o.errorType}`)) return true;
  return (o.status === 404 || o.status === 400) && /model/i.test(o.errorMessage ?? '') && /not (be )?found|does not exist|not exist|unknown|not supported|unavailable|no such/i.test(o.errorMessage ?? '');
}

/** The served id matching `name` exactly, or after normalising snapshots and spellings. */
export function findServed(name: string, served: readonly string[]): { exact: boolean; id: string } | undefined {
  if (served.includes(name)) return { exact: true, id: name };
  const n = normaliseModel(name);
  const hit = served.find((s) => normaliseModel(s) === n);
  return hit ? { exact: false, id: hit } : undefined;
}

export interface Alternatives {
  closest: string[];
  /** The suggested replacement (seeds' mapping) and whether this provider serves it. */
  mapping?: { to: string; served?: string };
}

/** Closest served names and the known mapping for a model a provider does not serve. */
export function alternatives(name: string, served: readonly string[]): Alternatives {
  const to = suggestMapping(name);
  const closest = closestModels(name, served, 3).filter((c) => normaliseModel(c) !== normaliseModel(name));
  return { closest, ...(to ? { mapping: { to, ...(findServed(to, served) ? { served: findServed(to, served)!.id } : {}) } } : {}) };
}

/** One sentence listing the alternatives, e.g. "use gpt-4.1 (the suggested replacement, served); closest served: …". */
export function alternativesText(a: Alternatives, listed: boolean): string {
  const parts: string[] = [];
  if (a.mapping) parts.push(`the suggested replacement is ${a.mapping.to}${a.mapping.served ? ` (served${a.mapping.served !== a.mapping.to ? ` as ${a.mapping.served}` : ''})` : listed ? ' (not served here either)' : ''}`);
  if (a.closest.length) parts.push(`closest served names: ${a.closest.join(', ')}`);
  if (!parts.length) return listed ? 'the provider lists no similar model; run `holy models` to see what it serves.' : 'run `holy models` to see what the provider serves.';
  return parts.join('; ') + '.';
}

/** Diagnosis for a model the provider does not serve. */
export function modelNotFound(model: string, provider: string, served: readonly string[] | undefined, tag: string): Diagnosis {
  const a = alternatives(model, served ?? []);
  return {
    status: 'fail',
    label: `${model} not served (${tag})`,
    cause: `${provider} does not serve ${model} (${tag}).`,
    fix: `use another name: ${alternativesText(a, served !== undefined)}`,
    data: { closest: a.closest, ...(a.mapping ? { mapping: a.mapping } : {}) },
  };
}
