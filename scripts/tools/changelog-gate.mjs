// Fails unless every breaking spec change is acknowledged in CHANGELOG.md: the [Unreleased]
// section needs an entry containing "Breaking", the provider id, and the operation (its
// operationId, or METHOD and path when it has none).
//
// usage: node changelog-gate.mjs <CHANGELOG.md>   (reads scripts/spec-diff --json lines on stdin)
import { readFileSync } from 'node:fs';

const changelog = readFileSync(process.argv[2], 'utf8');
const unreleased = (changelog.split(/^## /m).find((s) => s.startsWith('[Unreleased]')) || '');
const entries = unreleased.split('\n').filter((l) => /breaking/i.test(l));
const reports = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const missing = [];
for (const r of reports) {
  for (const b of r.breaking || []) {
    const op =
      (b.text.match(/\(([a-z0-9_]+)\)\s*$/) || [])[1] ||
      (b.text.match(/(GET|PUT|POST|DELETE|PATCH) \S+/) || [])[0] ||
      (b.text.match(/ path (\/\S+)/) || [])[1] ||
      (b.text.match(/at (\/\S+?)\./) || [])[1];
    const ok = entries.some((e) => e.includes(r.label) && (!op || e.includes(op)));
    if (!ok) missing.push({ provider: r.label, op, text: b.text });
  }
}
if (missing.length) {
  console.error(`${missing.length} breaking spec change(s) are not acknowledged in CHANGELOG.md.`);
  console.error('Add an entry under "## [Unreleased]" containing "Breaking", the provider and the operation, e.g.');
  console.error('  - **Breaking** (ecomdc): `get_stock` now requires `store`, because the provider ...');
  for (const m of missing) console.error(`  missing: ${m.provider} ${m.op || ''}: ${m.text}`);
  process.exit(1);
}
const count = reports.reduce((n, r) => n + (r.breaking || []).length, 0);
console.log(count ? `${count} breaking change(s), all acknowledged in CHANGELOG.md` : 'no breaking spec changes');
