/**
 * RunTask's input checks, worded as ECS words them (InvalidParameterException). The network
 * configuration is checked for shape only: a local container has the host's network.
 */
import { invalidParameter } from "./errors";
import type { ContainerOverride, KeyValuePair, RunTaskInput, TaskOverride } from "./types";

/** ECS refuses overrides whose JSON is longer than this. */
export const MAX_OVERRIDES_CHARS = 8192;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(value: unknown, where: string, max: number): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) throw invalidParameter(`${where} must be a list of strings.`);
  if (value.length > max) throw invalidParameter(`${where} can have at most ${max} items.`);
  return value as string[];
}

export function keyValuePairs(value: unknown, where: string): KeyValuePair[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter(`${where} must be a list of {name, value}.`);
  return value.map((pair, i) => {
    if (!isObject(pair) || typeof pair.name !== "string" || pair.name === "") throw invalidParameter(`${where}[${i}].name must be a non-empty string.`);
    if (pair.value !== undefined && typeof pair.value !== "string") {
      throw invalidParameter(`${where}[${i}].value must be a string (environment variable ${pair.name} is ${JSON.stringify(pair.value)}).`);
    }
    return { name: pair.name, value: (pair.value as string | undefined) ?? "" };
  });
}

/** `networkConfiguration.awsvpcConfiguration`, which Fargate (awsvpc) requires. */
export function checkNetworkConfiguration(value: unknown): void {
  if (value === undefined || value === null || !isObject(value) || value.awsvpcConfiguration === undefined) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  const vpc = value.awsvpcConfiguration;
  if (!isObject(vpc)) throw invalidParameter("networkConfiguration.awsvpcConfiguration must be an object.");
  const subnets = stringList(vpc.subnets ?? [], "networkConfiguration.awsvpcConfiguration.subnets", 16);
  if (subnets.length === 0) throw invalidParameter("subnets can not be empty.");
  if (vpc.securityGroups !== undefined) stringList(vpc.securityGroups, "networkConfiguration.awsvpcConfiguration.securityGroups", 5);
  if (vpc.assignPublicIp !== undefined && vpc.assignPublicIp !== "ENABLED" && vpc.assignPublicIp !== "DISABLED") {
    throw invalidParameter(`assignPublicIp must be ENABLED or DISABLED, not ${JSON.stringify(vpc.assignPublicIp)}.`);
  }
}

/** The overrides, checked against the task definition's container names. */
export function checkOverrides(value: unknown, containerNames: string[]): TaskOverride & { containerOverrides: ContainerOverride[] } {
  if (value === undefined || value === null) return { containerOverrides: [] };
  if (!isObject(value)) throw invalidParameter("overrides must be an object.");
  if (JSON.stringify(value).length > MAX_OVERRIDES_CHARS) throw invalidParameter(`Container Overrides length must be at most ${MAX_OVERRIDES_CHARS}`);
  const list = value.containerOverrides ?? [];
  if (!Array.isArray(list)) throw invalidParameter("overrides.containerOverrides must be a list.");
  const containerOverrides = list.map((o, i): ContainerOverride => {
    if (!isObject(o) || typeof o.name !== "string") throw invalidParameter(`overrides.containerOverrides[${i}].name is required.`);
    if (!containerNames.includes(o.name)) throw invalidParameter(`Override for container named ${o.name} is not a container in the TaskDefinition.`);
    const out: ContainerOverride = { ...(o as unknown as ContainerOverride), name: o.name };
    if (o.environment !== undefined) out.environment = keyValuePairs(o.environment, `overrides.containerOverrides[${i}].environment`);
    if (o.command !== undefined) out.command = stringList(o.command, `overrides.containerOverrides[${i}].command`, 1000);
    return out;
  });
  const names = containerOverrides.map((o) => o.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw invalidParameter(`Container ${duplicate} has more than one override.`);
  return { ...(value as TaskOverride), containerOverrides };
}

/** launchType / capacity providers: Fargate only. */
export function checkLaunchType(input: RunTaskInput): void {
  const strategy = input.capacityProviderStrategy;
  if (input.launchType !== undefined && strategy !== undefined) {
    throw invalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
  }
  if (input.launchType !== undefined && input.launchType !== "FARGATE") {
    throw invalidParameter(`LaunchType ${String(input.launchType)}: the local ECS runs FARGATE tasks only.`);
  }
  if (strategy !== undefined) {
    const providers = Array.isArray(strategy) ? strategy.map((s) => (isObject(s) ? s.capacityProvider : undefined)) : [undefined];
    if (!providers.every((p) => p === "FARGATE" || p === "FARGATE_SPOT")) {
      throw invalidParameter("The local ECS runs FARGATE tasks only: capacityProviderStrategy may name FARGATE and FARGATE_SPOT.");
    }
  }
}

export function checkCount(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 10) throw invalidParameter("count must be between 1 and 10.");
  return value;
}

export function optionalString(value: unknown, where: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParameter(`${where} must be a string.`);
  if (value.length > max) throw invalidParameter(`${where} must be at most ${max} characters.`);
  return value;
}
