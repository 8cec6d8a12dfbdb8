/**
 * The TTFT rule, one function for bench and verify: the first streamed chunk whose delta carries
 * output — non-empty content, non-empty reasoning text, or a tool-call delta. A role-only first
 * chunk does not count. Both time it on Ctx.clock from the request's dispatch to the arrival of the
 * bytes that carried that chunk (docs/measurement.md).
 */
export function carriesOutput(delta: Record<string, unknown> | undefined): boolean {
  if (!delta) return false;
  if (typeof delta.content === 'string' && delta.content.length > 0) return true;
  const r = delta.reasoning_content ?? delta.reasoning;
  if (typeof r === 'string' && r.length > 0) return true;
  return Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0;
}
