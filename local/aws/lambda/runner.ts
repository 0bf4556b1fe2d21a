/**
 * The source of the worker process that runs one function's handler, written as plain JavaScript
 * (no TypeScript, no dependencies) so a cold start costs only Node's own start-up plus the bundle's
 * load. The service writes it to `<stateDir>/runtime/runner.js` and forks it with the function's
 * environment (`LAMBDA_TASK_ROOT`, `_HANDLER`, ...).
 *
 * Protocol over the IPC channel:
 * - worker → service, once: `{type: "ready", initDurationMs}` or `{type: "ready", initDurationMs, error}`
 *   (the handler could not be loaded: `error` is Lambda's `{errorType, errorMessage, trace}`).
 * - service → worker: `{type: "invoke", requestId, payload (JSON text), deadlineMs, invokedFunctionArn, clientContext?, clockOffsetMs?}`.
 * - worker → service: `{type: "result", requestId, ok, payload (JSON text), maxRssMB}`.
 * - service → worker, any time: `{type: "clock", offsetMs}` (the test clock moved, local/aws/lambda/clock.ts).
 * One invocation at a time; the service enforces the timeout by killing the process.
 *
 * The test clock: before the handler is loaded, the global `Date` is replaced by one whose "now"
 * (`Date.now()`, `new Date()`, `Date()`) is the real time plus an offset, which starts from
 * `_LOCAL_CLOCK_OFFSET_MS` (removed from the environment the handler sees) and follows the
 * service's `clock` messages and each invoke's `clockOffsetMs`. Timers are not touched; the
 * runner's own bookkeeping (deadlines, init duration, log timestamps) keeps the real time.
 */
