#!/usr/bin/env node
// Syntax check for every tracked Julia file, without Julia.
//
// CI has no Julia, so the Julia bindings (julia_bindings/FastEverywhere) would
// otherwise land unparsed. This parses each file with tree-sitter-julia
// (through web-tree-sitter and the grammar's .wasm) and fails on any ERROR or
// MISSING node, printing file:line:col for each.
//
//   node scripts/check_julia_syntax.mjs              # every `git ls-files '*.jl'`
//   node scripts/check_julia_syntax.mjs FILE...      # just these files
//   node scripts/check_julia_syntax.mjs --self-test  # proves bad code fails, good passes
//
// Needs `npm ci` (or `npm ci --ignore-scripts`: only the .wasm grammar is used)
// at the repository root. Exit status: 0 clean, 1 syntax errors or a failed
// self-test, 2 setup problems (no grammar, git failed, no files).
//
// tree-sitter-julia is a grammar, not Julia's parser: it can reject code Julia
// accepts (then fix the grammar or reshape the code) and accept code Julia
// rejects (lowering errors, undefined names). It catches the common breakage:
// unbalanced `end`s and brackets, broken strings, stray tokens.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(code, message) {
  console.error(`check_julia_syntax: ${message}`);
  process.exit(code);
}

async function loadParser() {
  let Parser;
  let Language;
  try {
    ({ Parser, Language } = await import('web-tree-sitter'));
  } catch (e) {
    fail(2, `cannot import web-tree-sitter (run \`npm ci\` at ${repoRoot}): ${e.message}`);
  }
  const require = createRequire(path.join(repoRoot, 'package.json'));
  let wasmPath;
  try {
    wasmPath = path.join(path.dirname(require.resolve('tree-sitter-julia/package.json')),
      'tree-sitter-julia.wasm');
  } catch (e) {
    fail(2, `cannot find tree-sitter-julia (run \`npm ci\` at ${repoRoot}): ${e.message}`);
  }
  if (!existsSync(wasmPath)) fail(2, `tree-sitter-julia ships no grammar at ${wasmPath}`);
  await Parser.init();
  let language;
  try {
    language = await Language.load(wasmPath);
  } catch (e) {
    fail(2, `web-tree-sitter cannot load ${wasmPath} (incompatible versions?): ${e.message}`);
  }
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

// Every ERROR and MISSING node, in source order. Only subtrees that contain an
// error are entered, so clean files cost one check of the root.
function syntaxProblems(parser, source) {
  const tree = parser.parse(source);
  const problems = [];
  const walk = (node) => {
    if (node.isMissing) {
      problems.push({ row: node.startPosition.row, column: node.startPosition.column,
        message: `missing ${JSON.stringify(node.type)}` });
      return;
    }
    if (node.isError) {
      const text = node.text.split('\n')[0].slice(0, 40);
      problems.push({ row: node.startPosition.row, column: node.startPosition.column,
        message: `syntax error near ${JSON.stringify(text)}` });
    }
    if (!node.hasError) return;
    for (let i = 0; i < node.childCount; i++) walk(node.child(i));
  };
  if (tree.rootNode.hasError) walk(tree.rootNode);
  // The grammar accepts `end`/`begin` as identifiers anywhere (for `a[end]`),
  // so an extra `end` after a block parses cleanly. Julia accepts them only
  // inside indexing brackets (or quoted, as in `Expr(:end)`).
  for (const id of tree.rootNode.descendantsOfType('identifier')) {
    if (id.text !== 'end' && id.text !== 'begin') continue;
    let ancestor = id.parent;
    while (ancestor && ancestor.type !== 'index_expression' && ancestor.type !== 'quote_expression') {
      ancestor = ancestor.parent;
    }
    if (!ancestor) {
      problems.push({ row: id.startPosition.row, column: id.startPosition.column,
        message: `stray \`${id.text}\` (outside indexing brackets)` });
    }
  }
  problems.sort((a, b) => a.row - b.row || a.column - b.column);
  tree.delete();
  return problems;
}

// Returns the number of problems found, after printing each as file:line:col.
function checkFiles(parser, files, displayRoot) {
  let total = 0;
  for (const file of files) {
    let source;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      console.error(`${file}: cannot read: ${e.message}`);
      total += 1;
      continue;
    }
    const shown = path.relative(displayRoot, file) || file;
    for (const p of syntaxProblems(parser, source)) {
      console.error(`${shown}:${p.row + 1}:${p.column + 1}: ${p.message}`);
      total += 1;
    }
  }
  return total;
}

