import { logger } from "../../../lambdas/shared/logger";

export interface ErrorLine {
  message: string;
  details: Record<string, unknown>;
}

/** Records what the handlers log with `logger.error` while `run` runs (the logger itself stays silent). */
export async function errorLogOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: ErrorLine[] }> {
  const lines: ErrorLine[] = [];
  const original = logger.error;
  logger.error = ((message: unknown, ...rest: unknown[]) => {
    const details = Object.assign({}, ...rest.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null));
    lines.push({ message: String(message), details });
  }) as typeof logger.error;
  try {
    return { result: await run(), lines };
  } finally {
    logger.error = original;
  }
}
