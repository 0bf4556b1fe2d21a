/** What a job gets besides its input. */
export interface JobContext {
  jobId: string;
  /** Aborted when the job is out of time; a job that can stop early should listen to it. */
  signal: AbortSignal;
  /**
   * Reports how far the job is: `percent` 0..100, `message` up to 256 characters. GET shows the
   * latest report. Cheap to call often: at most one write a second reaches the store, and a
   * report that cannot be written is logged, never the job's failure.
   */
  progress(report: ProgressReport): void;
}

/** What `context.progress` takes. */
export interface ProgressReport {
  percent?: number;
  message?: string;
}

/**
 * A job: its input's JSON Schema (draft-04, as API Gateway models are) and the code that runs it.
 * The same module runs in the Lambda worker and, later, in the container worker.
 */
export interface JobDefinition<I = unknown, O = unknown> {
  /** Short name, used in resource names and logs. */
  name: string;
  /** Draft-04 JSON Schema of the input; POST bodies are checked against it before anything runs. */
  schema: Record<string, unknown>;
  /** Runs the job. Throw to fail it: the error's `name` becomes the job's `error.code`. */
  run(input: I, context: JobContext): Promise<O>;
}
