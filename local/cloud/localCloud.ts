/**
 * Our plumbing, not a copy of AWS: starts every emulator of local/aws/, wires their endpoints into
 * each other (and into the functions' `AWS_ENDPOINT_URL_<SERVICE>`), evaluates the program through
 * the monitor (local/monitor/), and serves until stopped. `npm start` (local/cli.ts) runs it.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { startAdminServer } from "../admin/admin";
import { startApiGatewayService } from "../aws/apigateway/server";
import { startDynamoDbService } from "../aws/dynamodb";
import { startEcsService } from "../aws/ecs";
import { startEventBridgeService, type LocalEventBridgeService } from "../aws/eventbridge";
import { startLambdaService } from "../aws/lambda";
import { LocalMonitor, type LocalServices } from "../monitor/monitor";
import { startS3Service } from "../aws/s3";
import { startSecretsManagerService } from "../aws/secretsmanager";
import { startSqsService } from "../aws/sqs";
import { loadStackConfig, readProject, type FlatConfig } from "./stackConfig";
import { startStepFunctionsService } from "../aws/stepfunctions";
import { startStsService } from "../aws/sts";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type Endpoints } from "../aws/types";
import { lockStateDir } from "./stateLock";
import { UsageMeter } from "../usage/meter";
import { usageDocument } from "../usage/report";

export interface LocalCloudOptions {
  /** Directory with Pulumi.yaml and the program it names (`main`, else index.ts). */
  projectDir: string;
  stack: string;
  /** `KEY=VALUE` stack config overrides. */
  config?: string[];
  /** Port of the API (0 = a free one). */
  port?: number;
  /** Where state lives. @default `<projectDir>/.async-api/<stack>` */
  stateDir?: string;
  log?: (line: string) => void;
  /** Serve the fault-injection admin API (local/admin/admin.ts); its URL is the output `adminUrl`. @default false */
  faults?: boolean;
  /** Lambda's timeout limit on this local cloud (lower it to try jobs longer than Lambda's limit quickly). @default 900 */
  lambdaMaxTimeoutSeconds?: number;
}

export interface StartedCloud {
  outputs: Record<string, unknown>;
  config: FlatConfig;
  monitor: LocalMonitor;
  services: LocalServices;
  /** What each service served that AWS would bill (local/usage/): also `GET /__local/usage` on the API's port. */
  meter: UsageMeter;
  stateDir: string;
  stop(): Promise<void>;
}

/** Waits until the monitor has had no new resource for a while (the program has finished declaring). */
async function settle(monitor: LocalMonitor, quietMs = 150, limitMs = 120_000): Promise<void> {
  const started = Date.now();
  let count = -1;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() - started > limitMs) throw new Error("the program did not finish declaring its resources in time");
    await new Promise((r) => setTimeout(r, 25));
    if (monitor.resources.length !== count) {
      count = monitor.resources.length;
      since = Date.now();
    }
  }
}

function resolveOutput(value: pulumi.Output<unknown>, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("an output did not resolve (a resource failed to materialise?)")), timeoutMs);
    value.apply((v) => {
      clearTimeout(timer);
      resolve(v);
      return v;
    });
  });
}

