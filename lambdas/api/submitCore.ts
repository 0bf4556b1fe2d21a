import { createHash } from "node:crypto";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { apiHandler, callerOf } from "../shared/api";
import type { ApiHandler } from "../shared/api";
import { lambdaClient, sfnClient } from "../shared/clients";
import { config, required } from "../shared/config";
import type { Config } from "../shared/config";
import { ENV, MAX_INLINE_RESPONSE_BYTES, startAllowanceSeconds } from "../shared/env";
import { errorResponse, header, internalError, json, locationOf, serviceUnavailable } from "../shared/http";
import { newJobId } from "../shared/ids";
import { errorDetails, logger } from "../shared/logger";
import { IN_PROGRESS_RETRY_AFTER } from "../shared/retryAfter";
import { isServiceFailure } from "../shared/serviceFailure";
import { expiryAfter, iso, retryAfterSeconds, view } from "../shared/status";
import { ConflictError, storeFromEnv, transition } from "../shared/store";
import type { JobStore } from "../shared/store";
import type { IdempotencyRecord, JobRecord } from "../shared/types";
import { validatorOf, type CompiledSchema, type Validator } from "../shared/validationMessages";
import { CALLBACK_URL_HEADER, checkCallbackUrl } from "../shared/webhooks/callbackUrl";

export interface SubmitCoreOptions {
  /** Checks the job's input against its schema. */
  validate: Validator;
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
/** An idempotency record whose job still does not exist after this long was left by a crashed submit. */
const ORPHAN_AFTER_MS = 30_000;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const utf8 = new TextDecoder("utf-8", { fatal: true });

function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(";")[0].trim().toLowerCase() === "application/json";
}

/** Starts the job's run: the record already exists, so a GET right after the POST finds it. */
async function startJob(cfg: Config, jobId: string): Promise<void> {
  switch (cfg.backend) {
    case "stepfunctions":
      await sfnClient().send(
        new StartExecutionCommand({
          stateMachineArn: required(cfg.stateMachineArn, ENV.STATE_MACHINE_ARN),
          name: jobId,
          input: JSON.stringify({ jobId }),
        }),
      );
      return;
    case "lambda": {
      const out = await lambdaClient().send(
        new InvokeCommand({
          FunctionName: required(cfg.workerFunctionName, ENV.WORKER_FUNCTION_NAME),
          InvocationType: "Event",
          Payload: new TextEncoder().encode(JSON.stringify({ jobId })),
        }),
      );
      if (out.StatusCode !== undefined && out.StatusCode !== 202) throw new Error(`Event invoke answered ${out.StatusCode}`);
      return;
    }
    case "stream":
      // The table's stream starts the job when the record is inserted.
      return;
  }
}

type Claim =
  | { kind: "claimed" }
  | { kind: "replay"; job: JobRecord }
  | { kind: "conflict" }
  | { kind: "busy" };

/** Claims the idempotency key for a new job, or finds the job an earlier request with it created. */
async function claimKey(store: JobStore, record: IdempotencyRecord, now: () => number): Promise<Claim> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await store.createIdempotency(record);
      return { kind: "claimed" };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    const existing = await store.getIdempotency(record.pk);
    if (!existing) continue; // expired or released in between: claim again
    if (existing.bodyHash !== record.bodyHash) return { kind: "conflict" };
    const job = await store.getJob(existing.jobId);
    if (job && view(job, now())) return { kind: "replay", job };
    // The first request is between its two writes, or crashed between them.
    if (now() - Date.parse(existing.createdAt) < ORPHAN_AFTER_MS) return { kind: "busy" };
    logger.warn("Releasing an orphaned idempotency record", { jobId: existing.jobId });
    await store.deleteIdempotency(record.pk);
  }
  return { kind: "busy" };
}

/**
 * The 202 of the contract. A replay (same Idempotency-Key and body) answers exactly what the first
 * request was answered, plus `Idempotent-Replayed: true`; the job's current state is GET's to tell.
 */
function accepted(event: APIGatewayProxyEvent, job: JobRecord, now: number, replayed: boolean): APIGatewayProxyResult {
  const asSubmitted: JobRecord = { ...job, status: "PENDING" };
  const headers: Record<string, string> = { Location: locationOf(event, job.jobId), "Retry-After": String(retryAfterSeconds(asSubmitted, now)) };
  if (replayed) headers["Idempotent-Replayed"] = "true";
  return json(202, { jobId: job.jobId, status: "PENDING", createdAt: job.createdAt }, headers);
}

/** The request's `Callback-Url`, checked (`undefined` without one), or its 400 message. */
function callbackUrlOf(event: APIGatewayProxyEvent): { url?: string; invalid?: string } {
  const raw = header(event, CALLBACK_URL_HEADER);
  if (raw === undefined) return {};
  return checkCallbackUrl(raw, { local: process.env[ENV.LOCAL_CLOUD] === "1" });
}

