// Parses a kernel serial log with node-tap's TAP14 parser (tap-parser) and
// fails unless it parses, its top-level plan is met and its verdict matches
// the one the kernel printed. Usage: node tap14-check.js LOG [expect-ok|expect-fail]
'use strict';
const { Parser } = require('tap-parser');
const fs = require('fs');

const [log, expect = 'expect-ok'] = process.argv.slice(2);
const text = fs.readFileSync(log, 'utf8').replace(/\r/g, '');
const start = text.indexOf('KTAP version 1');
if (start < 0) {
  console.log(`${log}: no KTAP`);
  process.exit(1);
}
const parser = new Parser((r) => {
  const planMet = r.plan && r.plan.end === r.count;
  const verdictOk = (expect === 'expect-ok') === r.ok;
  console.log(`${log}: tap-parser ok=${r.ok} count=${r.count} pass=${r.pass} ` +
              `fail=${r.fail} plan=1..${r.plan && r.plan.end}`);
  process.exit(planMet && verdictOk ? 0 : 1);
});
parser.end(text.slice(start));
