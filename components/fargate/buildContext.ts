import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { bundleProgram, type HandlerSpec } from "../lambda/bundle";

/** The Node.js base image of the worker container (the Lambda workers run on Node.js 22 too). */
export const BASE_IMAGE = "public.ecr.aws/docker/library/node:22-slim";

/** Build contexts live here, relative to the project (git-ignored, like the local cloud's state). */
export const CONTEXTS_DIR = path.join(".async-api", "images");


/** The Dockerfile of a worker image: the bundle on a slim Node.js image, run as the `node` user. */
export function dockerfile(): string {
  return [
    `FROM ${BASE_IMAGE}`,
    "WORKDIR /app",
    "COPY index.js .",
    "USER node",
    'CMD ["node", "index.js"]',
    "",
  ].join("\n");
}

export interface BuildContext {
  /** The context directory, relative to the project root (what `awsx.ecr.Image` gets as `context`). */
  context: string;
  /** sha256 of the bundle: the directory's name, so a changed job makes a new image. */
  digest: string;
}

/**
 * Prepares the build context of a worker image: an esbuild bundle of the container entry (with the
 * job's module, everything included) and a small Dockerfile, in a directory named by the bundle's
 * hash, under the program's folder (`pulumi up` runs there). Writing the same bundle again changes
 * nothing.
 */
export function prepareBuildContext(spec: HandlerSpec, root: string = process.cwd()): BuildContext {
  const code = bundleProgram(spec);
  const digest = crypto.createHash("sha256").update(code).update(dockerfile()).digest("hex");
  const context = path.join(CONTEXTS_DIR, digest.slice(0, 16));
  const dir = path.join(root, context);
  if (!fs.existsSync(path.join(dir, "Dockerfile"))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "index.js"), code);
    // Written last: a directory with a Dockerfile is complete.
    fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile());
  }
  return { context, digest };
}
