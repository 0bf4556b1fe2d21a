/**
 * A fault armed by the fault-injection API for the next `count` requests of one kind (a local
 * service's writes, or its reads), possibly only those of one function (admin/callerOf.ts).
 * Shared by the local S3 and the local DynamoDB.
 */
import type * as http from "http";
import { firesOn } from "../../admin/callerOf";

export class ArmedFault<E> {
  private remaining = 0;
  private function: string | undefined;

  constructor(private error: E) {}

  /** Arms it for the next `count` requests (replacing what was armed). */
  arm(count: number, error: E, fromFunction?: string): void {
    this.remaining = count;
    this.error = error;
    this.function = fromFunction;
  }

  /** The error when the fault fires on this request (counted then); a request not known fires whatever the function. */
  fire(req: http.IncomingMessage | undefined): E | undefined {
    if (this.remaining <= 0 || (req && !firesOn({ function: this.function }, req))) return undefined;
    this.remaining--;
    return this.error;
  }
}
