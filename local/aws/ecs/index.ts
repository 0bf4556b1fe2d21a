export { startEcsService } from "./service";
export { EcsError } from "./errors";
export { containerCommand, DockerfileError } from "./dockerfile";
export type * from "./types";
