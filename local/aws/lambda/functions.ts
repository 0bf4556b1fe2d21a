/**
 * The local Lambda's functions: each one's configuration, bundle directory, worker processes and
 * log file, found by name or ARN, and the event invoke configs put for them
 * (PutFunctionEventInvokeConfig). A function's lines go to the service log and to
 * `<stateDir>/logs/<name>.log`.
 */
import * as fs from "fs";
import * as path from "path";
import type { EventInvokeConfig, LocalFunctionConfig } from "../types";
import type { MeteredInvocation } from "../../usage/lambda";
import type { DeliverTwiceOptions } from "./contract";
import { LambdaApiError } from "./errors";
import { functionArnOf, parseFunctionRef } from "./functionRef";
import { platformLine, type PlatformRecord } from "./platformLog";
import type { FunctionRuntime } from "./workers";

/** The defaults of an async invocation without an event invoke config (as on AWS). */
export const DEFAULT_EVENT_INVOKE_CONFIG: EventInvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 };

/** A function as the service keeps it. */
export interface FunctionState extends FunctionRuntime {
  log?: fs.WriteStream;
  /** Armed by `deliverTwice`. */
  duplicateNext: DeliverTwiceOptions[];
}

export class FunctionRegistry {
  private readonly functions = new Map<string, FunctionState>();
  private readonly eventConfigs = new Map<string, EventInvokeConfig>();
  private readonly logsDir: string;
  private logsClosed = false;

  constructor(
    private readonly stateDir: string,
    /** The service log (every line a function logs, prefixed `[<function>] `). */
    private readonly log?: (line: string) => void,
  ) {
    this.logsDir = path.join(stateDir, "logs");
    fs.mkdirSync(this.logsDir, { recursive: true });
    fs.mkdirSync(path.join(stateDir, "functions"), { recursive: true });
  }

  get(name: string): FunctionState | undefined {
    return this.functions.get(name);
  }

  lookup(ref: string): FunctionState | undefined {
    return this.functions.get(parseFunctionRef(ref).name);
  }

  /** The function, or Lambda's `ResourceNotFoundException` naming its ARN. */
  mustLookup(ref: string): FunctionState {
    const fn = this.lookup(ref);
    if (!fn) {
      const { name } = parseFunctionRef(ref);
      throw new LambdaApiError("ResourceNotFoundException", `Function not found: ${ref.startsWith("arn:") ? ref : functionArnOf(name)}`, 404);
    }
    return fn;
  }

  values(): IterableIterator<FunctionState> {
    return this.functions.values();
  }

  add(state: FunctionState): void {
    this.functions.set(state.config.name, state);
  }

  /** Writes the function's code where its handler module is looked up; answers its task root. */
  async writeBundle(config: LocalFunctionConfig): Promise<string> {
    const taskRoot = path.join(this.stateDir, "functions", config.name);
    await fs.promises.mkdir(taskRoot, { recursive: true });
    const handlerModule = config.handler.slice(0, Math.max(0, config.handler.lastIndexOf("."))) || "index";
    const file = path.join(taskRoot, /\.(c?js|mjs)$/.test(handlerModule) ? handlerModule : `${handlerModule}.js`);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, config.code);
    return taskRoot;
  }

  /** The event invoke config in force for a function (defaults when none was put). */
  eventConfig(name: string): EventInvokeConfig {
    return this.eventConfigs.get(name) ?? DEFAULT_EVENT_INVOKE_CONFIG;
  }

  putEventConfig(name: string, config: EventInvokeConfig): void {
    this.eventConfigs.set(name, { ...config });
  }

  /** One line of the function's output (or of Lambda's own), to the service log and the function's log file. */
  writeLine(fn: FunctionRuntime, line: string): void {
    const state = fn as FunctionState;
    this.log?.(`[${fn.config.name}] ${line}`);
    if (this.logsClosed) return;
    if (!state.log) state.log = fs.createWriteStream(path.join(this.logsDir, `${fn.config.name}.log`), { flags: "a" });
    state.log.write(line + "\n");
  }

  /** Writes a line of Lambda's own to the function's log, counted for the invocation it is about. */
  platform(fn: FunctionRuntime, entry: PlatformRecord | string, metered: MeteredInvocation | undefined, time?: Date): void {
    const line = typeof entry === "string" ? entry : platformLine(entry, time);
    this.writeLine(fn, line);
    metered?.logged(Buffer.byteLength(line));
  }

  /** Ends every log file; later lines go to the service log only. */
  async closeLogs(): Promise<void> {
    this.logsClosed = true;
    await Promise.all(
      [...this.functions.values()].map(
        (fn) =>
          new Promise<void>((resolve) => {
            if (!fn.log) return resolve();
            fn.log.end(() => resolve());
            fn.log = undefined;
          }),
      ),
    );
  }
}