/**
 * The submit function's factory in the stack's bundle: the job's schema compiled when the stack was
 * built (ajv's standalone code: components/lambda/schemaValidator.ts), so a cold start compiles
 * nothing and the bundle carries no ajv compiler.
 */
export function createPrecompiledSubmitHandler(compiled: CompiledSchema): ApiHandler {
  return createSubmitCore({ validate: validatorOf(compiled) });
}

/** POST /jobs: validate, write the PENDING record (and the idempotency record), then start the job. */
export function createSubmitCore(options: SubmitCoreOptions): ApiHandler {
  const validate = options.validate;
  const now = options.now ?? Date.now;

  return apiHandler("submit", async (event) => {
    if (!isJsonContentType(header(event, "content-type"))) {
      return errorResponse(415, "UnsupportedMediaType", "Content-Type must be application/json.");
    }
    const raw = event.body ?? "";
    const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
    if (bytes.length > MAX_INLINE_RESPONSE_BYTES) {
      return errorResponse(413, "PayloadTooLarge", `The body must be at most ${MAX_INLINE_RESPONSE_BYTES} bytes.`);
    }
    const key = header(event, "idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return errorResponse(400, "BadRequest", "Idempotency-Key must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.");
    }
    const callback = callbackUrlOf(event);
    if (callback.invalid) return errorResponse(400, "ValidationError", callback.invalid);
    let input: unknown;
    try {
      input = JSON.parse(utf8.decode(bytes));
    } catch {
      return errorResponse(400, "BadRequest", "The body is not valid JSON.");
    }
    const invalid = validate(input);
    if (invalid !== undefined) return errorResponse(400, "ValidationError", invalid);

    const cfg = config();
    const owner = callerOf(event, cfg);
    if (owner === undefined) return errorResponse(403, "Forbidden", "The request has no caller identity.");

    const store = storeFromEnv({ now });
    const canonical = JSON.stringify(input);
    const at = now();
    const jobId = newJobId();

    const idempotencyPk = key !== undefined ? `idem#${sha256(`${owner}\n${key}`)}` : undefined;
    if (key !== undefined && idempotencyPk !== undefined) {
      const claim = await claimKey(
        store,
        {
          pk: idempotencyPk,
          kind: "idempotency",
          jobId,
          bodyHash: sha256(canonical),
          createdAt: iso(at),
          expiresAt: expiryAfter(at, cfg.resultTtlSeconds),
        },
        now,
      );
      switch (claim.kind) {
        case "replay":
          return accepted(event, claim.job, now(), true);
        case "conflict":
          return errorResponse(409, "IdempotencyConflict", "This Idempotency-Key was already used with a different body.");
        case "busy":
          return errorResponse(409, "Conflict", "A request with this Idempotency-Key is still in progress. Retry shortly.", { "Retry-After": IN_PROGRESS_RETRY_AFTER });
      }
    }

    const deadlineMs = at + (cfg.jobTimeoutSeconds + startAllowanceSeconds(cfg.backend, cfg.worker)) * 1000;
    const record: JobRecord = {
      pk: jobId,
      kind: "job",
      jobId,
      status: "PENDING",
      owner,
      createdAt: iso(at),
      updatedAt: iso(at),
      deadline: iso(deadlineMs),
      expiresAt: expiryAfter(deadlineMs, cfg.resultTtlSeconds),
      version: 1,
      input: canonical,
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      ...(callback.url !== undefined ? { callbackUrl: callback.url } : {}),
    };
    try {
      await store.createJob(record);
    } catch (err) {
      if (idempotencyPk) await store.deleteIdempotency(idempotencyPk).catch((e) => logger.error("Could not release the idempotency record", errorDetails(e)));
      throw err;
    }

    try {
      await startJob(cfg, jobId);
    } catch (err) {
      logger.error("Could not start the job", { jobId, backend: cfg.backend, ...errorDetails(err) });
      try {
        await transition(store, jobId, () => ({ status: "FAILED", error: { code: "StartFailed", message: "The job could not be started." } }), {
          now,
          resultTtlSeconds: cfg.resultTtlSeconds,
        });
      } catch (e) {
        logger.error("Could not record the start failure", { jobId, ...errorDetails(e) });
      }
      if (idempotencyPk) {
        await store.deleteIdempotency(idempotencyPk).catch((e) => logger.error("Could not release the idempotency record", { jobId, ...errorDetails(e) }));
      }
      // The workflow service failing or throttling is the contract's 503, as the store's is; a
      // refusal that retrying cannot fix (permissions, a missing state machine) is a bug: 500.
      return isServiceFailure(err) ? serviceUnavailable() : internalError();
    }

    logger.info("Job submitted", { jobId, backend: cfg.backend, idempotent: key !== undefined });
    return accepted(event, record, now(), false);
  });
}
