/** Types shared by the traffic readers and `holy bench`: one recorded chat-completion request, with its baseline response when known. */
import type { MetaRecord } from '../../core/traffic/meta.js';

import type { ChatBody } from '../../core/chat.js';
export type { ChatBody };

/** The baseline response recorded alongside a request (Batch output, holy results' old response, HAR response). */
export interface RecordedResponse {
  status: number;
  /** chat.completion JSON when known (SSE responses are reassembled into one). */
  body?: unknown;
  error?: { code?: string; message: string };
  ttftMs?: number;
  e2eMs?: number;
  /** The results line said `"simulated": true` (recorded against holy mock). */
  simulated?: boolean;
}

/** Every input format the readers understand (auto-detected per file). */
export type TrafficFormat = 'batch-input' | 'batch-output' | 'chat-jsonl' | 'holy-results' | 'har';

/** One request to replay. */
export interface TrafficItem {
  /** custom_id, or "<file>:<line>". */
  id: string;
  file: string;
  line: number;
  format: TrafficFormat;
  body: ChatBody;
  /** Epoch ms (HAR startedDateTime, holy results), for --replay-timing. */
  recordedAt?: number;
  recorded?: RecordedResponse;
  /** holy results read with keepRecordedNew (bench --new recorded): the new line's response of the same request. */
  recordedNew?: RecordedResponse;
  /** With recordedNew: the providers the two lines name (bench's side names). */
  recordedBy?: { old?: string; new?: string };
}

/** A line that could not be used, and why. */
interface TrafficProblem {
  file: string;
  line: number;
  reason: string;
}

/** What the readers saw; complete once the items iterable is exhausted. */
export interface TrafficStats {
  files: Array<{ file: string; format: TrafficFormat; items: number; skipped: number }>;
  skippedEndpoints: Record<string, number>;
  problems: TrafficProblem[];
  /** holy's own `{"_holy": …}` lines (traffic pull/sample headers), skipped as traffic. */
  meta: MetaRecord[];
}
