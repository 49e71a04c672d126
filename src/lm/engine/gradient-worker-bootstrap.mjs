// Entry point of a gradient worker thread. On Node 20 a worker ignores loaders given through
// `execArgv` (`--import tsx`), so the thread registers the TypeScript loader itself before it
// loads the TypeScript worker. Resolved from this file, so it works from any working directory.
import { register } from 'tsx/esm/api';

register();
await import('./gradient-worker.ts');
