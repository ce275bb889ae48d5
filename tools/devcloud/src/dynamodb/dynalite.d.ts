declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }
  /** dynalite's HTTP server (its close() also closes the LevelDB store). */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
