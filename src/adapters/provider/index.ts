/**
 * The provider client: the one way holy talks to an OpenAI-compatible provider. Timed chat calls
 * (bench, judge, the gateway) go over undici in wire.ts; GET /models and verify's chat probe go
 * through the openai SDK in sdk.ts (docs/development.md says why both); stored completions (traffic pull)
 * and embeddings (bench) are plain undici GETs/POSTs in stored.ts and embeddings.ts. Every response text passes
 * received.ts first. The SDK module is loaded lazily, so importing this costs nothing.
 */
export { sendChat, type CallOptions } from './wire.js';
export { chatProbe, listForBench, listModels, loadSdk, makeClient, observe, type ChatProbe, type ClientSpec, type ListedModel, type ModelList, type ProbeResult } from './sdk.js';
export type { CallResult, ChatBody, Completion } from '../../core/chat.js';
export { DEFAULT_MAX_BYTES } from './received.js';
export { asPage, getJson, MAX_WAIT_MS, StoredApiError, type Page, type StoredApiOptions } from './stored.js';
export { sendEmbeddings, vectorsOf, type EmbeddingCall, type EmbeddingResult } from './embeddings.js';