/**
 * Starts the emulators, then evaluates the program itself (`index.ts`) through a resource monitor
 * that materialises each declared resource on them. What runs is what `pulumi up` would deploy.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<StartedCloud> {
  const log = options.log ?? (() => undefined);
  const project = readProject(options.projectDir);
  const config = loadStackConfig(options.projectDir, options.stack, options.config ?? []);
  const stateDir = options.stateDir ?? path.join(options.projectDir, ".async-api", options.stack);
  fs.mkdirSync(stateDir, { recursive: true });
  // Before any emulator opens its files there: one cloud per state folder.
  const lock = lockStateDir(stateDir, options.stack, log);

  const endpoints = {} as Endpoints;
  const meter = new UsageMeter();
  const started: { stop(): Promise<void> }[] = [{ stop: async () => lock.release() }];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    const dynamodb = await startDynamoDbService({ dir: path.join(stateDir, "dynamodb"), log, meter });
    started.push(dynamodb);
    const s3 = await startS3Service({ dir: path.join(stateDir, "s3"), log, meter });
    started.push(s3);
    const sts = await startStsService({ log });
    started.push(sts);
    const secretsmanager = await startSecretsManagerService({ dir: path.join(stateDir, "secretsmanager"), log, meter });
    started.push(secretsmanager);
    // With --faults, the admin API watches the Lambda service's log for invocation starts.
    const lambdaTaps: ((line: string) => void)[] = [];
    const lambdaLog = options.faults ? (line: string) => (lambdaTaps.forEach((tap) => tap(line)), log(line)) : log;
    const sqs = await startSqsService({ dir: path.join(stateDir, "sqs"), log, meter });
    started.push(sqs);
    // Lambda destinations reach EventBridge, which reaches Lambda: bound once both run.
    let eventbridge: LocalEventBridgeService | undefined;
    const lambda = await startLambdaService({
      meter,
      stateDir: path.join(stateDir, "lambda"),
      maxTimeoutSeconds: options.lambdaMaxTimeoutSeconds,
      environment: () => sdkEnvironment(endpoints),
      log: lambdaLog,
      destinations: { events: () => eventbridge, sqs: () => sqs },
      // Event source mappings: the tables' streams and the queues.
      streams: () => dynamodb.streams,
      queues: () => sqs,
    });
    started.push(lambda);
    eventbridge = await startEventBridgeService({ dir: path.join(stateDir, "eventbridge"), lambda, sqs, log, meter });
    started.push(eventbridge);
    // worker fargate: tasks run as local processes with the functions' SDK environment.
    const ecs = await startEcsService({ stateDir: path.join(stateDir, "ecs"), environment: () => sdkEnvironment(endpoints), log, meter });
    started.push(ecs);
    const stepfunctions = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => endpoints.dynamodb, log, events: () => eventbridge, ecs: () => ecs, meter });
    started.push(stepfunctions);
    const apigateway = await startApiGatewayService({
      port: options.port ?? 8080,
      lambda,
      accountId: LOCAL_ACCOUNT_ID,
      region: LOCAL_REGION,
      log,
      // Direct service integrations (backend stream's POST /jobs writes DynamoDB).
      awsEndpoints: () => ({ dynamodb: endpoints.dynamodb }),
      meter,
      usage: () => usageDocument(meter),
    });
    started.push(apigateway);
    Object.assign(endpoints, {
      dynamodb: dynamodb.endpoint,
      s3: s3.endpoint,
      lambda: lambda.endpoint,
      sfn: stepfunctions.endpoint,
      eventbridge: eventbridge.endpoint,
      sqs: sqs.endpoint,
      ecs: ecs.endpoint,
      sts: sts.endpoint,
      secretsmanager: secretsmanager.endpoint,
    });

    const services: LocalServices = { dynamodb, s3, lambda, stepfunctions, apigateway, eventbridge, sqs, ecs, sts, secretsmanager };
    const monitor = new LocalMonitor(services, options.stack, options.projectDir);
    await pulumi.runtime.setMocks(monitor, project.name, options.stack, false);
    pulumi.runtime.setAllConfig(config);

    const program = require(project.main) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(program)) {
      const resolved = pulumi.Output.isInstance(value) ? await resolveOutput(value, 120_000).catch((e) => {
        throw monitor.errors[0] ?? e;
      }) : value;
      if (resolved !== undefined) outputs[name] = resolved;
    }
    await settle(monitor);
    if (monitor.errors.length) throw monitor.errors[0];
    if (options.faults) {
      const functionNames = () => monitor.resources.filter((r) => r.type === "aws:lambda/function:Function").map((r) => r.id);
      const addApiKey = () => {
        const plans = monitor.resources.filter((r) => r.type === "aws:apigateway/usagePlan:UsagePlan").map((r) => r.id);
        if (plans.length === 0) return undefined;
        const key = { id: randomBytes(5).toString("hex"), value: randomBytes(20).toString("base64url") };
        apigateway.createApiKey({ ...key, enabled: true });
        for (const plan of plans) apigateway.addUsagePlanKey(plan, key.id);
        return key;
      };
      const admin = await startAdminServer({ dynamodb, s3, lambda, endpoints: { ...endpoints }, functionNames, addApiKey, log });
      started.push(admin);
      lambdaTaps.push(admin.observeLambdaLog);
      outputs.adminUrl = admin.url;
      outputs.localEndpoints = { ...endpoints };
    }
    return { outputs, config, monitor, services, meter, stateDir, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
