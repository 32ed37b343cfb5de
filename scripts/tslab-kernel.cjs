#!/usr/bin/env node
// Starts the tslab TypeScript kernel with the project root as its working directory.
// tslab resolves imports from process.cwd(), and Jupyter starts kernels in the notebook's own
// folder: rooting here is what lets a notebook write `import { loadCapture } from "./lib/index"`.
// Usage (from kernel.json): node scripts/tslab-kernel.cjs {connection_file}
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const connectionFile = process.argv[2];
if (!connectionFile) {
  console.error('usage: tslab-kernel.cjs CONNECTION_FILE (Jupyter passes {connection_file})');
  process.exit(2);
}
process.chdir(root);
process.argv = [process.argv[0], require.resolve('tslab/bin/tslab'), 'kernel', '--config-path', path.resolve(connectionFile)];
require('tslab/dist/main.js').main();
