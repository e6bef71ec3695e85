import GRDB

/// The registry's schema as a sequence of named, append-only migrations.
///
/// A migration, once released, never changes: a later schema change is a new
/// migration ("v2", …) so that every existing registry file upgrades in place.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        migrator.registerMigration("v4", migrate: v4)
        migrator.registerMigration("v5", migrate: v5)
        migrator.registerMigration("v6", migrate: v6)
        migrator.registerMigration("v7", migrate: v7)
        migrator.registerMigration("v8", migrate: v8)
        return migrator
    }

    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE models (
                name        TEXT PRIMARY KEY NOT NULL,
                created_at  TEXT NOT NULL
            );

            CREATE TABLE versions (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                model            TEXT NOT NULL REFERENCES models(name),
                version          INTEGER NOT NULL CHECK (version >= 1),
                run_id           TEXT NOT NULL,
                kind             TEXT NOT NULL,
                created_at       TEXT NOT NULL,
                artifact_sha256  TEXT NOT NULL,
                artifact_path    TEXT NOT NULL,
                artifact_bytes   INTEGER NOT NULL,
                dataset_sha256   TEXT NOT NULL,
                config_sha256    TEXT NOT NULL,
                shard_ids        TEXT NOT NULL,
                parameters       TEXT NOT NULL,
                code_version     TEXT NOT NULL,
                worker           TEXT NOT NULL,
                train_seconds    REAL NOT NULL,
                status           TEXT NOT NULL DEFAULT 'registered',
                UNIQUE (model, version)
            );
            CREATE INDEX versions_by_created_at ON versions(created_at);
            CREATE INDEX versions_by_run ON versions(run_id);

            CREATE TABLE metrics (
                version_id  INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                split       TEXT NOT NULL,
                name        TEXT NOT NULL,
                value       REAL,
                PRIMARY KEY (version_id, split, name)
            );
            CREATE INDEX metrics_by_name_value ON metrics(name, split, value);

            CREATE TABLE feature_importance (
                version_id     INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                rank           INTEGER NOT NULL,
                feature        TEXT NOT NULL,
                gain           REAL,
                splits         INTEGER NOT NULL,
                permutation    REAL,
                mean_abs_shap  REAL,
                PRIMARY KEY (version_id, feature)
            );

            CREATE TABLE reports (
                version_id  INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                name        TEXT NOT NULL,
                body        TEXT NOT NULL,
                PRIMARY KEY (version_id, name)
            );

            CREATE TABLE aliases (
                model       TEXT NOT NULL,
                alias       TEXT NOT NULL,
                version     INTEGER NOT NULL,
                updated_at  TEXT NOT NULL,
                PRIMARY KEY (model, alias),
                FOREIGN KEY (model, version) REFERENCES versions(model, version)
            );
            CREATE INDEX aliases_by_version ON aliases(model, version);

            CREATE TABLE events (
                id       INTEGER PRIMARY KEY AUTOINCREMENT,
                model    TEXT NOT NULL REFERENCES models(name),
                version  INTEGER,
                action   TEXT NOT NULL,
                actor    TEXT NOT NULL,
                at       TEXT NOT NULL,
                detail   TEXT NOT NULL
            );
            CREATE INDEX events_by_model ON events(model, id);

            CREATE TABLE runs (
                id              TEXT PRIMARY KEY NOT NULL,
                config_sha256   TEXT NOT NULL,
                dataset_sha256  TEXT NOT NULL,
                started_at      TEXT NOT NULL,
                finished_at     TEXT,
                status          TEXT NOT NULL
            );
            CREATE INDEX runs_by_started_at ON runs(started_at);

            CREATE TABLE jobs (
                run_id      TEXT NOT NULL REFERENCES runs(id),
                job_id      TEXT NOT NULL,
                model       TEXT NOT NULL,
                status      TEXT NOT NULL,
                attempt     INTEGER NOT NULL,
                worker      TEXT,
                version     INTEGER,
                error       TEXT,
                updated_at  TEXT NOT NULL,
                PRIMARY KEY (run_id, job_id)
            );
            """)
    }

    /// Lineage (objective, host, training start and end, prohibited features), stages,
    /// the audit log's from/to/reason, fairness, data quality and drift profiles.
    private static func v2(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE versions ADD COLUMN stage TEXT NOT NULL DEFAULT 'none'
                CHECK (stage IN ('none', 'staging', 'production', 'archived'));
            UPDATE versions SET stage = 'archived' WHERE status = 'archived';
            ALTER TABLE versions ADD COLUMN objective TEXT;
            ALTER TABLE versions ADD COLUMN host TEXT;
            ALTER TABLE versions ADD COLUMN started_at TEXT;
            ALTER TABLE versions ADD COLUMN finished_at TEXT;
            ALTER TABLE versions ADD COLUMN prohibited_features TEXT NOT NULL DEFAULT '[]';
            CREATE UNIQUE INDEX versions_one_production ON versions(model) WHERE stage = 'production';
            CREATE UNIQUE INDEX versions_one_staging ON versions(model) WHERE stage = 'staging';
            CREATE INDEX versions_by_stage ON versions(stage, model);

            ALTER TABLE events ADD COLUMN from_value TEXT;
            ALTER TABLE events ADD COLUMN to_value TEXT;
            ALTER TABLE events ADD COLUMN reason TEXT;

            CREATE TABLE fairness (
                version_id  INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                attribute   TEXT NOT NULL,
                group_name  TEXT NOT NULL,
                metric      TEXT NOT NULL,
                value       REAL,
                PRIMARY KEY (version_id, attribute, group_name, metric)
            );

            CREATE TABLE fairness_summaries (
                version_id            INTEGER PRIMARY KEY NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                verdict               TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
                min_disparate_impact  REAL,
                body                  TEXT NOT NULL
            );
            CREATE INDEX fairness_summaries_by_verdict ON fairness_summaries(verdict);
            CREATE INDEX fairness_summaries_by_min_di ON fairness_summaries(min_disparate_impact);

            CREATE TABLE quality_reports (
                run_id       TEXT PRIMARY KEY NOT NULL REFERENCES runs(id),
                errors       INTEGER NOT NULL CHECK (errors >= 0),
                warnings     INTEGER NOT NULL CHECK (warnings >= 0),
                body         TEXT NOT NULL,
                recorded_at  TEXT NOT NULL
            );

            CREATE TABLE profiles (
                run_id   TEXT NOT NULL REFERENCES runs(id),
                feature  TEXT NOT NULL,
                body     TEXT NOT NULL,
                PRIMARY KEY (run_id, feature)
            );
            """)
    }

    /// A covering index for reading the metrics of listed versions without visiting the
    /// table (listing 1,788 of 10,000 versions: metrics read in 6 ms instead of 10).
    private static func v3(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX metrics_by_version ON metrics(version_id, split, name, value)")
    }

    /// Resumable runs: each journaled job names the content-addressed shard holding its
    /// predictions, and a run records who coordinates it and how often it was resumed.
    private static func v4(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE jobs ADD COLUMN predictions TEXT;
            ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0 CHECK (resumes >= 0);
            ALTER TABLE runs ADD COLUMN coordinator_host TEXT;
            ALTER TABLE runs ADD COLUMN coordinator_pid INTEGER;
            """)
    }

    /// `engage watch`'s inbox batches, one row per content (SHA-256): recorded when claimed,
    /// before anything acts on them, so that a restarted watch neither redoes nor loses one.
    private static func v5(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE batches (
                sha256      TEXT PRIMARY KEY NOT NULL,
                file        TEXT NOT NULL,
                rows        INTEGER,
                claimed_at  TEXT NOT NULL,
                finished_at TEXT,
                status      TEXT NOT NULL CHECK (status IN ('claimed', 'done', 'failed')),
                verdict     TEXT,
                trigger     TEXT,
                action      TEXT,
                run_id      TEXT,
                error       TEXT
            );
            CREATE INDEX batches_by_claimed_at ON batches(claimed_at);
            """)
    }

    /// `engage watch`'s schedule slots, one row per due time: recorded with the run id before
    /// the slot's retraining starts, so a restarted watch resumes that run instead of starting a
    /// second one, and a finished slot is not fired again.
    private static func v6(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE schedule_slots (
                due_at      TEXT PRIMARY KEY NOT NULL,
                run_id      TEXT NOT NULL UNIQUE,
                claimed_at  TEXT NOT NULL,
                finished_at TEXT,
                status      TEXT NOT NULL CHECK (status IN ('claimed', 'done', 'failed')),
                action      TEXT,
                error       TEXT
            );
            """)
    }

    /// Each done job's measured seconds and estimated work units, so that a later run's scheduler
    /// can learn how long each model's jobs take (`JobCostModel`).
    private static func v7(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE jobs ADD COLUMN seconds REAL CHECK (seconds IS NULL OR seconds >= 0);
            ALTER TABLE jobs ADD COLUMN units REAL CHECK (units IS NULL OR units >= 0);
            """)
    }

    /// `engage serve`'s sampled request log: the features each logged request sent and the
    /// outputs the answering version gave, so that served traffic can be compared with the
    /// version's reference profile.
    private static func v8(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE served_requests (
                id        INTEGER PRIMARY KEY AUTOINCREMENT,
                model     TEXT NOT NULL,
                version   INTEGER NOT NULL CHECK (version >= 1),
                served_at TEXT NOT NULL,
                rows      INTEGER NOT NULL CHECK (rows >= 1),
                features  TEXT NOT NULL,
                outputs   TEXT NOT NULL
            );
            CREATE INDEX served_requests_by_version ON served_requests(model, version, served_at);
            """)
    }
}
