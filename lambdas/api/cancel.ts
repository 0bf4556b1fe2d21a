import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { apiHandler, callerOf, owns } from "../shared/api";
import type { ApiHandler } from "../shared/api";
import { sfnClient } from "../shared/clients";
import { config } from "../shared/config";
import { errorResponse, json, notFound, pathJobId } from "../shared/http";
import { isJobId } from "../shared/ids";
import { errorDetails, logger } from "../shared/logger";
import { expiryAfter } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";

export interface CancelOptions {
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

/**
 * The execution a job runs as: `arn:<p>:states:<r>:<a>:stateMachine:<name>` →
 * `arn:<p>:states:<r>:<a>:execution:<name>:<jobId>` (executions are named by job id).
 */
export function executionArnOf(stateMachineArn: string, jobId: string): string | undefined {
  const parts = stateMachineArn.split(":");
  if (parts.length < 7 || parts[0] !== "arn" || parts[2] !== "states" || parts[5] !== "stateMachine") return undefined;
  return [...parts.slice(0, 5), "execution", parts[6], jobId].join(":");
}

/**
 * DELETE /jobs/{jobId}: PENDING or RUNNING → CANCELLED (the record decides; a late result is
 * then discarded by the status rules), then, for STANDARD workflows, a best-effort StopExecution.
 */
export function createCancelHandler(options: CancelOptions = {}): ApiHandler {
  const now = options.now ?? Date.now;

  return apiHandler("cancel", async (event) => {
    const jobId = pathJobId(event);
    if (!isJobId(jobId)) return notFound();
    const cfg = config();
    const caller = callerOf(event, cfg);
    if (caller === undefined) return errorResponse(403, "Forbidden", "The request has no caller identity.");

    const outcome = await applyTransition(
      storeFromEnv({ now }),
      jobId,
      (current, at) => {
        if (!owns(cfg, caller, current.owner)) return undefined; // reads as 404
        return { status: "CANCELLED", expiresAt: expiryAfter(at, cfg.resultTtlSeconds) };
      },
      { now, resultTtlSeconds: cfg.resultTtlSeconds },
    );
    if (!outcome.applied) {
      if (outcome.reason === "refused") return errorResponse(409, "Conflict", "The job has already finished.");
      return notFound();
    }
    logger.info("Job cancelled", { jobId, from: outcome.previous.status });

    if (cfg.backend === "stepfunctions" && cfg.workflowType === "STANDARD" && cfg.stateMachineArn) {
      const executionArn = executionArnOf(cfg.stateMachineArn, jobId);
      try {
        if (!executionArn) throw new Error("Cannot derive the execution ARN from the state machine ARN");
        await sfnClient().send(new StopExecutionCommand({ executionArn, error: "Cancelled", cause: "Cancelled by the client" }));
      } catch (err) {
        // The record already says CANCELLED: whatever the execution does next is discarded.
        logger.warn("Could not stop the execution", { jobId, ...errorDetails(err) });
      }
    }
    return json(202, { jobId, status: "CANCELLED" });
  });
}
