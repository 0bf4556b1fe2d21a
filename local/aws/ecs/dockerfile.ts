/**
 * How a container "image" runs without Docker: the image is its build context, a directory with a
 * `Dockerfile` and the files it copies. Of the Dockerfile's last stage, the local ECS reads
 *
 * - `CMD` (and `ENTRYPOINT`) in the exec (JSON) form only, starting with `node`: the container is
 *   that Node script, run by the local `node` (whatever version the `FROM` image names);
 * - `WORKDIR` and `COPY`/`ADD` from the context: to find the script a container path such as
 *   `/app/index.js` names (`COPY index.js .` after `WORKDIR /app` maps it to `<context>/index.js`);
 * - `ENV`: the image's environment (no `$VAR` substitution).
 *
 * `RUN` steps do not run and `COPY --from` files do not exist: a script only they would produce is
 * reported as missing. Anything this cannot run is a `DockerfileError` whose message says why.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export class DockerfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DockerfileError";
  }
}

/** A container path that comes from the build context. */
interface Mapping {
  container: string;
  context: string;
  /** A directory: paths below `container` are found below `context`. */
  dir: boolean;
}

export interface DockerStage {
  from: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  mappings: Mapping[];
}

/** What one container runs. */
export interface ContainerCommand {
  /** The executable: the local `node`. */
  executable: string;
  /** Node's own flags, the script's absolute local path, then the script's arguments. */
  args: string[];
  /** The script's local path. */
  script: string;
  /** The image's `ENV`. */
  env: Record<string, string>;
  /** The build context: where the process runs. */
  cwd: string;
  /** The stage's `FROM`. */
  from: string;
}

/** Node flags that take the next argument as their value. */
const NODE_FLAGS_WITH_VALUE = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "-C", "--conditions", "--title"]);
const NODE_EVAL_FLAGS = new Set(["-e", "--eval", "-p", "--print", "-i", "--interactive", "-"]);

/** Logical lines: continuations joined, comments and blank lines dropped. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (current === "" && trimmed === "") continue;
    if (trimmed.startsWith("#")) continue; // comments (and parser directives), also inside continuations
    if (/\\\s*$/.test(raw)) {
      current += raw.replace(/\\\s*$/, "") + " ";
      continue;
    }
    current += raw;
    if (current.trim() !== "") out.push(current.trim());
    current = "";
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

/** The exec form (`["a", "b"]`), or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed = JSON.parse(args) as unknown;
    if (Array.isArray(parsed) && parsed.every((a) => typeof a === "string")) return parsed as string[];
  } catch {
    // Docker runs an unparsable [...] as the shell form
  }
  return undefined;
}

function parseEnv(args: string, env: Record<string, string>): void {
  const unquote = (v: string) => (/^"(.*)"$/s.test(v) ? v.slice(1, -1).replace(/\\(.)/g, "$1") : /^'(.*)'$/s.test(v) ? v.slice(1, -1) : v);
  const first = /^([A-Za-z_][\w.-]*)(=?)/.exec(args);
  if (!first) return;
  if (first[2] !== "=") {
    // `ENV KEY value with spaces`
    env[first[1]] = unquote(args.slice(first[1].length).trim());
    return;
  }
  for (const m of args.matchAll(/([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) env[m[1]] = unquote(m[2]);
}

function parseCopy(args: string, stage: DockerStage, contextDir: string): void {
  const words = execForm(args) ?? args.split(/\s+/).filter(Boolean);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  if (flags.some((f) => f.startsWith("--from="))) return; // another stage's (or image's) files: not in the context
  if (paths.length < 2) return;
  const dest = paths[paths.length - 1];
  const sources = paths.slice(0, -1).filter((s) => !/^https?:\/\//.test(s));
  const containerDest = path.posix.resolve(stage.workdir, dest);
  const destIsDir = dest.endsWith("/") || dest === "." || dest === ".." || paths.length > 2 || containerDest === stage.workdir;
  for (const source of sources) {
    const local = path.resolve(contextDir, source);
    if (/[*?[]/.test(source)) {
      // A glob: what matches lands in the destination directory.
      stage.mappings.push({ container: containerDest, context: path.dirname(local), dir: true });
      continue;
    }
    const isDir = fs.existsSync(local) && fs.statSync(local).isDirectory();
    if (isDir) stage.mappings.push({ container: containerDest, context: local, dir: true });
    else if (destIsDir) stage.mappings.push({ container: path.posix.join(containerDest, path.basename(source)), context: local, dir: false });
    else stage.mappings.push({ container: containerDest, context: local, dir: false });
  }
}

/** The last stage of a Dockerfile (the image that runs). */
export function parseDockerfile(text: string, contextDir: string): DockerStage {
  let stage: DockerStage | undefined;
  for (const line of logicalLines(text)) {
    const m = /^([A-Za-z]+)\s*(.*)$/s.exec(line);
    if (!m) throw new DockerfileError(`cannot read the Dockerfile line: ${line}`);
    const instruction = m[1].toUpperCase();
    const args = m[2].trim();
    if (instruction === "FROM") {
      stage = { from: args.split(/\s+/).filter((w) => !w.startsWith("--"))[0] ?? args, workdir: "/", env: {}, mappings: [] };
      continue;
    }
    if (instruction === "ARG") continue; // before FROM too
    if (!stage) throw new DockerfileError(`${instruction} before FROM`);
    switch (instruction) {
      case "WORKDIR":
        stage.workdir = path.posix.resolve(stage.workdir, args);
        break;
      case "ENV":
        parseEnv(args, stage.env);
        break;
      case "COPY":
      case "ADD":
        parseCopy(args, stage, contextDir);
        break;
      case "CMD":
      case "ENTRYPOINT": {
        const argv = execForm(args);
        if (!argv) {
          throw new DockerfileError(
            `${instruction} ${args} is the shell form: the local ECS runs only the exec (JSON) form, e.g. CMD ["node", "index.js"]`,
          );
        }
        if (instruction === "CMD") stage.cmd = argv;
        else {
          stage.entrypoint = argv;
          stage.cmd = undefined; // Docker resets CMD when ENTRYPOINT is set
        }
        break;
      }
      default:
        // RUN, USER, EXPOSE, LABEL, HEALTHCHECK, STOPSIGNAL, VOLUME, SHELL, ONBUILD: nothing to do locally.
        break;
    }
  }
  if (!stage) throw new DockerfileError("the Dockerfile has no FROM");
  return stage;
}

