// Entry of a kernel worker thread (see pool.ts): tsx's require hook, then the TypeScript handler.
require('tsx/cjs');
require('./pool-worker.ts');
