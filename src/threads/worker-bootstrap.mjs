// Entry point of every worker thread. On Node 20 a worker ignores loaders given through
// `execArgv` (`--import tsx`), so the thread registers the TypeScript loader itself, then loads
// the TypeScript module whose URL `startTypeScriptWorker` appended to its arguments.
import { register } from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
