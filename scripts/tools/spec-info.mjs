// Small queries on a spec for the shell scripts.
//   node spec-info.mjs title <spec>                      the info.title
//   node spec-info.mjs count <spec>                      number of operations
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const yaml = require('js-yaml');

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const [cmd, ...args] = process.argv.slice(2);
const spec = (path) => yaml.load(readFileSync(path, 'utf8'));
const ops = (doc) =>
  Object.entries(doc.paths || {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m] })),
  );

if (cmd === 'title') {
  console.log(spec(args[0]).info.title);
} else if (cmd === 'count') {
  console.log(ops(spec(args[0])).length);
} else {
  console.error('usage: spec-info.mjs title|count <spec>');
  process.exit(2);
}
