/**
 * The local cloud's fault-injection admin API: local-only, off unless `npm start -- --faults`. It is
 * the local cloud's own plumbing for tests, not an AWS API (no AWS service answers these routes).
 *
 * A second small HTTP server on 127.0.0.1 (a free port; never the API's port, and never on AWS).
 * Its URL is written into the outputs as `adminUrl`, next to `localEndpoints` (the emulators'
 * endpoints, for tests that look inside the stores with the AWS SDK).
 *
 *   POST   {adminUrl}/_local/faults     arm one fault (a JSON object) or several (a JSON array)
 *   GET    {adminUrl}/_local/faults     {"armed": [...], "fired": [...]}: every fault armed, and every
 *                                       process fault or duplicate delivery that fired, since the last DELETE
 *   DELETE {adminUrl}/_local/faults     disarm everything (and forget what fired)
 *   GET    {adminUrl}/_local/endpoints  {"dynamodb", "s3", "lambda", "sfn"}
 *   POST   {adminUrl}/_local/clock      {"offsetMs": n}: the test clock runs n ms (0 to 366 days) ahead
 *                                       of the real time; answers {"offsetMs", "now", "expiredItemsDeleted"}
 *   GET    {adminUrl}/_local/clock      {"offsetMs", "now"}
 *   POST   {adminUrl}/_local/api-keys   auth apiKey: one more API key in every usage plan of the stack,
 *                                       answers {"id", "value"} (a second caller, to try who owns a job)
 *
 * The test clock shifts "now" for every Lambda function process (`Date.now()`, `new Date()` in the
 * handlers; warm processes take a new offset at once, new ones at start; timers stay real) and for
 * the local DynamoDB's TTL sweep (run at once when the clock moves, then every 5 s while it is
 * ahead). A job that expires after resultTtlMinutes therefore reads 404 as soon as the clock is
 * moved past its expiry. API Gateway, Step Functions and the event source mappings keep the real
 * time. The offset is not kept over a restart.
 *
 * Faults (`function` is a function's name, or text that names exactly one function, e.g. "worker"):
 *
 *   {"kind": "dynamodbWrites", "count": n, "code": "InternalServerError"}
 *       The next n DynamoDB writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 *       TransactWriteItems), from anyone, fail with this error (also
 *       "ProvisionedThroughputExceededException", "ThrottlingException"). The SDK retries them.
 *   {"kind": "s3Writes", "count": n, "status": 503}
 *       The next n S3 object writes fail with 503 SlowDown (or 500 InternalError).
 *   {"kind": "dynamodbReads", "count": n, "code": "InternalServerError"}
 *       The next n DynamoDB item reads (GetItem, BatchGetItem, Query, Scan, TransactGetItems; not
 *       the Streams API, not the local TTL sweep) fail with this error, as dynamodbWrites.
 *   {"kind": "s3Reads", "count": n, "status": 503}
 *       The next n S3 object reads (GetObject, HeadObject) fail with 503 SlowDown (or 500 InternalError).
 *   Each of the four takes an optional "function": then only that function's calls fail (the local
 *   Lambda sets AWS_SDK_UA_APP_ID to the function's name, and the SDK sends it in its User-Agent).
 *   {"kind": "duplicateDelivery", "function": "worker", "sameRequestId": true, "delayMs": 0}
 *       The next Event invoke of the function is delivered twice; by default with the same
 *       request id (as Lambda's own at-least-once duplicates are), `sameRequestId: false` for a new one.
 *   {"kind": "workerCrash", "function": "worker", "count": 1, "afterMs": 200, "jobId": "<id>"}
 *       When the next `count` invocations of the function start, `afterMs` later, the worker
 *       process running each is killed (SIGKILL): the invocation ends as Lambda's `Runtime.ExitError`.
 *       Only that process: the function's other processes (other invocations) are left alone.
 *   {"kind": "workerHang", "function": "worker", "count": 1, "afterMs": 200, "jobId": "<id>"}
 *       Same moment, but the process is frozen (SIGSTOP): the invocation runs into the
 *       function's timeout and is killed by the Lambda service, as a hung handler is on AWS.
 *       A frozen process is thawed (SIGCONT) when its invocation ends.
 *
 * `jobId` (optional) targets one job: the fault counts only invocations whose event mentions that
 * text (an Event payload `{"jobId"}`, a stream batch's `NewImage.jobId`, a Step Functions task's
 * payload), including one already running when the fault is armed (`afterMs` then counts from
 * arming): the 202 that names a job may come back after its worker started. Without `jobId`, the
 * next invocations of the function count, whichever job they run. An invocation that ended before
 * `afterMs` passed is spared; that use of the fault is listed under `missed`, not `fired`.
 *
 * Files: parseFault.ts reads a fault's JSON, faultBoard.ts arms and disarms faults and records what
 * fired, processFaults.ts kills or freezes invocations' processes, testClock.ts moves the test
 * clock, routes.ts answers the HTTP routes.
 */
import * as http from "http";
import { close, listen } from "../aws/protocols/listen";
import { FaultBoard } from "./faultBoard";
import { adminRequestListener } from "./routes";
import { TestClock } from "./testClock";
import type { AdminOptions, AdminServer } from "./types";

export type { AdminOptions, AdminServer, Fault, FiredFault } from "./types";

/** Starts the admin API on a free port of 127.0.0.1. */
export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const log = options.log ?? (() => undefined);
  const note = (line: string) => log(`[admin] ${line}`);
  const board = new FaultBoard(options, note);
  const clock = new TestClock(options.lambda, options.dynamodb, note);
  const server = http.createServer(adminRequestListener({ board, clock, options, note }));
  const { endpoint: url } = await listen(server);
  note(`fault-injection admin API on ${url}/_local/faults`);

  return {
    url,
    observeLambdaLog: (line) => board.observeLambdaLog(line),
    async stop() {
      board.stop();
      clock.stopSweeping();
      await close(server);
      await clock.idle();
    },
  };
}
