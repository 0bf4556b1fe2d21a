import { readResult } from "./results";
import type { JobView } from "./status";

/** The job as `GET /jobs/{jobId}` answers it (and as a webhook carries it). */
export async function jobBody(seen: JobView, now: () => number): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {
    jobId: seen.jobId,
    status: seen.status,
    createdAt: seen.createdAt,
    updatedAt: seen.updatedAt,
  };
  if (seen.status === "SUCCEEDED") Object.assign(body, await readResult(seen, now));
  if (seen.error) body.error = seen.error;
  if (seen.progress) body.progress = seen.progress;
  return body;
}
