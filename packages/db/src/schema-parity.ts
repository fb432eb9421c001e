/**
 * Schema parity: schema.prisma (what the generated client believes) against the catalog of a database
 * migrated by our SQL migrations (what really exists). Prisma's own `migrate diff` needs the schema
 * engine binary, which the project does not install, so this module reads the Prisma schema offline with
 * `@prisma/prisma-schema-wasm` and compares it with `pg_catalog` itself.
 *
 * Compared: every model's table; every scalar field's column with its exact Postgres type
 * (`format_type`, so precision and length count), nullability and default; every enum with its values
 * in order; every @id / @unique / @@id / @@unique / @@index with its name, columns (with sort order and
 * any non-default operator class), uniqueness and method; every relation's foreign key with its
 * columns, referenced table and columns, ON DELETE and ON UPDATE. Anything in the database that schema.prisma cannot express must be listed in
 * DATABASE_ONLY_OBJECTS below (with its exact definition); every other extra table, column, enum,
 * index, constraint or trigger is a difference, and so is every allowlisted object that is missing.
 *
 * Not compared: column order; foreign-key names (the DMMF does not expose `@relation(map: …)`); the
 * nullability of scalar lists; Prisma-side defaults (uuid(), cuid(), @updatedAt), which have no
 * database representation by design.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as SchemaWasm from "@prisma/prisma-schema-wasm";
import type pg from "pg";

export const SCHEMA_PATH = fileURLToPath(new URL("../prisma/schema.prisma", import.meta.url));

/** Postgres schema the models live in (models with @@schema are not supported). */
const SCHEMA = "public";

// ---------------------------------------------------------------------------------------------
// The allowlist: objects that exist in the database on purpose although schema.prisma cannot say so.
// ---------------------------------------------------------------------------------------------

export interface AllowedIndex {
  name: string;
  table: string;
  /** As the catalog reads them: `name`, `name DESC`, `(expression)`, plus ` opclass` when not the default. */
  columns: string[];
  unique: boolean;
  /** pg_get_expr(indpred) exactly, or null for a full index. */
  predicate: string | null;
  /** Access method (pg_am.amname); btree when absent. */
  method?: string;
  why: string;
}

export interface AllowedCheck {
  name: string;
  table: string;
  /** pg_get_constraintdef() exactly. */
  definition: string;
  why: string;
}

export interface DatabaseOnlyObjects {
  /** Tables that are not models; everything on them (columns, indexes, …) is ignored. */
  tables: string[];
  indexes: AllowedIndex[];
  checks: AllowedCheck[];
}

