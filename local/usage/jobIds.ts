/**
 * Which jobs a call to a local service is for, read from what the call carries: a `jobId` field
 * (also DynamoDB-typed, `{"S": …}`, and inside JSON that is itself a string, as in an SQS body or
 * an EventBridge detail), a DynamoDB key `pk` that is a job id, or an S3 key naming one.
 * The cost meter (meter.ts) charges a call's units to these jobs; a call that names none is
 * counted as not per job.
 */

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/** A quote, escaped any number of times (JSON inside JSON inside JSON). */
const Q = '\\\\*"';
const FIELD = new RegExp(`${Q}(?:jobId|pk)${Q}\\s*:\\s*(?:\\{\\s*${Q}S${Q}\\s*:\\s*)?${Q}(${UUID})${Q}`, "gi");
const ANY_UUID = new RegExp(UUID, "gi");

/** The distinct job ids named by `jobId`/`pk` fields in a JSON text, in order of appearance. */
export function jobIdsInJson(text: string | undefined): string[] {
  if (!text) return [];
  return distinct([...text.matchAll(FIELD)].map((m) => m[1].toLowerCase()));
}

/** The job ids in an S3 object key (`jobs/<id>.json`, `results/<id>…`, `index/<owner>/<n>_<id>`, `events/<id>.json`). */
export function jobIdsInKey(key: string | undefined): string[] {
  if (!key) return [];
  return distinct([...key.matchAll(ANY_UUID)].map((m) => m[0].toLowerCase()));
}

function distinct(ids: string[]): string[] {
  return [...new Set(ids)];
}
