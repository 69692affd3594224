// Breaking-change report between two versions of a spec.
//
// Paths, operations and request/response body schemas are compared by openapi-diff (pinned in
// package.json). openapi-diff does not compare parameters, so this script adds three rules:
// a new required parameter and a removed parameter are breaking, a changed parameter type is
// breaking, a new optional parameter is not.
//
// usage: node spec-diff.mjs <label> <old.yaml> <new.yaml> [--json]
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const yaml = require('js-yaml');

const [label, oldPath, newPath, ...flags] = process.argv.slice(2);
const root = new URL('../../', import.meta.url).pathname;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function load(path) {
  return yaml.load(readFileSync(path, 'utf8'));
}

function deref(doc, v) {
  while (v && typeof v === 'object' && v.$ref) {
    v = v.$ref.replace(/^#\//, '').split('/').reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  }
  return v;
}

function operations(doc) {
  const ops = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => deref(doc, p));
      ops.set(`${m.toUpperCase()} ${path}`, { op, params });
    }
  }
  return ops;
}

function opName(key, op) {
  return op && op.operationId ? `${key} (${op.operationId})` : key;
}

// Readable text for an openapi-diff finding.
function describe(d) {
  const loc = (d.sourceSpecEntityDetails[0] || d.destinationSpecEntityDetails[0] || {}).location || '';
  const where = loc.replace(/^paths\./, '').replace(/\.content\.application\/json\.schema$/, '');
  const props = (d.details && d.details.differenceSchema && d.details.differenceSchema.properties) || {};
  const anyType = (s) => Array.isArray(s && s.type) && s.type.length >= 5;
  const required = (d.details && d.details.differenceSchema && d.details.differenceSchema.required) || [];
  const fields = required.filter((f) => anyType(props[f]));
  switch (d.code) {
    case 'path.remove': return `removed path ${where}`;
    case 'path.add': return `added path ${where}`;
    case 'method.remove': return `removed operation ${where}`;
    case 'method.add': return `added operation ${where}`;
    case 'response.body.scope.add':
      return fields.length ? `response field removed or retyped at ${where}: ${fields.join(', ')}` : `response type widened at ${where}`;
    case 'response.body.scope.remove':
      return fields.length ? `response field added at ${where}: ${fields.join(', ')}` : `response type narrowed at ${where}`;
    case 'request.body.scope.remove': return `request type narrowed at ${where}`;
    case 'request.body.scope.add': return `request type widened at ${where}`;
    default: return `${d.code} at ${where}`;
  }
}

// openapi-diff dereferences every schema and fails on recursive ones (a category listing its
// sub-categories). It gets copies in which each reference that closes a cycle is replaced by a
// plain object schema; the rest of the comparison is unchanged.
function acyclic(doc) {
  const copy = JSON.parse(JSON.stringify(doc));
  const schemas = (copy.components && copy.components.schemas) || {};
  const state = {};
  const prefix = '#/components/schemas/';
  function walk(node, owner) {
    if (Array.isArray(node)) {
      node.forEach((n) => walk(n, owner));
      return;
    }
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string' && node.$ref.startsWith(prefix)) {
      const target = node.$ref.slice(prefix.length);
      if (state[target] === 'open') {
        delete node.$ref;
        node.type = 'object';
        node.description = `recursive reference to ${target} (not compared below this point)`;
      } else if (state[target] === undefined && schemas[target]) {
        visit(target);
      }
      return;
    }
    Object.values(node).forEach((n) => walk(n, owner));
  }
  function visit(name) {
    state[name] = 'open';
    walk(schemas[name], name);
    state[name] = 'done';
  }
  Object.keys(schemas).forEach((name) => state[name] === undefined && visit(name));
  return copy;
}

