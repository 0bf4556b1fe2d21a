/**
 * `npm run code-shape [paths...]`: the functions longer than 120 lines (nested ones included, each
 * counted from its first line to its last) and the files longer than 500 lines in the product's
 * code: everything but tests, dependencies, build output and the examples' installs. Exits 1 when
 * any is found. tests/tooling/codeShape.test.ts holds the product to it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

export const MAX_FUNCTION_LINES = 120;
export const MAX_FILE_LINES = 500;
export const PRODUCT_ROOTS = ["index.ts", "plugin.js", "program", "components", "lambdas", "local", "client", "console", "bench", "scripts"];
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".async-api"]);

export interface Finding {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function sourceFiles(entry: string, out: string[]): void {
  if (!fs.existsSync(entry)) return;
  if (fs.statSync(entry).isDirectory()) {
    if (SKIPPED_DIRS.has(path.basename(entry))) return;
    for (const name of fs.readdirSync(entry).sort()) sourceFiles(path.join(entry, name), out);
  } else if (/\.(ts|js|mjs|cjs)$/.test(entry) && !entry.endsWith(".d.ts")) out.push(entry);
}

function nameOf(node: ts.Node): string {
  const named = (node as { name?: ts.Node }).name;
  if (named) return named.getText();
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText().slice(0, 40)}>`;
  return "<anonymous>";
}

/** The functions of one file's text longer than `maxLines`. */
export function longFunctions(file: string, text: string, maxLines = MAX_FUNCTION_LINES): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, /\.ts$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const found: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (last - first + 1 > maxLines) found.push({ file, line: first + 1, name: nameOf(node), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every function and file of the product (or of `roots`) past the limits. */
export function codeShape(root: string, roots: readonly string[] = PRODUCT_ROOTS): { functions: Finding[]; files: Finding[] } {
  const files: string[] = [];
  for (const entry of roots) sourceFiles(path.resolve(root, entry), files);
  const result = { functions: [] as Finding[], files: [] as Finding[] };
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const relative = path.relative(root, file);
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines > MAX_FILE_LINES) result.files.push({ file: relative, line: 1, name: relative, lines });
    result.functions.push(...longFunctions(relative, text));
  }
  result.functions.sort((a, b) => b.lines - a.lines);
  result.files.sort((a, b) => b.lines - a.lines);
  return result;
}

if (require.main === module) {
  const roots = process.argv.slice(2);
  const { functions, files } = codeShape(process.cwd(), roots.length ? roots : PRODUCT_ROOTS);
  for (const f of functions) console.log(`function ${f.lines} lines  ${f.file}:${f.line} ${f.name}`);
  for (const f of files) console.log(`file     ${f.lines} lines  ${f.file}`);
  console.log(`${functions.length} functions over ${MAX_FUNCTION_LINES} lines, ${files.length} files over ${MAX_FILE_LINES} lines`);
  process.exitCode = functions.length || files.length ? 1 : 0;
}
