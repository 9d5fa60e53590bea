#!/usr/bin/env bash
# Scaffolds a workspace package: scripts/new-package.sh packages|services <name> "<description>"
set -euo pipefail
kind=$1 name=$2 desc=${3:-}
dir="$kind/$name"
[[ -e $dir ]] && { echo "$dir already exists" >&2; exit 1; }
mkdir -p "$dir/src"
if [[ $kind == packages ]]; then
  cat >"$dir/package.json" <<JSON
{
  "name": "@tradewire/$name",
  "version": "0.1.0",
  "private": true,
  "description": "$desc",
  "type": "module",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": { ".": { "types": "./dist/index.d.ts", "default": "./dist/index.js" } },
  "files": ["dist"],
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "typecheck": "tsc --noEmit",
    "lint": "biome check .",
    "test": "vitest run"
  },
  "dependencies": {},
  "devDependencies": { "@types/node": "catalog:", "typescript": "catalog:", "vitest": "catalog:" }
}
JSON
else
  cat >"$dir/package.json" <<JSON
{
  "name": "@tradewire/$name",
  "version": "0.1.0",
  "private": true,
  "description": "$desc",
  "type": "module",
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "start": "node dist/main.js",
    "dev": "tsx watch src/main.ts",
    "typecheck": "tsc --noEmit",
    "lint": "biome check .",
    "test": "vitest run"
  },
  "dependencies": {},
  "devDependencies": { "@types/node": "catalog:", "tsx": "catalog:", "typescript": "catalog:", "vitest": "catalog:" }
}
JSON
fi
cat >"$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src", "test"]
}
JSON
cat >"$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "noEmit": false },
  "include": ["src"],
  "exclude": ["src/**/*.test.ts"]
}
JSON
echo "created $dir"
