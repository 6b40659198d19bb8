// No module of src/ imports itself back through others. A cycle makes load order decide whether a name is
// defined yet (a `const` read before its module ran throws), and it glues two concerns into one: neither can be
// understood, tested or moved alone. `import type` is erased before run time and is no tie; `import()` loads on
// demand, after both modules ran, and is no tie either. `import { type X }` is one: it stays as `import {}`
// (verbatimModuleSyntax), so the module is still loaded.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The files of src/ that `file` loads when it is loaded: its static imports and re-exports, types left out. */
function runtimeImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) specifier = statement.moduleSpecifier;
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    let target = path.resolve(path.dirname(file), specifier.text);
    if (target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
    found.push(target);
  }
  return found;
}

/** Every group of files that import each other in a loop (Tarjan's strongly connected components), each as its arrows. */
function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    const inside = new Set(members);
    const arrows = members.sort().flatMap((from) => (graph.get(from) ?? []).filter((to) => inside.has(to)).map((to) => `${from} -> ${to}`));
    if (arrows.length > 0) cycles.push(arrows);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Cycles known and not yet taken apart, each as its arrows (none now). An entry that no longer holds fails too. */
const KNOWN: string[][] = [];

test('src/ has no import cycle (import type aside)', () => {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const name = (f: string): string => path.relative(SRC, f);
    graph.set(name(file), runtimeImports(file, fs.readFileSync(file, 'utf8')).map(name));
  }
  assert.ok(graph.size > 100, `read ${graph.size} files of src/`);
  const known = new Set(KNOWN.map((c) => c.join('\n')));
  const all = importCycles(graph).map((c) => c.join('\n'));
  assert.deepEqual(KNOWN.map((c) => c.join('\n')).filter((c) => !all.includes(c)), [], 'a known cycle is gone: take it off KNOWN');
  const cycles = all.filter((c) => !known.has(c)).map((c) => c.split('\n'));
  assert.deepEqual(cycles, [], `import cycles in src/ (move the shared part into a module of its own, or use import type):\n${cycles.map((c) => c.join('\n')).join('\n\n')}`);
});

test('the cycle finder sees a loop, and not import type, import() or a chain', () => {
  const dir = '/src';
  const imports = (text: string) => runtimeImports(`${dir}/a.ts`, text).map((f) => path.relative(dir, f));
  assert.deepEqual(imports("import { x } from './b.ts';\nexport * from './c.ts';\nimport './d.ts';"), ['b.ts', 'c.ts', 'd.ts']);
  assert.deepEqual(imports("import type { X } from './b.ts';\nexport type { Y } from './c.ts';\nconst m = await import('./d.ts');"), []);
  assert.deepEqual(imports("import { type X } from './b.ts';"), ['b.ts'], 'import {} stays after compilation');
  assert.deepEqual(imports("import fs from 'node:fs';"), []);

  const cycles = importCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]));
  assert.deepEqual(cycles, [['a -> b', 'b -> c', 'c -> a'], ['e -> e']]);
  assert.deepEqual(importCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
});
