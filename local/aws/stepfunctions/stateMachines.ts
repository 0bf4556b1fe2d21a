/**
 * Creating a state machine (in process: the resource monitor declares what the program declares):
 * the config is checked (ARN, type, a definition the engine takes and whose every Task has a local
 * integration), and each Task state gets the local handler that runs it.
 */
import { StateMachine } from "aws-local-stepfunctions";
import type { StateMachineDefinition } from "aws-local-stepfunctions";
import type { EcsTaskRunner } from "../ecs/types";
import type { LambdaService, LocalStateMachineConfig } from "../types";
import { engineDefinition, InvalidDefinitionError, taskIntegrations } from "./definition";
import { ecsRunTaskHandler } from "./ecs";
import { dynamoDbHandler, lambdaFunctionHandler, lambdaInvokeHandler } from "./integrations";
import type { DynamoDbClients, TaskHandler, TaskIntegration } from "./integrations";
import { ARN } from "./model";
import type { Machine } from "./model";
import type { TaskTokens } from "./taskTokens";

/** What the Task handlers run on. */
export interface HandlerDependencies {
  lambda: Pick<LambdaService, "invoke">;
  dynamo: DynamoDbClients;
  ecs: () => EcsTaskRunner | undefined;
  tokens: TaskTokens;
  log: (line: string) => void;
}

function handlerFor(integration: TaskIntegration, deps: HandlerDependencies): TaskHandler {
  switch (integration.kind) {
    case "lambda:invoke":
      return lambdaInvokeHandler(deps.lambda);
    case "lambda:function":
      return lambdaFunctionHandler(deps.lambda, integration.resource);
    case "dynamodb":
      return dynamoDbHandler(deps.dynamo, integration.action);
    case "ecs:runTask":
      return ecsRunTaskHandler(integration, { ecs: deps.ecs, tokens: deps.tokens, log: deps.log });
  }
}

function parseDefinition(where: string, text: string): Record<string, unknown> {
  let definition: Record<string, unknown>;
  try {
    definition = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: the definition is not JSON: ${(err as Error).message}`);
  }
  if (typeof definition !== "object" || definition === null || Array.isArray(definition)) throw new Error(`${where}: the definition is not a JSON object`);
  return definition;
}

/** The definition's Task integrations, once the engine has accepted the definition too. */
function checkedTasks(where: string, definition: Record<string, unknown>, type: "STANDARD" | "EXPRESS"): Map<string, TaskIntegration> {
  let tasks: Map<string, TaskIntegration>;
  try {
    tasks = taskIntegrations(definition);
  } catch (err) {
    if (err instanceof InvalidDefinitionError || (err as Error).name === "UnsupportedResourceError") throw new Error(`${where}: ${(err as Error).message}`);
    throw err;
  }
  try {
    // asl-validator (inside the engine's constructor) annotates what it is given: hand it a copy.
    new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  if (type === "EXPRESS") {
    for (const [state, integration] of tasks) {
      if (integration.kind === "ecs:runTask" && integration.pattern !== "request") {
        throw new Error(`${where}: Task state "${state}" uses ${integration.resource}: EXPRESS state machines do not support .sync or .waitForTaskToken`);
      }
    }
  }
  return tasks;
}

/** The state machine `config` declares (keeping `previous`'s creation date); throws a plain Error naming what is wrong. */
export function buildMachine(config: LocalStateMachineConfig, deps: HandlerDependencies, previous: Machine | undefined): Machine {
  const where = `state machine ${config.name}`;
  const m = ARN.exec(config.arn);
  if (!m || m[4] !== "stateMachine") throw new Error(`${where}: ${config.arn} is not a state machine ARN`);
  if (config.type !== "STANDARD" && config.type !== "EXPRESS") throw new Error(`${where}: type must be STANDARD or EXPRESS, not ${String(config.type)}`);
  const definition = parseDefinition(where, config.definition);
  const tasks = checkedTasks(where, definition, config.type);
  const handlers = new Map<string, TaskHandler>();
  for (const [state, integration] of tasks) handlers.set(state, handlerFor(integration, deps));
  return {
    arn: config.arn,
    name: m[5],
    arnPrefix: `arn:${m[1]}:states:${m[2]}:${m[3]}`,
    type: config.type,
    roleArn: config.roleArn,
    definitionText: config.definition,
    engine: engineDefinition(definition, config.type),
    tasks,
    handlers,
    creationDate: previous?.creationDate ?? new Date(),
  };
}
