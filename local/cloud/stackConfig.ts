// Reads a program's Pulumi.yaml and Pulumi.<stack>.yaml as `pulumi up` would, for the local cloud:
// the config namespace, the entry point and each config value, with --config overrides.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

/** This repository's project: `--config backend=lambda` means `async-api:backend` here. */
export const PROJECT = "async-api";

/** What the local cloud needs of a program's `Pulumi.yaml`. */
export interface ProjectFile {
  /** `name`: the config namespace (`--config backend=lambda` means `<name>:backend`). */
  name: string;
  /** The program's entry, from `main` (a file, or a folder with index.ts / index.js), else index.ts. */
  main: string;
}

/** Reads `Pulumi.yaml` (a missing one is a StackConfigError naming the folder). */
export function readProject(projectDir: string): ProjectFile {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) throw new StackConfigError(`No Pulumi.yaml in ${projectDir}`);
  const project = YAML.parse(fs.readFileSync(projectFile, "utf8")) ?? {};
  if (typeof project.name !== "string" || !project.name) throw new StackConfigError(`${projectFile} has no name`);
  let main = path.resolve(projectDir, typeof project.main === "string" ? project.main : ".");
  if (fs.existsSync(main) && fs.statSync(main).isDirectory()) {
    const index = ["index.ts", "index.js"].map((f) => path.join(main, f)).find((f) => fs.existsSync(f));
    if (!index) throw new StackConfigError(`No index.ts or index.js in ${main} (the program named by ${projectFile})`);
    main = index;
  }
  if (!fs.existsSync(main)) throw new StackConfigError(`The program ${main} named by ${projectFile} does not exist`);
  return { name: project.name, main };
}

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackConfigError";
  }
}

/** Config values as the Pulumi engine hands them to a program: strings, structured values as JSON. */
export type FlatConfig = Record<string, string>;

const asConfigString = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

const qualifier = (project: string) => (key: string) => (key.includes(":") ? key : `${project}:${key}`);

/**
 * The stack's config as `pulumi up` would see it: the project's typed defaults from `Pulumi.yaml`,
 * then `Pulumi.<stack>.yaml`, then `--config KEY=VALUE` overrides (key with or without the
 * project's prefix, e.g. `async-api:`; a list value is JSON).
 */
export function loadStackConfig(projectDir: string, stack: string, overrides: string[] = []): FlatConfig {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) throw new StackConfigError(`No Pulumi.yaml in ${projectDir}`);
  const project = YAML.parse(fs.readFileSync(projectFile, "utf8")) ?? {};
  const qualify = qualifier(typeof project.name === "string" && project.name ? project.name : PROJECT);
  const config: FlatConfig = {};
  for (const [key, spec] of Object.entries<any>(project.config ?? {})) {
    const value = spec && typeof spec === "object" && "default" in spec ? spec.default : spec && typeof spec !== "object" ? spec : undefined;
    if (value !== undefined) config[qualify(key)] = asConfigString(value);
  }

  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(stackFile)) {
    const stackConfig = (YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {}).config ?? {};
    for (const [key, value] of Object.entries(stackConfig)) {
      if (value && typeof value === "object" && "secure" in (value as object)) {
        throw new StackConfigError(`${key} in ${path.basename(stackFile)} is an encrypted secret, which the local cloud cannot read; override it with --config ${key}=...`);
      }
      config[qualify(key)] = asConfigString(value);
    }
  } else if (stack !== "dev") {
    throw new StackConfigError(`No Pulumi.${stack}.yaml in ${projectDir} (stacks here: ${listStacks(projectDir).join(", ") || "none"})`);
  }

  for (const item of overrides) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new StackConfigError(`--config takes KEY=VALUE, got '${item}'`);
    config[qualify(item.slice(0, eq).trim())] = item.slice(eq + 1);
  }
  return config;
}

export function listStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s);
}