export const DATABASE_ONLY_OBJECTS: DatabaseOnlyObjects = {
  tables: ["_prisma_migrations"],
  indexes: [
    {
      name: "SessionParticipant_active_key",
      table: "SessionParticipant",
      columns: ["sessionId", "userId"],
      unique: true,
      predicate: '("leftAt" IS NULL)',
      why: "at most one active participant row per (session, user); Prisma cannot express partial indexes",
    },
    {
      name: "RoleRequest_pending_key",
      table: "RoleRequest",
      columns: ["userId"],
      unique: true,
      predicate: "(status = 'PENDING'::\"RoleRequestStatus\")",
      why: "at most one pending request to teach per user; Prisma cannot express partial indexes",
    },
    {
      name: "RaisedHand_up_key",
      table: "RaisedHand",
      columns: ["sessionId", "userId"],
      unique: true,
      predicate: '("loweredAt" IS NULL)',
      why: "at most one hand up per (session, user); Prisma cannot express partial indexes",
    },
    {
      name: "LiveSession_ended_order_idx",
      table: "LiveSession",
      columns: ["status", '(COALESCE("endedAt", "startsAt")) DESC', "id DESC"],
      unique: false,
      predicate: "(status = ANY (ARRAY['ENDED'::\"SessionStatus\", 'CANCELLED'::\"SessionStatus\"]))",
      why: "session.list ended tab order (keyset); Prisma cannot express expression or partial indexes",
    },
    ...[
      { name: "LiveSession_title_trgm_idx", table: "LiveSession", column: "title" },
      { name: "Course_title_trgm_idx", table: "Course", column: "title" },
      { name: "User_name_trgm_idx", table: "User", column: "name" },
    ].map(({ name, table, column }) => ({
      name,
      table,
      columns: [`${column} gin_trgm_ops`],
      unique: false,
      predicate: null,
      method: "gin",
      why: "session.list search (ILIKE '%term%'); GIN trigram indexes need pg_trgm, which schema.prisma does not declare",
    })),
  ],
  checks: [
    {
      name: "SessionRating_stars_check",
      table: "SessionRating",
      definition: "CHECK (((stars >= 1) AND (stars <= 5)))",
      why: "stars are 1–5; Prisma cannot express CHECK constraints",
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// The Prisma side (DMMF from the Wasm build of prisma-fmt)
// ---------------------------------------------------------------------------------------------

type DmmfDefault = string | number | boolean | { name: string; args: unknown[] } | unknown[];

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: DmmfDefault;
  relationName?: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfEnum {
  name: string;
  dbName: string | null;
  values: { name: string; dbName: string | null }[];
}

export interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  dbName?: string | null;
  algorithm?: string | null;
  fields: { name: string; sortOrder?: "asc" | "desc" | null }[];
}

export interface Datamodel {
  enums: DmmfEnum[];
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

const require = createRequire(import.meta.url);

/** Parses and validates a Prisma schema offline; throws with Prisma's own message when it is invalid. */
export function readDatamodel(schemaText: string): Datamodel {
  const wasm = require("@prisma/prisma-schema-wasm") as typeof SchemaWasm;
  let dmmf: string;
  try {
    dmmf = wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schemaText]] }));
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    let message = raw;
    try {
      message = (JSON.parse(raw) as { message?: string }).message ?? raw;
    } catch {
      // not JSON: keep the raw text
    }
    // eslint-disable-next-line no-control-regex
    throw new Error(`Invalid Prisma schema: ${message.replace(/\u001b\[[0-9;]*m/g, "")}`);
  }
  return (JSON.parse(dmmf) as { datamodel: Datamodel }).datamodel;
}

// ---------------------------------------------------------------------------------------------
// The database side (pg_catalog)
// ---------------------------------------------------------------------------------------------

export interface DbColumn {
  table: string;
  name: string;
  /** format_type(); enums and enum arrays as `"Name"` / `"Name"[]`. */
  type: string;
  notNull: boolean;
  default: string | null;
}

export interface DbIndex {
  name: string;
  table: string;
  /** Column names, `name DESC` for descending keys, `(expression)` for expression keys; a non-default
   *  operator class follows the key (`title gin_trgm_ops`). */
  columns: string[];
  unique: boolean;
  primary: boolean;
  predicate: string | null;
  method: string;
}

