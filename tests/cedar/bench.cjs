// cedar-wasm as the baseline of `omega bench policy`: reads {"policies", "entities", "requests",
// "samples", "max_seconds"} from the file named on the command line, times statefulIsAuthorized per
// request (policies pre-parsed once; each call gets the entity slice it needs: principal, resource
// and their ancestors, prepared outside the timed region) and prints
// {"samples_us": [...], "answers": [{"decision", "reasons"}] (one per distinct request)}.
'use strict';
const fs = require('fs');
const path = require('path');
let cedar;
try {
  cedar = require(path.join(__dirname, 'node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm.js'));
} catch (e) {
  process.stderr.write('cedar bench: @cedar-policy/cedar-wasm is not installed in tests/cedar (npm ci): ' + e.message + '\n');
  process.exit(3);
}
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const key = (u) => u.type + '::' + JSON.stringify(u.id);
const byUid = new Map(job.entities.map((e) => [key(e.uid), e]));
function slice(uids) {
  const out = new Map();
  const todo = uids.slice();
  while (todo.length) {
    const u = todo.pop();
    const k = key(u);
    if (out.has(k)) continue;
    const e = byUid.get(k);
    if (!e) continue;
    out.set(k, e);
    for (const p of e.parents) todo.push(p);
  }
  return [...out.values()];
}
const pre = cedar.preparsePolicySet('bench', { staticPolicies: job.policies });
if (pre.type !== 'success') {
  process.stderr.write('cedar bench: policies rejected: ' + JSON.stringify(pre.errors) + '\n');
  process.exit(2);
}
const calls = job.requests.map((r) => ({
  principal: r.principal, action: r.action, resource: r.resource, context: r.context,
  preparsedPolicySetId: 'bench', entities: slice([r.principal, r.resource]),
}));
const answers = calls.map((c) => {
  const a = cedar.statefulIsAuthorized(c);
  if (a.type !== 'success') return { decision: 'failure', reasons: [], message: a.errors.map((e) => e.message).join('; ') };
  return { decision: a.response.decision, reasons: a.response.diagnostics.reason.slice().sort() };
});
for (let i = 0; i < Math.min(200, calls.length); i++) cedar.statefulIsAuthorized(calls[i]);   // warm-up
const samples = [];
const deadline = process.hrtime.bigint() + BigInt(Math.round((job.max_seconds || 20) * 1e9));
for (let i = 0; i < job.samples; i++) {
  const c = calls[i % calls.length];
  const t0 = process.hrtime.bigint();
  cedar.statefulIsAuthorized(c);
  const t1 = process.hrtime.bigint();
  samples.push(Number(t1 - t0) / 1000);
  if (t1 > deadline && samples.length >= 100) break;
}
process.stdout.write(JSON.stringify({ samples_us: samples, answers }) + '\n');
