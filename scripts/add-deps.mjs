// Usage: node scripts/add-deps.mjs <pkgdir> dep1 dep2 ... [--dev dep3 ...]
// Workspace deps (@tradewire/*) become "workspace:*", everything else "catalog:".
import { readFileSync, writeFileSync } from "node:fs";

const [dir, ...rest] = process.argv.slice(2);
const file = `${dir}/package.json`;
const pkg = JSON.parse(readFileSync(file, "utf8"));
let field = "dependencies";
for (const dep of rest) {
  if (dep === "--dev") {
    field = "devDependencies";
    continue;
  }
  pkg[field] ??= {};
  pkg[field][dep] = dep.startsWith("@tradewire/") ? "workspace:*" : "catalog:";
  pkg[field] = Object.fromEntries(Object.entries(pkg[field]).sort(([a], [b]) => a.localeCompare(b)));
}
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
