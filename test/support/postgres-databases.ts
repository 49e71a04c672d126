/**
 * Databases of their own on a PostgreSQL server, for tests and benchmarks that need an empty one:
 * created under a random name, dropped (connections and all) when done.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { PostgresConnection } from '../../src/store/postgres/connection.ts';

/** The PostgreSQL server the PostgreSQL half of the tests runs on (`scripts/test-postgres.sh`), if any. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] || undefined;

/** Creates and drops databases on the server at `serverUrl`, whose user may create databases. */
export class PostgresDatabases {
  #admin: PostgresConnection | undefined;
  readonly #created: string[] = [];

  constructor(
    private readonly serverUrl: string,
    private readonly prefix: string,
  ) {}

  /** The URL of a new, empty database. */
  create(): string {
    this.#admin ??= new PostgresConnection(this.serverUrl);
    const name = `${this.prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    this.#admin.exec(`CREATE DATABASE ${name}`);
    this.#created.push(name);
    const url = new URL(this.serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Drops every database created so far, whoever is still connected to it. */
  dropAll(): void {
    for (const name of this.#created.splice(0)) this.#admin?.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  /** Drops them and closes the server connection. */
  close(): void {
    this.dropAll();
    this.#admin?.close();
    this.#admin = undefined;
  }
}
