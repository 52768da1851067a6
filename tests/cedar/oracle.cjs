// Cedar's own answers, for the differential tester: reads JSONL cases
//   {"policies": text, "templates": {id: text}, "links": [...], "entities": [...], "requests": [...]}
// and prints one JSONL line per case: {"parse_error": bool, "results": [{"decision", "reasons", "errors"}]}.
'use strict';
const fs = require('fs');
const readline = require('readline');
const path = require('path');

let cedar;
try {
  cedar = require(path.join(__dirname, 'node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm.js'));
} catch (e) {
  process.stderr.write('cedar oracle: @cedar-policy/cedar-wasm is not installed in tests/cedar (npm ci): ' + e.message + '\n');
  process.exit(3);
}

async function main() {
  const input = process.argv[2] ? fs.createReadStream(process.argv[2]) : process.stdin;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  const out = [];
  let n = 0;
  for await (const line of rl) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    const pset = { staticPolicies: c.policies };
    if (c.templates && Object.keys(c.templates).length) pset.templates = c.templates;
    if (c.links && c.links.length) pset.templateLinks = c.links;
    const id = 'case' + (n++);
    const pre = cedar.preparsePolicySet(id, pset);
    const res = { parse_error: pre.type !== 'success', results: [] };
    if (!res.parse_error) {
      for (const r of c.requests) {
        const a = cedar.statefulIsAuthorized({
          principal: r.principal, action: r.action, resource: r.resource, context: r.context || {},
          preparsedPolicySetId: id, entities: c.entities,
        });
        if (a.type !== 'success') {
          res.results.push({ decision: 'failure', reasons: [], errors: [], message: a.errors.map(e => e.message).join('; ') });
        } else {
          res.results.push({
            decision: a.response.decision,
            reasons: a.response.diagnostics.reason.slice().sort(),
            errors: a.response.diagnostics.errors.map(e => e.policyId).sort(),
          });
        }
      }
    } else {
      res.message = pre.errors.map(e => e.message).join('; ');
    }
    out.push(JSON.stringify(res));
    if (out.length >= 1000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}
main().catch(e => { process.stderr.write('cedar oracle: ' + e.stack + '\n'); process.exit(3); });
