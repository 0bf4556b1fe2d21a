/**
 * What the local Step Functions service holds in memory (a state machine, an execution) and the
 * rules on names and ARNs that the API checks, with the errors AWS answers for them.
 */
import type { StateMachineDefinition } from "aws-local-stepfunctions";
import { SfnError } from "./errors";
import type { HistoryEvent } from "./history";
import type { TaskHandler, TaskIntegration } from "./integrations";
import type { ExecutionDescription, ExecutionStatus } from "./types";

export interface Machine {
  arn: string;
  name: string;
  /** `arn:aws:states:<region>:<account>` */
  arnPrefix: string;
  type: "STANDARD" | "EXPRESS";
  roleArn: string;
  /** The definition as declared (JSON text), as DescribeStateMachine answers it. */
  definitionText: string;
  /** The definition the engine runs (definition.ts's `engineDefinition`). */
  engine: StateMachineDefinition;
  /** What each Task state runs, and the local handler that runs it, by state name. */
  tasks: Map<string, TaskIntegration>;
  handlers: Map<string, TaskHandler>;
  creationDate: Date;
}

export interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: string;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  done: Promise<void>;
  abort(error?: string, cause?: string): void;
}

/** Groups: partition, region, account, resource type, the rest (the state machine's name first). */
export const ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(stateMachine|execution|express):(.+)$/;
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

function arnType(arn: string): string {
  const m = ARN.exec(arn);
  if (!m) throw new SfnError("InvalidArn", `Invalid Arn: '${arn}'`);
  return m[4];
}

export function expectArnType(arn: string, type: "stateMachine" | "execution"): void {
  const actual = arnType(arn);
  if (actual !== type) throw new SfnError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${actual}'`);
}

export function checkName(name: string): void {
  if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) throw new SfnError("InvalidName", `Invalid Name: '${name}'`);
}

export function describe(e: Execution): ExecutionDescription {
  const out: ExecutionDescription = {
    executionArn: e.arn,
    stateMachineArn: e.machine.arn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    input: e.input,
  };
  if (e.stopDate) out.stopDate = e.stopDate;
  if (e.output !== undefined) out.output = e.output;
  if (e.error !== undefined) out.error = e.error;
  if (e.cause !== undefined) out.cause = e.cause;
  return out;
}
