/**
 * What every materialiser gets from the LocalMonitor: the emulators, the stack's stable naming
 * (physical names and short ids that stay the same across restarts), and where the project is.
 * A materialiser turns one declared resource into its local twin and answers the state AWS would.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../aws/types";
import type { LocalServices } from "../services";

/** One resource type's materialiser: its name and inputs in, its id and state out. */
export type Materialiser = (name: string, inputs: Record<string, any>) => Promise<{ id: string; state: Record<string, any> }>;

export interface MaterialiserContext {
  readonly services: LocalServices;
  readonly stack: string;
  /** Where relative paths in the program's inputs (an image's build `context`) start. */
  readonly projectDir: string;
  /** A stable physical name, like Pulumi's auto-naming (`<name>-<7 chars>`) but the same across restarts. */
  physicalName(name: string, inputs: Record<string, any>, max?: number): string;
  /** A stable 10-character hex id for a resource. */
  shortId(name: string): string;
  /** Accepted as declared, with nothing to emulate: a stable id, no state. */
  readonly accepted: Materialiser;
}

/** Materialisers by resource type (`aws:s3/bucket:Bucket`, ...). */
export type Materialisers = Record<string, Materialiser>;

export const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;
