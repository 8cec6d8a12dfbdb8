// undici's Agent by its file path (no typings ship for deep paths): the same class as `Agent` from 'undici'.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