/** The local file a container path names, or undefined. */
function localPath(stage: DockerStage, containerPath: string, contextDir: string): string | undefined {
  for (const m of [...stage.mappings].reverse()) {
    let candidate: string | undefined;
    if (!m.dir && m.container === containerPath) candidate = m.context;
    else if (m.dir && (containerPath === m.container || containerPath.startsWith(`${m.container}/`))) {
      candidate = path.join(m.context, path.posix.relative(m.container, containerPath));
    }
    if (candidate && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  // Not copied by a COPY we understand: the same path relative to WORKDIR in the context.
  const guess = path.join(contextDir, path.posix.relative(stage.workdir, containerPath));
  return guess.startsWith(contextDir) && fs.existsSync(guess) && fs.statSync(guess).isFile() ? guess : undefined;
}

/**
 * What a container of the image at `contextDir` runs: `command` (the container definition's or an
 * override's) replaces CMD, as in Docker. Throws `DockerfileError` when it cannot run locally.
 */
export function containerCommand(contextDir: string, command?: string[]): ContainerCommand {
  const dockerfile = path.join(contextDir, "Dockerfile");
  let text: string;
  try {
    text = fs.readFileSync(dockerfile, "utf8");
  } catch (err) {
    throw new DockerfileError(`no Dockerfile in the build context ${contextDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const stage = parseDockerfile(text, contextDir);
  const argv = [...(stage.entrypoint ?? []), ...(command ?? stage.cmd ?? [])];
  const shown = JSON.stringify(argv);
  if (argv.length === 0) throw new DockerfileError(`${dockerfile} has no CMD: the local ECS runs CMD ["node", "<file>", ...]`);
  if (path.posix.basename(argv[0]) !== "node") {
    throw new DockerfileError(`the container command ${shown} does not start with "node": the local ECS runs only CMD ["node", "<file>", ...]`);
  }
  const flags: string[] = [];
  let i = 1;
  for (; i < argv.length && argv[i].startsWith("-"); i++) {
    if (NODE_EVAL_FLAGS.has(argv[i].split("=")[0])) throw new DockerfileError(`the container command ${shown} does not run a script file (${argv[i]}): the local ECS runs CMD ["node", "<file>", ...]`);
    flags.push(argv[i]);
    if (NODE_FLAGS_WITH_VALUE.has(argv[i]) && i + 1 < argv.length) flags.push(argv[++i]);
  }
  if (i >= argv.length) throw new DockerfileError(`the container command ${shown} names no script: the local ECS runs CMD ["node", "<file>", ...]`);
  const containerScript = path.posix.resolve(stage.workdir, argv[i]);
  const script = localPath(stage, containerScript, path.resolve(contextDir));
  if (!script) {
    throw new DockerfileError(
      `the container command ${shown} runs ${containerScript}, which no COPY of the build context ${contextDir} provides (RUN steps and COPY --from do not run locally)`,
    );
  }
  return { executable: process.execPath, args: [...flags, script, ...argv.slice(i + 1)], script, env: { ...stage.env }, cwd: path.resolve(contextDir), from: stage.from };
}
