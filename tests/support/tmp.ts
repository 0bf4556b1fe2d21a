// Temporary folders for tests, removed when the test file's run ends (a root hook in
// tests/support/setup.ts), whatever the tests did: a test that forgets its own `rmSync` still
// leaves nothing behind. `npm test` checks that nothing is (tests/support/runTests.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made = new Set<string>();

/** A new empty folder `<tmpdir>/<prefix>XXXXXX`, removed at the end of the test file. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes `dir` now (and forgets it). */
export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** Removes every folder `tempDir` made that is still there. */
export function removeTempDirs(): void {
  for (const dir of made) removeTempDir(dir);
}