export interface DbForeignKey {
  name: string;
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface DbConstraint {
  name: string;
  table: string;
  type: string;
  definition: string;
}

export interface Catalog {
  tables: { name: string; kind: string }[];
  columns: DbColumn[];
  enums: { name: string; values: string[] }[];
  indexes: DbIndex[];
  foreignKeys: DbForeignKey[];
  /** Constraints that are neither primary keys, unique constraints nor foreign keys (checks, exclusions, …). */
  otherConstraints: DbConstraint[];
  triggers: { name: string; table: string }[];
}

const FK_ACTIONS: Record<string, string> = {
  a: "NO ACTION",
  r: "RESTRICT",
  c: "CASCADE",
  n: "SET NULL",
  d: "SET DEFAULT",
};

export async function readCatalog(client: pg.Client): Promise<Catalog> {
  const tables = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      ORDER BY 1`,
    [SCHEMA],
  );
  const columns = await client.query<{
    table: string;
    name: string;
    format: string;
    not_null: boolean;
    default: string | null;
    typtype: string;
    typname: string;
    elem_typtype: string | null;
    elem_typname: string | null;
  }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS format,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
            t.typtype, t.typname, et.typtype AS elem_typtype, et.typname AS elem_typname
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [SCHEMA],
  );
  const enums = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
       FROM pg_type t
       JOIN pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE n.nspname = $1
      GROUP BY t.typname
      ORDER BY 1`,
    [SCHEMA],
  );
  const indexes = await client.query<{
    name: string;
    table: string;
    columns: string[];
    unique: boolean;
    primary: boolean;
    predicate: string | null;
    method: string;
  }>(
    `SELECT ic.relname AS name, tc.relname AS table, i.indisunique AS unique, i.indisprimary AS primary,
            pg_get_expr(i.indpred, i.indrelid) AS predicate, am.amname AS method,
            ARRAY(
              SELECT CASE WHEN k.attnum = 0 THEN '(' || pg_get_indexdef(i.indexrelid, k.ord::int, true) || ')'
                          ELSE a.attname END
                     || CASE WHEN opc.opcdefault THEN '' ELSE ' ' || opc.opcname END
                     || CASE WHEN (i.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[k.ord - 1]
               WHERE k.ord <= i.indnkeyatts
               ORDER BY k.ord
            )::text[] AS columns
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = tc.relnamespace
       JOIN pg_am am ON am.oid = ic.relam
      WHERE n.nspname = $1
      ORDER BY 2, 1`,
    [SCHEMA],
  );
  const foreignKeys = await client.query<{
    name: string;
    table: string;
    columns: string[];
    referenced_table: string;
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT con.conname AS name, tc.relname AS table, rc.relname AS referenced_table,
            con.confdeltype AS on_delete, con.confupdtype AS on_update,
            ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS referenced_columns
       FROM pg_constraint con
       JOIN pg_class tc ON tc.oid = con.conrelid
       JOIN pg_class rc ON rc.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = tc.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'f'
      ORDER BY 2, 1`,
    [SCHEMA],
  );
  const otherConstraints = await client.query<DbConstraint>(
    `SELECT con.conname AS name, tc.relname AS table, con.contype AS type, pg_get_constraintdef(con.oid) AS definition
       FROM pg_constraint con
       JOIN pg_class tc ON tc.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = tc.relnamespace
      WHERE n.nspname = $1 AND con.contype NOT IN ('p', 'u', 'f')
      ORDER BY 2, 1`,
    [SCHEMA],
  );
  const triggers = await client.query<{ name: string; table: string }>(
    `SELECT tg.tgname AS name, tc.relname AS table
       FROM pg_trigger tg
       JOIN pg_class tc ON tc.oid = tg.tgrelid
       JOIN pg_namespace n ON n.oid = tc.relnamespace
      WHERE n.nspname = $1 AND NOT tg.tgisinternal
      ORDER BY 2, 1`,
    [SCHEMA],
  );

  return {
    tables: tables.rows,
    columns: columns.rows.map((row) => ({
      table: row.table,
      name: row.name,
      type:
        row.typtype === "e"
          ? quoteAlways(row.typname)
          : row.elem_typtype === "e" && row.elem_typname
            ? `${quoteAlways(row.elem_typname)}[]`
            : row.format,
      notNull: row.not_null,
      default: row.default,
    })),
    enums: enums.rows,
    indexes: indexes.rows,
    foreignKeys: foreignKeys.rows.map((row) => ({
      name: row.name,
      table: row.table,
      columns: row.columns,
      referencedTable: row.referenced_table,
      referencedColumns: row.referenced_columns,
      onDelete: FK_ACTIONS[row.on_delete] ?? row.on_delete,
      onUpdate: FK_ACTIONS[row.on_update] ?? row.on_update,
    })),
    otherConstraints: otherConstraints.rows,
    triggers: triggers.rows,
  };
}

// ---------------------------------------------------------------------------------------------
// What the Prisma schema implies for Postgres (as `prisma migrate dev` would create it)
// ---------------------------------------------------------------------------------------------

function quoteAlways(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const fmtList = (items: string[]) => `(${items.join(", ")})`;

const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => "text",
  VarChar: (a) => (a[0] ? `character varying(${a[0]})` : "character varying"),
  Char: (a) => `character(${a[0] ?? "1"})`,
  Uuid: () => "uuid",
  Citext: () => "citext",
  Xml: () => "xml",
  Inet: () => "inet",
  Bit: (a) => `bit(${a[0] ?? "1"})`,
  VarBit: (a) => (a[0] ? `bit varying(${a[0]})` : "bit varying"),
  SmallInt: () => "smallint",
  Integer: () => "integer",
  Oid: () => "oid",
  BigInt: () => "bigint",
  Real: () => "real",
  DoublePrecision: () => "double precision",
  Decimal: (a) => (a.length ? `numeric(${a.join(",")})` : "numeric"),
  Money: () => "money",
  Boolean: () => "boolean",
  Timestamp: (a) => (a[0] ? `timestamp(${a[0]}) without time zone` : "timestamp without time zone"),
  Timestamptz: (a) => (a[0] ? `timestamp(${a[0]}) with time zone` : "timestamp with time zone"),
  Date: () => "date",
  Time: (a) => (a[0] ? `time(${a[0]}) without time zone` : "time without time zone"),
  Timetz: (a) => (a[0] ? `time(${a[0]}) with time zone` : "time with time zone"),
  Json: () => "json",
  JsonB: () => "jsonb",
  ByteA: () => "bytea",
};

const DEFAULT_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};

/** The `::type` Postgres prints after a literal default of this column type. */
function castName(formatType: string): string {
  if (formatType.startsWith("character varying")) return "character varying";
  if (formatType.startsWith("character(")) return "bpchar";
  if (formatType.startsWith("timestamp") && formatType.endsWith("with time zone")) return "timestamp with time zone";
  if (formatType.startsWith("timestamp")) return "timestamp without time zone";
  if (formatType.startsWith("numeric")) return "numeric";
  return formatType;
}

interface Context {
  enumDbName: Map<string, string>;
  enumValueDbName: Map<string, Map<string, string>>;
  modelByName: Map<string, DmmfModel>;
}

const tableOf = (model: DmmfModel) => model.dbName ?? model.name;
const columnOf = (field: DmmfField) => field.dbName ?? field.name;

function fieldColumn(model: DmmfModel, fieldName: string): string {
  const field = model.fields.find((candidate) => candidate.name === fieldName);
  return field ? columnOf(field) : fieldName;
}

function expectedType(field: DmmfField, ctx: Context): string | null {
  let base: string | null;
  if (field.kind === "enum") base = quoteAlways(ctx.enumDbName.get(field.type) ?? field.type);
  else if (field.kind === "unsupported") base = null;
  else if (field.nativeType) {
    const [name, args] = field.nativeType;
    base = NATIVE_TYPES[name]?.(args) ?? `${name.toLowerCase()}${args.length ? `(${args.join(",")})` : ""}`;
  } else base = DEFAULT_TYPES[field.type] ?? null;
  return base && field.isList ? `${base}[]` : base;
}

/** The default as pg_get_expr prints it; undefined when it cannot be predicted (compare presence only). */
function expectedDefault(
  field: DmmfField,
  type: string | null,
  table: string,
  ctx: Context,
): string | null | undefined {
  const value = field.default;
  if (value === undefined) return null;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    switch (value.name) {
      case "now":
        return "CURRENT_TIMESTAMP";
      case "dbgenerated":
        return typeof value.args[0] === "string" ? value.args[0] : undefined;
      case "autoincrement":
        return `nextval('${quoteIfNeeded(`${table}_${columnOf(field)}_seq`)}'::regclass)`;
      default:
        // uuid(), cuid(), nanoid(), ulid(): generated by the Prisma client, no database default.
        return null;
    }
  }
  if (Array.isArray(value)) return undefined;
  if (field.kind === "enum") {
    const enumName = ctx.enumDbName.get(field.type) ?? field.type;
    const dbValue = ctx.enumValueDbName.get(field.type)?.get(String(value)) ?? String(value);
    return `${sqlString(dbValue)}::${quoteAlways(enumName)}`;
  }
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number" || field.type === "BigInt" || field.type === "Decimal") {
    const text = String(value);
    return text.startsWith("-") && type ? `${sqlString(text)}::${castName(type)}` : text;
  }
  return type ? `${sqlString(String(value))}::${castName(type)}` : undefined;
}

function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteAlways(name);
}

/** Prisma's default constraint names (truncated to Postgres' 63-byte identifiers). */
function defaultIndexName(table: string, columns: string[], type: DmmfIndex["type"]): string {
  const name = type === "id" ? `${table}_pkey` : `${table}_${columns.join("_")}_${type === "unique" ? "key" : "idx"}`;
  return name.slice(0, 63);
}

interface ExpectedIndex {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  predicate: string | null;
  method: string;
  source: string;
}

function describeIndex(index: {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  predicate: string | null;
}) {
  const kind = index.primary ? "primary key" : index.unique ? "unique index" : "index";
  return `${kind} "${index.name}" on "${index.table}"${fmtList(index.columns)}${index.predicate ? ` WHERE ${index.predicate}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

/** Human-readable differences between a Prisma datamodel and a database catalog; empty when they agree. */
export function compareSchema(
  datamodel: Datamodel,
  catalog: Catalog,
  allowed: DatabaseOnlyObjects = DATABASE_ONLY_OBJECTS,
): string[] {
  const diffs: string[] = [];
  const ctx: Context = {
    enumDbName: new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name])),
    enumValueDbName: new Map(
      datamodel.enums.map((e) => [e.name, new Map(e.values.map((v) => [v.name, v.dbName ?? v.name]))]),
    ),
    modelByName: new Map(datamodel.models.map((m) => [m.name, m])),
  };
  const ignoredTables = new Set(allowed.tables);

  // Tables
  const dbTables = new Map(catalog.tables.map((t) => [t.name, t]));
  const modelTables = new Set(datamodel.models.map(tableOf));
  for (const model of datamodel.models) {
    const table = tableOf(model);
    const found = dbTables.get(table);
    if (!found) diffs.push(`table "${table}" (model ${model.name}) is missing from the database`);
    else if (found.kind !== "r" && found.kind !== "p")
      diffs.push(`"${table}" (model ${model.name}) is not a table in the database (relkind ${found.kind})`);
  }
  for (const table of catalog.tables) {
    if (!modelTables.has(table.name) && !ignoredTables.has(table.name)) {
      diffs.push(`table "${table.name}" exists in the database but no model in schema.prisma maps to it`);
    }
  }
  for (const table of allowed.tables) {
    if (!dbTables.has(table)) diffs.push(`allowlisted table "${table}" is missing from the database`);
  }

  // Enums
  const dbEnums = new Map(catalog.enums.map((e) => [e.name, e.values]));
  for (const prismaEnum of datamodel.enums) {
    const name = prismaEnum.dbName ?? prismaEnum.name;
    const expected = prismaEnum.values.map((v) => v.dbName ?? v.name);
    const actual = dbEnums.get(name);
    if (!actual) diffs.push(`enum "${name}" is missing from the database`);
    else if (expected.join("\u0000") !== actual.join("\u0000")) {
      diffs.push(
        `enum "${name}": values are [${expected.join(", ")}] in schema.prisma but [${actual.join(", ")}] in the database`,
      );
    }
  }
  const prismaEnums = new Set(datamodel.enums.map((e) => e.dbName ?? e.name));
  for (const dbEnum of catalog.enums) {
    if (!prismaEnums.has(dbEnum.name))
      diffs.push(`enum "${dbEnum.name}" exists in the database but not in schema.prisma`);
  }

  // Columns
  const dbColumns = new Map<string, DbColumn>();
  for (const column of catalog.columns) dbColumns.set(`${column.table}.${column.name}`, column);
  const expectedColumns = new Set<string>();
  for (const model of datamodel.models) {
    const table = tableOf(model);
    if (!dbTables.has(table)) continue;
    for (const field of model.fields) {
      if (field.kind === "object") {
        if (field.isList && !field.relationFromFields?.length) {
          const other = ctx.modelByName.get(field.type);
          const back = other?.fields.find((f) => f.relationName === field.relationName && f !== field);
          if (back?.isList)
            diffs.push(
              `${model.name}.${field.name}: implicit many-to-many relations are not supported by the parity check`,
            );
        }
        continue;
      }
      const column = columnOf(field);
      const key = `${table}.${column}`;
      expectedColumns.add(key);
      const actual = dbColumns.get(key);
      const where = `column "${table}"."${column}"`;
      if (!actual) {
        diffs.push(`${where} (field ${model.name}.${field.name}) is missing from the database`);
        continue;
      }
      const type = expectedType(field, ctx);
      if (type !== null && type !== actual.type) {
        diffs.push(`${where}: type is ${type} in schema.prisma but ${actual.type} in the database`);
      }
      if (!field.isList && field.isRequired !== actual.notNull) {
        diffs.push(
          `${where}: ${field.isRequired ? "required (NOT NULL)" : "optional (NULL)"} in schema.prisma but ${actual.notNull ? "NOT NULL" : "nullable"} in the database`,
        );
      }
      const def = expectedDefault(field, type, table, ctx);
      if (def === undefined) {
        if (actual.default === null) diffs.push(`${where}: has a default in schema.prisma but none in the database`);
      } else if (def !== actual.default) {
        const show = (value: string | null) => (value === null ? "no default" : `default ${value}`);
        diffs.push(`${where}: ${show(def)} in schema.prisma but ${show(actual.default)} in the database`);
      }
    }
  }
  for (const column of catalog.columns) {
    if (ignoredTables.has(column.table) || !modelTables.has(column.table)) continue;
    if (!expectedColumns.has(`${column.table}.${column.name}`)) {
      diffs.push(
        `column "${column.table}"."${column.name}" (${column.type}) exists in the database but not in schema.prisma`,
      );
    }
  }

  // Indexes (primary keys, unique constraints and plain indexes)
  const expectedIndexes: ExpectedIndex[] = [];
  for (const index of datamodel.indexes) {
    const model = ctx.modelByName.get(index.model);
    if (!model || index.type === "fulltext") continue;
    const table = tableOf(model);
    const columns = index.fields.map((f) => fieldColumn(model, f.name));
    expectedIndexes.push({
      name: index.dbName ?? defaultIndexName(table, columns, index.type),
      table,
      columns: index.fields.map((f, i) => `${columns[i]}${f.sortOrder === "desc" ? " DESC" : ""}`),
      unique: index.type !== "normal",
      primary: index.type === "id",
      predicate: null,
      method: (index.algorithm ?? "btree").toLowerCase(),
      source: `${index.model} @${index.type === "id" ? "id" : index.type === "unique" ? "unique" : "@index"}${fmtList(index.fields.map((f) => f.name))}`,
    });
  }
  for (const entry of allowed.indexes) {
    expectedIndexes.push({
      ...entry,
      primary: false,
      method: entry.method ?? "btree",
      source: `allowlist (${entry.why})`,
    });
  }
  const dbIndexes = new Map(catalog.indexes.map((i) => [i.name, i]));
  const matched = new Set<string>();
  for (const expected of expectedIndexes) {
    if (!dbTables.has(expected.table)) continue;
    let actual = dbIndexes.get(expected.name);
    if (actual && actual.table !== expected.table) actual = undefined;
    if (!actual) {
      const same = catalog.indexes.find(
        (i) =>
          !matched.has(i.name) &&
          i.table === expected.table &&
          i.unique === expected.unique &&
          i.predicate === expected.predicate &&
          i.columns.join(",") === expected.columns.join(","),
      );
      if (same) {
        matched.add(same.name);
        diffs.push(`${describeIndex(expected)} (${expected.source}) is named "${same.name}" in the database`);
      } else {
        diffs.push(`${describeIndex(expected)} (${expected.source}) is missing from the database`);
      }
      continue;
    }
    matched.add(actual.name);
    const problems: string[] = [];
    if (actual.columns.join(",") !== expected.columns.join(",")) problems.push(`columns ${fmtList(actual.columns)}`);
    if (actual.primary !== expected.primary) problems.push(actual.primary ? "a primary key" : "not a primary key");
    else if (actual.unique !== expected.unique) problems.push(actual.unique ? "unique" : "not unique");
    if (actual.predicate !== expected.predicate)
      problems.push(actual.predicate ? `partial (WHERE ${actual.predicate})` : "not partial");
    if (actual.method !== expected.method) problems.push(`using ${actual.method}`);
    if (problems.length)
      diffs.push(`${describeIndex(expected)} (${expected.source}) is ${problems.join(", ")} in the database`);
  }
  for (const index of catalog.indexes) {
    if (matched.has(index.name) || ignoredTables.has(index.table)) continue;
    diffs.push(`${describeIndex(index)} exists in the database but not in schema.prisma`);
  }

  // Foreign keys
  const expectedFks: (Omit<DbForeignKey, "name"> & { source: string })[] = [];
  for (const model of datamodel.models) {
    for (const field of model.fields) {
      if (field.kind !== "object" || !field.relationFromFields?.length) continue;
      const target = ctx.modelByName.get(field.type);
      if (!target) continue;
      const fromFields = field.relationFromFields.map((name) => model.fields.find((f) => f.name === name));
      const anyRequired = fromFields.some((f) => f?.isRequired);
      const action = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
      expectedFks.push({
        table: tableOf(model),
        columns: field.relationFromFields.map((name) => fieldColumn(model, name)),
        referencedTable: tableOf(target),
        referencedColumns: (field.relationToFields ?? []).map((name) => fieldColumn(target, name)),
        onDelete: action(field.relationOnDelete ?? (anyRequired ? "Restrict" : "SetNull")),
        onUpdate: action(field.relationOnUpdate ?? "Cascade"),
        source: `${model.name}.${field.name}`,
      });
    }
  }
  const fkMatched = new Set<string>();
  for (const expected of expectedFks) {
    if (!dbTables.has(expected.table)) continue;
    const actual = catalog.foreignKeys.find(
      (fk) =>
        !fkMatched.has(fk.name) && fk.table === expected.table && fk.columns.join(",") === expected.columns.join(","),
    );
    const what = `foreign key "${expected.table}"${fmtList(expected.columns)} → "${expected.referencedTable}"${fmtList(expected.referencedColumns)} (relation ${expected.source})`;
    if (!actual) {
      diffs.push(`${what} is missing from the database`);
      continue;
    }
    fkMatched.add(actual.name);
    const problems: string[] = [];
    if (
      actual.referencedTable !== expected.referencedTable ||
      actual.referencedColumns.join(",") !== expected.referencedColumns.join(",")
    ) {
      problems.push(`references "${actual.referencedTable}"${fmtList(actual.referencedColumns)}`);
    }
    if (actual.onDelete !== expected.onDelete)
      problems.push(`ON DELETE ${actual.onDelete} (schema.prisma: ${expected.onDelete})`);
    if (actual.onUpdate !== expected.onUpdate)
      problems.push(`ON UPDATE ${actual.onUpdate} (schema.prisma: ${expected.onUpdate})`);
    if (problems.length) diffs.push(`${what}: "${actual.name}" ${problems.join(", ")} in the database`);
  }
  for (const fk of catalog.foreignKeys) {
    if (fkMatched.has(fk.name) || ignoredTables.has(fk.table)) continue;
    diffs.push(
      `foreign key "${fk.name}" on "${fk.table}"${fmtList(fk.columns)} → "${fk.referencedTable}"${fmtList(fk.referencedColumns)} exists in the database but not in schema.prisma`,
    );
  }

  // Check (and any other) constraints, triggers
  const checksSeen = new Set<string>();
  for (const constraint of catalog.otherConstraints) {
    if (ignoredTables.has(constraint.table)) continue;
    const allowedCheck = allowed.checks.find((c) => c.name === constraint.name && c.table === constraint.table);
    if (!allowedCheck) {
      diffs.push(
        `constraint "${constraint.name}" on "${constraint.table}" (${constraint.definition}) exists in the database but is neither in schema.prisma nor allowlisted`,
      );
      continue;
    }
    checksSeen.add(constraint.name);
    if (constraint.definition !== allowedCheck.definition) {
      diffs.push(
        `allowlisted constraint "${constraint.name}" on "${constraint.table}" is ${constraint.definition} in the database, expected ${allowedCheck.definition}`,
      );
    }
  }
  for (const check of allowed.checks) {
    if (!checksSeen.has(check.name))
      diffs.push(
        `allowlisted constraint "${check.name}" on "${check.table}" (${check.definition}) is missing from the database`,
      );
  }
  for (const trigger of catalog.triggers) {
    if (ignoredTables.has(trigger.table)) continue;
    diffs.push(
      `trigger "${trigger.name}" on "${trigger.table}" exists in the database but schema.prisma cannot express it and it is not allowlisted`,
    );
  }

  return diffs;
}

/** Differences between a Prisma schema file (default: the real one) and the database at `client`. */
export async function schemaDifferences(client: pg.Client, schemaPath = SCHEMA_PATH): Promise<string[]> {
  const datamodel = readDatamodel(readFileSync(schemaPath, "utf8"));
  return compareSchema(datamodel, await readCatalog(client));
}
