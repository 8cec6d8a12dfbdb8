/** What a tenant's plan allows: models (after modelMap), tools and the output-token cap. Pure checks on a parsed body. */
import { allows } from '../core/gateway/config.js';
import type { TenantLimits } from '../core/gateway/types.js';
import { E, type ApiError } from './errors.js';

/** The tool names a chat request uses: function tools, legacy functions, and other tool types by type (mcp by server_label). */
export function toolNames(body: Record<string, unknown>): string[] {
  const names: string[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools as Record<string, unknown>[]) {
      if (!t || typeof t !== 'object') continue;
      const fn = t.function as { name?: unknown } | undefined;
      if (typeof fn?.name === 'string') names.push(fn.name);
      else if (t.type === 'mcp') names.push(typeof t.server_label === 'string' ? t.server_label : 'mcp');
      else if (typeof t.name === 'string') names.push(t.name);
      else if (typeof t.type === 'string') names.push(t.type);
    }
  }
  if (Array.isArray(body.functions)) for (const f of body.functions as { name?: unknown }[]) if (typeof f?.name === 'string') names.push(f.name);
  return names;
}

/** The model a request is sent as: modelMap renames (one step, no chains). */
export function servedModel(modelMap: Record<string, string>, asked: string): string {
  return Object.hasOwn(modelMap, asked) ? modelMap[asked]! : asked;
}

/**
 * Refusals the plan demands, or undefined. A model is allowed when the plan names the model asked
 * for or the one it maps to. max_tokens / max_completion_tokens above the plan's cap are refused
 * (400 max_tokens_exceeded) rather than clamped: a clamped answer would end early with
 * finish_reason "length" and the client would not know why.
 */
export function planRefusal(t: TenantLimits, endpoint: 'chat' | 'embeddings', body: Record<string, unknown>, asked: string, served: string): ApiError | undefined {
  if (!allows(t.models, asked) && !allows(t.models, served)) return E.modelNotAllowed(asked, t.plan);
  if (endpoint !== 'chat') return undefined;
  if (!t.tools.includes('*')) for (const name of toolNames(body)) if (!t.tools.includes(name)) return E.toolNotAllowed(name, t.plan);
  if (t.maxTokens !== undefined) {
    for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
      const v = body[field];
      if (typeof v === 'number' && v > t.maxTokens) return E.maxTokens(field, v, t.maxTokens, t.plan);
    }
  }
  return undefined;
}
