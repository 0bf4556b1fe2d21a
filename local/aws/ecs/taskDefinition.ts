/**
 * A task definition revision from what the program declares (RegisterTaskDefinition's shape as the
 * resource monitor gives it): its containers checked as ECS and Fargate check them. A declaration
 * the local ECS cannot run is a plain Error naming the definition and the container.
 */
import { fargateTaskSizeError } from "../../../components/fargate/taskSize";
import { clientException } from "./errors";
import { ARN_PREFIX } from "./registry";
import type { ContainerDefinitionInput, EcsTaskDefinition, TaskDefinitionInput } from "./types";
import { keyValuePairs } from "./validate";

/** Names of clusters, families and containers: up to 255 letters, digits, hyphens and underscores. */
export const NAME = /^[A-Za-z0-9_-]{1,255}$/;

type ContainerDefinition = EcsTaskDefinition["containerDefinitions"][number];

function containerDefinition(c: ContainerDefinitionInput, where: string, defaultStopTimeout: number): ContainerDefinition {
  if (!c || typeof c.name !== "string" || !NAME.test(c.name)) throw new Error(`${where}: a container needs a name (letters, digits, hyphens, underscores)`);
  if (typeof c.image !== "string" || c.image === "") throw new Error(`${where}: container ${c.name} needs an image`);
  const stopTimeout = c.stopTimeoutSeconds ?? defaultStopTimeout;
  if (typeof stopTimeout !== "number" || !(stopTimeout >= 0) || stopTimeout > 120) throw new Error(`${where}: container ${c.name}: stopTimeoutSeconds must be 0..120`);
  if (c.command !== undefined && (!Array.isArray(c.command) || !c.command.every((a) => typeof a === "string"))) {
    throw new Error(`${where}: container ${c.name}: command must be a list of strings`);
  }
  let environment;
  try {
    environment = keyValuePairs(c.environment, "environment");
  } catch (err) {
    throw new Error(`${where}: container ${c.name}: ${(err as Error).message}`);
  }
  return { name: c.name, image: c.image, essential: c.essential ?? true, environment, stopTimeout, ...(c.command ? { command: [...c.command] } : {}) };
}

/** The containers of a declaration, checked: 1 to 10, unique names, at least one essential. */
function containerDefinitions(input: TaskDefinitionInput, where: string, defaultStopTimeout: number): ContainerDefinition[] {
  if (!Array.isArray(input.containers) || input.containers.length === 0 || input.containers.length > 10) throw new Error(`${where}: 1 to 10 containers`);
  const definitions = input.containers.map((c) => containerDefinition(c, where, defaultStopTimeout));
  const names = definitions.map((c) => c.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`${where}: two containers are named ${duplicate}`);
  if (!definitions.some((c) => c.essential)) throw new Error(`${where}: at least one container must be essential`);
  return definitions;
}

/** Revision `revision` of the declared family. */
export function taskDefinitionOf(input: TaskDefinitionInput, revision: number, defaultStopTimeout: number): EcsTaskDefinition {
  const where = `ECS task definition ${input?.family}`;
  if (typeof input?.family !== "string" || !NAME.test(input.family)) throw new Error(`${where}: the family must be up to 255 letters, digits, hyphens and underscores`);
  const definitions = containerDefinitions(input, where, defaultStopTimeout);
  // Fargate runs only its task sizes (AWS, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors").
  if (input.cpu !== undefined || input.memory !== undefined) {
    const sizeError = fargateTaskSizeError(Number(input.cpu), Number(input.memory));
    if (sizeError) throw clientException(`No Fargate configuration exists for given values: ${sizeError}`);
  }
  return {
    taskDefinitionArn: `${ARN_PREFIX}:task-definition/${input.family}:${revision}`,
    family: input.family,
    revision,
    status: "ACTIVE",
    ...(input.cpu !== undefined ? { cpu: String(input.cpu) } : {}),
    ...(input.memory !== undefined ? { memory: String(input.memory) } : {}),
    ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
    ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    compatibilities: ["EC2", "FARGATE"],
    containerDefinitions: definitions,
    registeredAt: new Date(),
  };
}
