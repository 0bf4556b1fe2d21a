/**
 * The task definition family of a stack's Fargate worker. Families are shared by the whole account
 * and region, and RunTask with a bare family runs its latest ACTIVE revision (AWS, RunTask API
 * reference, `taskDefinition`): two stacks with one family would run each other's image, roles
 * and environment. So the family names the project and the stack. Letters, digits, `_` and `-`
 * only, at most 255 characters (RegisterTaskDefinition, `family`).
 */
export function taskFamily(project: string, stack: string, name: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "-");
  return `${clean(project)}-${clean(stack)}-${clean(name)}`.slice(0, 255);
}