const oldDoc = load(oldPath);
const newDoc = load(newPath);
const scratch = mkdtempSync(join(tmpdir(), 'spec-diff-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const oldFlat = join(scratch, 'old.json');
const newFlat = join(scratch, 'new.json');
writeFileSync(oldFlat, JSON.stringify(acyclic(oldDoc)));
writeFileSync(newFlat, JSON.stringify(acyclic(newDoc)));
// openapi-diff writes its report to a file: a large report written to a pipe is cut short when
// the tool exits.
const report = join(scratch, 'report.txt');
let status = 0;
try {
  execFileSync('sh', ['-c', '"$0" "$1" "$2" > "$3" 2>&1', `${root}node_modules/.bin/openapi-diff`, oldFlat, newFlat, report], { stdio: 'ignore' });
} catch (e) {
  status = e.status;
}
const out = readFileSync(report, 'utf8');
const start = out.indexOf('{');
let tool;
if (start < 0) {
  if (status !== 0) {
    console.error(`${label}: openapi-diff failed: ${out}`);
    process.exit(2);
  }
  tool = { breakingDifferences: [], nonBreakingDifferences: [], unclassifiedDifferences: [] };
} else {
  tool = JSON.parse(out.slice(start));
}
if (tool.breakingDifferences === undefined && tool.nonBreakingDifferences === undefined) {
  // openapi-diff prints the same JSON on success.
  tool = { breakingDifferences: [], nonBreakingDifferences: [], unclassifiedDifferences: [] };
}
const breaking = (tool.breakingDifferences || []).map((d) => ({ kind: d.code, text: describe(d) }));
const nonBreaking = (tool.nonBreakingDifferences || []).map((d) => ({ kind: d.code, text: describe(d) }));
const unclassified = (tool.unclassifiedDifferences || []).map((d) => ({ kind: d.code, text: describe(d) }));

// Parameter rules (openapi-diff does not compare parameters).
const oldOps = operations(oldDoc);
const newOps = operations(newDoc);
for (const [key, { op, params }] of newOps) {
  const before = oldOps.get(key);
  if (!before) continue;
  const name = opName(key, op);
  const id = (p) => `${p.in}:${p.name}`;
  const oldParams = new Map(before.params.map((p) => [id(p), p]));
  const newParams = new Map(params.map((p) => [id(p), p]));
  for (const [k, p] of newParams) {
    const was = oldParams.get(k);
    if (!was) {
      (p.required ? breaking : nonBreaking).push({
        kind: p.required ? 'request.parameter.required.add' : 'request.parameter.optional.add',
        text: `${p.required ? 'new required input' : 'new optional input'}: ${p.in} parameter \`${p.name}\` on ${name}`,
      });
    } else {
      if (p.required && !was.required) {
        breaking.push({ kind: 'request.parameter.required.change', text: `now required: ${p.in} parameter \`${p.name}\` on ${name}` });
      }
      const t = (x) => JSON.stringify(deref(newDoc, x.schema) || {});
      const tOld = JSON.stringify(deref(oldDoc, was.schema) || {});
      if (t(p) !== tOld) {
        breaking.push({ kind: 'request.parameter.type.change', text: `type changed: ${p.in} parameter \`${p.name}\` on ${name}` });
      }
    }
  }
  for (const [k, p] of oldParams) {
    if (!newParams.has(k)) {
      breaking.push({ kind: 'request.parameter.remove', text: `removed input: ${p.in} parameter \`${p.name}\` on ${name}` });
    }
  }
}
// Name the operations behind path-level findings, so a changelog entry can refer to them.
for (const [key, { op }] of oldOps) {
  if (!newOps.has(key)) breaking.push({ kind: 'operation.remove', text: `removed operation ${opName(key, op)}` });
}
for (const [key, { op }] of newOps) {
  if (!oldOps.has(key)) nonBreaking.push({ kind: 'operation.add', text: `added operation ${opName(key, op)}` });
}

if (flags.includes('--json')) {
  console.log(JSON.stringify({ label, breaking, nonBreaking, unclassified }));
} else {
  console.log(`== ${label}`);
  const list = (title, items) => {
    console.log(`${title}: ${items.length}`);
    for (const i of items) console.log(`  - ${i.text}`);
  };
  list('breaking', breaking);
  list('non-breaking', nonBreaking);
  if (unclassified.length) list('unclassified', unclassified);
}
process.exit(breaking.length ? 1 : 0);