function trackedJuliaFiles() {
  let out;
  try {
    out = execFileSync('git', ['-C', repoRoot, 'ls-files', '-z', '--', '*.jl'], { encoding: 'utf8' });
  } catch (e) {
    fail(2, `git ls-files failed: ${e.message}`);
  }
  return out.split('\0').filter((f) => f.length > 0).map((f) => path.join(repoRoot, f));
}

const GOOD_SNIPPETS = [
  'module M\nusing Distributed: @everywhere\nf(x::Int32) = x + 1\nend\n',
  'macro m(ex)\n    esc(:(begin $ex; nothing end))\nend\n',
  'function g(p::Ptr{Cvoid})\n    ccall((:jlcache_abi_version, "libjlcache"), Int32, ())\nend\n',
  'struct S\n    a::UInt32\n    b::Cstring\nend\nx = [i for i in 1:3 if isodd(i)]\n',
  's = """\n  triple $(1 + 2)\n  """\ny = try error("e") catch err; err finally nothing end\n',
  'a = v[end - 1]\nb = v[begin:end][end]\nc = Expr(:end)\nd = @view v[2:end]\n',
];

const BAD_SNIPPETS = [
  ['unclosed function', 'function f(x)\n    x + 1\n'],
  ['unbalanced paren', 'f(x = (1 + 2\n'],
  ['stray end', 'x = 1\nend\n'],
  ['extra end after module', 'module M\nf() = 1\nend\nend\n'],
  ['unterminated string', 'println("abc)\n'],
  ['broken struct', 'struct S\n    a::\nend\n'],
];

function selfTest(parser) {
  let failures = 0;
  for (const src of GOOD_SNIPPETS) {
    const problems = syntaxProblems(parser, src);
    if (problems.length > 0) {
      console.error(`self-test: good snippet reported ${problems.length} problem(s):\n${src}`);
      failures += 1;
    }
  }
  for (const [name, src] of BAD_SNIPPETS) {
    if (syntaxProblems(parser, src).length === 0) {
      console.error(`self-test: broken snippet "${name}" passed:\n${src}`);
      failures += 1;
    }
  }
  // The file path end to end: a broken file must be reported with file:line:col
  // and count as a failure; a clean file must not.
  const dir = mkdtempSync(path.join(tmpdir(), 'jl-syntax-'));
  try {
    const bad = path.join(dir, 'bad.jl');
    const good = path.join(dir, 'good.jl');
    writeFileSync(bad, 'x = 1\nfunction f(\n    y\n');
    writeFileSync(good, GOOD_SNIPPETS[0]);
    console.error('self-test: the next lines must report bad.jl (expected):');
    if (checkFiles(parser, [bad], dir) === 0) {
      console.error('self-test: a broken file was not reported');
      failures += 1;
    }
    if (checkFiles(parser, [good], dir) !== 0) {
      console.error('self-test: a clean file was reported');
      failures += 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cases = GOOD_SNIPPETS.length + BAD_SNIPPETS.length + 2;
  if (failures > 0) {
    console.log(`julia-syntax-self-test: ${cases - failures} passed, ${failures} failed`);
    return 1;
  }
  console.log(`julia-syntax-self-test: ${cases} passed, 0 failed`);
  return 0;
}

async function main() {
  const args = process.argv.slice(2);
  const parser = await loadParser();
  if (args.includes('--self-test')) {
    process.exit(selfTest(parser));
  }
  const files = args.length > 0 ? args.map((f) => path.resolve(f)) : trackedJuliaFiles();
  if (files.length === 0) fail(2, 'no tracked *.jl files found: nothing was checked');
  const problems = checkFiles(parser, files, args.length > 0 ? process.cwd() : repoRoot);
  if (problems > 0) {
    console.error(`julia syntax: ${problems} problem(s) in ${files.length} file(s)`);
    process.exit(1);
  }
  console.log(`julia syntax: ${files.length} file(s) parsed cleanly`);
}

await main();
