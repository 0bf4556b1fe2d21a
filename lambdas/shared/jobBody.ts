import { readResult } from "./results";
import type { JobView } from "./status";

/** The job as `GET /jobs` lists it: as GET shows it, without its result. */
export function jobSummary(seen: JobView): Record<string, unknown> {
  const body: Record<string, unknown> = {
    jobId: seen.jobId,
    status: seen.status,
    createdAt: seen.createdAt,
    updatedAt: seen.updatedAt,
  };
  if (seen.error) body.error = seen.error;
  if (seen.progress) body.progress = seen.progress;
  return body;
}

/** The job as `GET /jobs/{jobId}` answers it (and as a webhook carries it). */
export async function jobBody(seen: JobView, now: () => number): Promise<Record<string, unknown>> {
  const result = seen.status === "SUCCEEDED" ? await readResult(seen, now) : {};
  const { jobId, status, createdAt, updatedAt, ...rest } = jobSummary(seen);
  return { jobId, status, createdAt, updatedAt, ...result, ...rest };
}
