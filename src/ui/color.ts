/** One chalk instance per invocation; chalk does not read NO_COLOR itself, so decide here. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ctx } from '../context.js';

/** Colour only on a TTY, never with NO_COLOR (any value), TERM=dumb or --no-color. */
export function wantsColor(ctx: Pick<Ctx, 'env' | 'stdout'>, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== '') return false;
  if (ctx.env.TERM === 'dumb') return false;
  if (ctx.env.FORCE_COLOR !== undefined && ctx.env.FORCE_COLOR !== '0') return true;
  return ctx.stdout.isTTY === true;
}

export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

export type { ChalkInstance };
