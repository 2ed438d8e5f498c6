//! The knowledge base made searchable: document format, language and chunk count; each chunk's
//! heading path and analysed search terms with a full-text index (SQLite FTS5 ranked by BM25,
//! PostgreSQL `tsvector` with the `simple` configuration and a GIN index, `pg_trgm` when the
//! extension can be installed); and which passages each reply quoted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Statements both backends accept.
const COMMON: &[&str] = &[
    "ALTER TABLE knowledge_base ADD COLUMN format VARCHAR(16) NOT NULL DEFAULT 'text'",
    "ALTER TABLE knowledge_base ADD COLUMN language VARCHAR(8) NULL",
    "ALTER TABLE knowledge_base ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE knowledge_chunks ADD COLUMN heading_path TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE knowledge_chunks ADD COLUMN search_terms TEXT NOT NULL DEFAULT ''",
];

const SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS message_sources (\
        message_id BLOB NOT NULL REFERENCES messages(id) ON DELETE CASCADE ON UPDATE CASCADE, \
        position INTEGER NOT NULL, \
        tenant_id BLOB NOT NULL REFERENCES clients(id) ON DELETE CASCADE ON UPDATE CASCADE, \
        document_id BLOB NOT NULL, \
        chunk_id BLOB NOT NULL, \
        title TEXT NOT NULL, \
        PRIMARY KEY (message_id, position))",
    // The index holds the tenant as a token column (weight 0 in the ranking) so a search matches
    // only the tenant's rows inside the index; the chunk id links back to the row.
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_chunks_fts USING fts5(\
        tenant, terms, chunk_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_chunks_fts_insert AFTER INSERT ON knowledge_chunks BEGIN \
        INSERT INTO knowledge_chunks_fts (tenant, terms, chunk_id) \
        VALUES ('t' || lower(hex(new.tenant_id)), new.search_terms, new.id); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_chunks_fts_delete AFTER DELETE ON knowledge_chunks BEGIN \
        DELETE FROM knowledge_chunks_fts WHERE chunk_id = old.id; END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS message_sources (\
        message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE ON UPDATE CASCADE, \
        position INTEGER NOT NULL, \
        tenant_id UUID NOT NULL REFERENCES clients(id) ON DELETE CASCADE ON UPDATE CASCADE, \
        document_id UUID NOT NULL, \
        chunk_id UUID NOT NULL, \
        title TEXT NOT NULL, \
        PRIMARY KEY (message_id, position))",
    "ALTER TABLE knowledge_chunks ADD COLUMN search_vector tsvector \
        GENERATED ALWAYS AS (to_tsvector('simple', search_terms)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_knowledge_chunks_search ON knowledge_chunks USING GIN (search_vector)",
];

/// Installs `pg_trgm` when the role may; a database without it searches by full text alone.
const PG_TRGM: &str = "DO $$ BEGIN \
    CREATE EXTENSION IF NOT EXISTS pg_trgm; \
    EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm not available: %', SQLERRM; \
    END $$";

// The trait spells the manager as `&SchemaManager` and `async_trait` turns the
// elided lifetime into its own parameter, so the impl must elide it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for sql in COMMON {
            db.execute_unprepared(sql).await?;
        }
        let specific = match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(PG_TRGM).await?;
                POSTGRES
            }
            _ => SQLITE,
        };
        for sql in specific {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let mut sql: Vec<&str> = vec!["DROP TABLE IF EXISTS message_sources"];
        match backend {
            DbBackend::Postgres => {
                sql.push("DROP INDEX IF EXISTS ix_knowledge_chunks_search");
                sql.push("ALTER TABLE knowledge_chunks DROP COLUMN search_vector");
            }
            _ => {
                sql.push("DROP TRIGGER IF EXISTS knowledge_chunks_fts_insert");
                sql.push("DROP TRIGGER IF EXISTS knowledge_chunks_fts_delete");
                sql.push("DROP TABLE IF EXISTS knowledge_chunks_fts");
            }
        }
        sql.extend([
            "ALTER TABLE knowledge_chunks DROP COLUMN search_terms",
            "ALTER TABLE knowledge_chunks DROP COLUMN heading_path",
            "ALTER TABLE knowledge_base DROP COLUMN chunk_count",
            "ALTER TABLE knowledge_base DROP COLUMN language",
            "ALTER TABLE knowledge_base DROP COLUMN format",
        ]);
        for s in sql {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }
}
