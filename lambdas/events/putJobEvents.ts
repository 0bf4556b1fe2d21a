import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { eventBridgeClient } from "../shared/clients";
import { putEventsEntry, type JobEventDetail } from "../shared/jobEvents";

/** PutEvents takes at most 10 entries ("PutEvents", Amazon EventBridge API Reference). */
const MAX_ENTRIES = 10;

/**
 * Puts `details` on the bus in their order, and answers how many were put: a job's events go in
 * order, each after the one before it was accepted (a request holds at most one event per job, as
 * EventBridge does not order the entries of one request). Stops at the first entry refused.
 */
export async function putJobEvents(busName: string, details: JobEventDetail[]): Promise<number> {
  let put = 0;
  while (put < details.length) {
    const chunk: JobEventDetail[] = [];
    const jobs = new Set<string>();
    for (let i = put; i < details.length && chunk.length < MAX_ENTRIES && !jobs.has(details[i].jobId); i++) {
      chunk.push(details[i]);
      jobs.add(details[i].jobId);
    }
    const out = await eventBridgeClient().send(new PutEventsCommand({ Entries: chunk.map((d) => putEventsEntry(busName, d)) }));
    const entries = out.Entries ?? [];
    const firstFailed = entries.findIndex((e) => e.ErrorCode !== undefined || e.EventId === undefined);
    if ((out.FailedEntryCount ?? 0) === 0 && firstFailed === -1) {
      put += chunk.length;
      continue;
    }
    return put + Math.max(0, firstFailed);
  }
  return put;
}