export const RUNNER_SOURCE = String.raw`"use strict";
const path = require("path");
const util = require("util");

const env = process.env;
const taskRoot = env.LAMBDA_TASK_ROOT || process.cwd();
const handlerSpec = env._HANDLER || "index.handler";
const functionName = env.AWS_LAMBDA_FUNCTION_NAME || "function";
const memoryLimitInMB = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || "128";
const functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION || "$LATEST";
const logGroupName = env.AWS_LAMBDA_LOG_GROUP_NAME || "/aws/lambda/" + functionName;
const logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME || "local";
const jsonLogs = env.AWS_LAMBDA_LOG_FORMAT === "JSON";

let currentRequestId;
let currentDone;
let maxRss = process.memoryUsage.rss();

// --- the local cloud's test clock: a shifted Date, installed before the handler loads ---------
const RealDate = Date;
const realNow = RealDate.now;
let clockOffsetMs = Number(env._LOCAL_CLOCK_OFFSET_MS) || 0;
delete env._LOCAL_CLOCK_OFFSET_MS;
function setClockOffset(value) {
  if (typeof value === "number" && isFinite(value)) clockOffsetMs = value;
}
function LocalDate() {
  const args = Array.prototype.slice.call(arguments);
  if (!new.target) return new RealDate(realNow() + clockOffsetMs).toString();
  return Reflect.construct(RealDate, args.length === 0 ? [realNow() + clockOffsetMs] : args, new.target);
}
Object.setPrototypeOf(LocalDate, RealDate);
LocalDate.prototype = RealDate.prototype;
LocalDate.now = function now() { return realNow() + clockOffsetMs; };
Object.defineProperty(LocalDate, "name", { value: "Date" });
Object.defineProperty(LocalDate, "length", { value: 7 });
globalThis.Date = LocalDate;

// --- console: Lambda's JSON (or text) log format, one line per call ---------------------------
function writeLog(level, stream, args) {
  const message = util.format.apply(util, args);
  let line;
  if (jsonLogs) {
    const record = { timestamp: new RealDate().toISOString(), level: level };
    if (currentRequestId) record.requestId = currentRequestId;
    record.message = message;
    line = JSON.stringify(record);
  } else {
    line = new RealDate().toISOString() + "\t" + (currentRequestId || "undefined") + "\t" + level + "\t" + message.replace(/\n/g, "\r");
  }
  stream.write(line + "\n");
}
const levels = { log: "INFO", info: "INFO", debug: "DEBUG", trace: "TRACE", warn: "WARN", error: "ERROR", fatal: "FATAL" };
for (const name of Object.keys(levels)) {
  const level = levels[name];
  const stream = level === "WARN" || level === "ERROR" || level === "FATAL" ? process.stderr : process.stdout;
  console[name] = function () { writeLog(level, stream, Array.prototype.slice.call(arguments)); };
}

// --- errors as Lambda reports them -------------------------------------------------------------
function isError(e) {
  return util.types.isNativeError(e) || (e && typeof e === "object" && typeof e.name === "string" && typeof e.message === "string");
}
function toErrorPayload(e) {
  try {
    if (isError(e)) {
      return { errorType: e.name, errorMessage: e.message, trace: typeof e.stack === "string" ? e.stack.split("\n") : [] };
    }
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch (_) {
    return { errorType: "handled", errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack" };
  }
}
function namedError(name, message, cause) {
  const e = new Error(message);
  e.name = name;
  if (cause && cause.stack) e.stack = name + ": " + message + "\n" + String(cause.stack).split("\n").slice(1).join("\n");
  return e;
}

function send(message) {
  if (!process.connected) return;
  try { process.send(message); } catch (_) { /* the service is gone */ }
}

// --- init: load the handler --------------------------------------------------------------------
let handler;
let initError;
const initStart = realNow();
(function init() {
  const dot = handlerSpec.lastIndexOf(".");
  if (dot <= 0) {
    initError = toErrorPayload(namedError("Runtime.MalformedHandlerName", "Bad handler"));
    return;
  }
  const moduleName = handlerSpec.slice(0, dot);
  const exportPath = handlerSpec.slice(dot + 1);
  let mod;
  const file = path.resolve(taskRoot, moduleName);
  try {
    mod = require(file);
  } catch (e) {
    if (e && e.code === "MODULE_NOT_FOUND" && String(e.message).indexOf(file) !== -1) {
      initError = toErrorPayload(namedError("Runtime.ImportModuleError", "Error: Cannot find module '" + moduleName + "'", e));
    } else if (e && e.code === "MODULE_NOT_FOUND") {
      initError = toErrorPayload(namedError("Runtime.ImportModuleError", "Error: " + e.message.split("\n")[0], e));
    } else if (e instanceof SyntaxError) {
      initError = toErrorPayload(namedError("Runtime.UserCodeSyntaxError", e.name + ": " + e.message, e));
    } else {
      initError = toErrorPayload(e);
    }
    return;
  }
  let fn = mod;
  for (const part of exportPath.split(".")) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== "function") {
    initError = toErrorPayload(namedError("Runtime.HandlerNotFound", handlerSpec + " is undefined or not exported"));
    return;
  }
  handler = fn;
})();
maxRss = Math.max(maxRss, process.memoryUsage.rss());
send({ type: "ready", initDurationMs: realNow() - initStart, error: initError });

// --- invoke ------------------------------------------------------------------------------------
function finish(requestId, ok, value) {
  if (currentRequestId !== requestId || !currentDone) return;
  currentDone = undefined;
  let payload;
  if (ok) {
    try {
      payload = JSON.stringify(value === undefined ? null : value);
      if (payload === undefined) payload = "null";
    } catch (e) {
      ok = false;
      value = namedError("Runtime.MarshalError", "Unable to stringify response body");
    }
  }
  if (!ok) payload = JSON.stringify(toErrorPayload(value));
  maxRss = Math.max(maxRss, process.memoryUsage.rss());
  send({ type: "result", requestId: requestId, ok: ok, payload: payload, maxRssMB: Math.ceil(maxRss / 1048576) });
  currentRequestId = undefined;
}

function invoke(msg) {
  const requestId = msg.requestId;
  currentRequestId = requestId;
  currentDone = true;
  let event;
  try {
    event = JSON.parse(msg.payload === "" ? "{}" : msg.payload);
  } catch (e) {
    finish(requestId, false, namedError("Runtime.InvalidPayload", "Could not parse request body into json"));
    return;
  }
  const deadline = msg.deadlineMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: functionName,
    functionVersion: functionVersion,
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: memoryLimitInMB,
    awsRequestId: requestId,
    logGroupName: logGroupName,
    logStreamName: logStreamName,
    clientContext: msg.clientContext,
    identity: undefined,
    getRemainingTimeInMillis: function () { return Math.max(0, deadline - realNow()); },
    done: function (err, value) { if (err) finish(requestId, false, err); else finish(requestId, true, value); },
    succeed: function (value) { finish(requestId, true, value); },
    fail: function (err) { finish(requestId, false, err); },
  };
  const callback = function (err, value) {
    if (err !== undefined && err !== null) finish(requestId, false, err);
    else finish(requestId, true, value);
  };
  let returned;
  try {
    returned = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
  } catch (e) {
    finish(requestId, false, e);
    return;
  }
  if (returned && typeof returned.then === "function") {
    returned.then(function (value) { finish(requestId, true, value); }, function (err) { finish(requestId, false, err); });
  } else if (handler.length < 3) {
    finish(requestId, true, returned);
  }
}

process.on("message", function (msg) {
  if (msg && msg.type === "clock") return setClockOffset(msg.offsetMs);
  if (!msg || msg.type !== "invoke") return;
  setClockOffset(msg.clockOffsetMs);
  if (initError) {
    currentRequestId = msg.requestId;
    currentDone = true;
    send({ type: "result", requestId: msg.requestId, ok: false, payload: JSON.stringify(initError), maxRssMB: Math.ceil(maxRss / 1048576), fatal: true });
    return;
  }
  invoke(msg);
});

// An error nobody caught ends the invocation (when there is one) and the process, as on Lambda.
function fatal(errorType, err) {
  const payload = errorType ? toErrorPayload(namedError(errorType, isError(err) ? err.name + ": " + err.message : String(err), isError(err) ? err : undefined)) : toErrorPayload(err);
  writeLog("ERROR", process.stderr, [(errorType || "Uncaught Exception") + " \t" + JSON.stringify(payload)]);
  if (currentRequestId && currentDone) {
    currentDone = undefined;
    send({ type: "result", requestId: currentRequestId, ok: false, payload: JSON.stringify(payload), maxRssMB: Math.ceil(maxRss / 1048576), fatal: true });
  }
  setTimeout(function () { process.exit(129); }, 20);
}
process.on("uncaughtException", function (err) { fatal(undefined, err); });
process.on("unhandledRejection", function (reason) { fatal("Runtime.UnhandledPromiseRejection", reason); });
// The service went away: nothing left to serve.
process.on("disconnect", function () { process.exit(0); });
`;
