import GRDB

extension ResultsStore {
    /// The schema, as named migrations that are appended to and never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE prompt_set (
                    name TEXT PRIMARY KEY,
                    protocol TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE TABLE prompt (
                    set_name TEXT NOT NULL REFERENCES prompt_set(name),
                    prompt_id INTEGER NOT NULL,
                    category TEXT NOT NULL,
                    category_label TEXT NOT NULL,
                    subcategory TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    prompt TEXT NOT NULL,
                    explanation TEXT NOT NULL,
                    text_hash TEXT NOT NULL,
                    PRIMARY KEY (set_name, prompt_id)
                );
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    set_name TEXT NOT NULL REFERENCES prompt_set(name),
                    protocol TEXT NOT NULL,
                    generator_spec TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE image (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    prompt_id INTEGER NOT NULL,
                    sample_index INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL CHECK (status IN ('ok', 'missing', 'external')),
                    path TEXT,
                    sha256 TEXT,
                    format TEXT,
                    byte_count INTEGER,
                    problem TEXT,
                    recorded_at TEXT NOT NULL,
                    UNIQUE (run_id, prompt_id, sample_index)
                );
                CREATE TABLE judgment (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    image_id INTEGER NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    judge_key TEXT NOT NULL,
                    judge_spec TEXT NOT NULL,
                    protocol TEXT NOT NULL,
                    rubric_sha256 TEXT,
                    repeat_index INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL CHECK (status IN ('ok', 'unscored', 'failed')),
                    scores TEXT,
                    wiscore REAL,
                    raw_reply TEXT,
                    error TEXT,
                    latency_ms REAL,
                    tokens_in INTEGER,
                    tokens_out INTEGER,
                    created_at TEXT NOT NULL,
                    UNIQUE (image_id, judge_key, repeat_index)
                );
                CREATE INDEX judgment_by_judge ON judgment(judge_key);
                """)
        }
        migrator.registerMigration("v2-judge-cache") { db in
            // What a judgment was about, so an identical request in another run is answered from the store.
            try db.execute(sql: """
                ALTER TABLE judgment ADD COLUMN prompt_hash TEXT;
                ALTER TABLE judgment ADD COLUMN image_sha256 TEXT;
                ALTER TABLE judgment ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE judgment ADD COLUMN http_status INTEGER;
                ALTER TABLE judgment ADD COLUMN cached_from INTEGER REFERENCES judgment(id) ON DELETE SET NULL;
                CREATE INDEX judgment_cache ON judgment(judge_key, prompt_hash, image_sha256, repeat_index);
                """)
        }
        migrator.registerMigration("v3-evidence") { db in
            // What a judge produced besides its scores: which model answered, raw measurements of
            // judges without tokens, replies before the one that counted, and other readings of it.
            try db.execute(sql: """
                ALTER TABLE judgment ADD COLUMN served_model TEXT;
                ALTER TABLE judgment ADD COLUMN system_fingerprint TEXT;
                ALTER TABLE judgment ADD COLUMN measurements TEXT;
                ALTER TABLE judgment ADD COLUMN earlier_replies TEXT;
                ALTER TABLE judgment ADD COLUMN other_readings TEXT;
                ALTER TABLE judgment ADD COLUMN endpoint TEXT;
                """)
        }
        migrator.registerMigration("v4-generation") { db in
            // Images made by a generator: the seed each was made with, how long it took, the
            // generator's own metadata and how many tries it took; and every generation pass,
            // with the ids it was asked for (a partial or sharded run says which).
            try db.execute(sql: """
                ALTER TABLE image ADD COLUMN seed INTEGER;
                ALTER TABLE image ADD COLUMN seconds REAL;
                ALTER TABLE image ADD COLUMN generator_metadata TEXT;
                ALTER TABLE image ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
                CREATE TABLE generation_pass (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    generator_spec TEXT NOT NULL,
                    selection TEXT NOT NULL,
                    requested_ids TEXT NOT NULL,
                    samples INTEGER NOT NULL,
                    seed_rule TEXT NOT NULL,
                    started_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5-refusals") { db in
            // Why an image (or its absence) is a refusal: a safety checker's blank, a flat
            // image, an image API's content policy. Reports count these apart.
            try db.execute(sql: "ALTER TABLE image ADD COLUMN refusal TEXT")
        }
        return migrator
    }
}
