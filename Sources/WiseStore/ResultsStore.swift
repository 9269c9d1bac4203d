import Foundation
import GRDB
import WiseCore

/// The SQLite file that holds every run, image and judgment, each committed as it is made.
///
/// The store owns its connection, runs named migrations on open and exposes task-level
/// methods; no SQL lives outside this module. It uses WAL mode, so a crash loses at most the
/// row being written and a reader never blocks the writer.
public final class ResultsStore: Sendable {
    let queue: DatabaseQueue
    public let path: String

    /// How a command needs its store.
    public enum Access: Sendable {
        /// Reads only: opened read-only, never migrated, never switched to WAL; works on a file the user may only read.
        case readOnly
        /// Writes to an existing store, upgrading its schema when it is older.
        case write
        /// Writes, creating the store (and its folder) when there is none.
        case create
    }

    /// Opens (and when `create` is true, creates) the store at a path, for writing.
    public convenience init(path: String, create: Bool) throws {
        try self.init(path: path, access: create ? .create : .write)
    }

    /// Opens the store at a path as a command needs it.
    ///
    /// Whatever the access, a file that is not a wise store (another program's SQLite database,
    /// a text file) and a store written by a newer wise are refused before anything touches them.
    /// A missing store is an error unless `access` is `.create`, so a typo in `--store` never leaves a new empty file.
    public init(path: String, access: Access) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let kind = PathKind(path)
        let exists = kind != .missing
        if kind == .directory {
            throw StoreError("store \(path) is a directory; pass a file path such as \(path)/wise.sqlite to --store", kind: .cannotCreate)
        }
        if !exists {
            guard access == .create else {
                throw StoreError("no store at \(path); create one with `wise run` or `wise import`, or pass the right --store", kind: .missingInput)
            }
            let parent = url.deletingLastPathComponent()
            let parentKind = PathKind(parent.path)
            if parentKind != .missing {
                guard parentKind == .directory else {
                    throw StoreError("cannot create store \(path): \(parent.path) is a file, not a directory", kind: .cannotCreate)
                }
            } else {
                do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
                    throw StoreError("cannot create store \(path): \(parent.path) cannot be made (\(error.localizedDescription))", kind: .cannotCreate)
                }
            }
        } else {
            try Self.checkIsWiseStore(path, readOnly: access == .readOnly)
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        if access == .readOnly {
            config.readonly = true
        } else {
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            if access == .readOnly {
                queue = try Self.readOnlyQueue(path, configuration: config)
            } else {
                queue = try DatabaseQueue(path: path, configuration: config)
                try Self.migrator.migrate(queue)
            }
        } catch let error as DatabaseError {
            if !exists { try? FileManager.default.removeItem(atPath: path) }
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Refuses, without changing a byte, a file that is not a wise store or whose schema this wise does not know.
    static func checkIsWiseStore(_ path: String, readOnly: Bool) throws {
        guard isSQLiteFile(path) else {
            throw StoreError("\(path) is not a wise store (not an SQLite file); pass the right --store", kind: .badData)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
        if size == 0 {
            // SQLite treats an empty file as a new database: fine to write, nothing to read.
            guard !readOnly else { throw StoreError("store \(path) is empty: it holds no runs yet", kind: .missingInput) }
            return
        }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        let schema: (tables: [String], applied: [String])
        do {
            let queue = try readOnlyQueue(path, configuration: config)
            schema = try queue.read { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                let applied = tables.contains("grdb_migrations")
                    ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                return (tables, applied)
            }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
        if schema.tables.isEmpty {
            guard !readOnly else { throw StoreError("store \(path) is empty: it holds no runs yet", kind: .missingInput) }
            return
        }
        let known = migrator.migrations
        guard schema.applied.contains("v1"), Set(["run", "image", "judgment", "prompt_set"]).isSubset(of: schema.tables) else {
            throw StoreError("\(path) is an SQLite database but not a wise store (its tables: \(schema.tables.prefix(6).joined(separator: ", "))); it was left untouched: pass the right --store", kind: .badData)
        }
        let unknown = schema.applied.filter { !known.contains($0) }
        if !unknown.isEmpty {
            throw StoreError("store \(path) was written by a newer wise (schema \(unknown.joined(separator: ", "))); this wise knows schema up to \(known.last ?? "v1"): upgrade wise to open it", kind: .badData)
        }
        if readOnly, let missing = known.first(where: { !schema.applied.contains($0) }) {
            throw StoreError("store \(path) has an older schema (without \(missing)) and this command only reads; upgrade it once with a writing command such as `wise judge` or `wise run`, or use the wise that wrote it", kind: .badData)
        }
    }

    /// Set by tests to make the ordinary read-only open fail as it does in a folder the user cannot
    /// write (tests run as root, which may write anywhere), so the immutable fallback is exercised.
    @TaskLocal static var ordinaryReadOnlyOpenFails = false

    /// A read-only connection to an existing store, also when its folder cannot be written.
    ///
    /// A store in WAL mode needs a `-shm` file beside it even to be read; in a colleague's folder
    /// that the user may not write, SQLite cannot create it and the ordinary open fails
    /// (`SQLITE_READONLY` or `SQLITE_CANTOPEN`). Then the store is opened *immutable*
    /// (`file:PATH?immutable=1`): SQLite takes no locks, uses no `-shm`, and **ignores any `-wal`
    /// file**, assuming nobody changes the file meanwhile. So:
    /// - with no `-wal` file, or an empty one (a store whose last writer closed cleanly), the
    ///   immutable read is exactly the store's content;
    /// - with a non-empty `-wal`, committed rows may sit there unseen (a writer still running,
    ///   or one killed before its checkpoint): the open is refused, in one line, rather than
    ///   reporting an old state as the store's; its owner must checkpoint it (any wise command
    ///   that writes, once the writer has stopped, or `sqlite3 STORE 'PRAGMA wal_checkpoint(TRUNCATE)'`);
    /// - if the owner writes while the immutable connection reads, the read may be inconsistent
    ///   or fail: read a colleague's store when nobody is writing it.
    /// The immutable form needs SQLite built with URI filenames (Debian's and Apple's are).
    static func readOnlyQueue(_ path: String, configuration: Configuration) throws -> DatabaseQueue {
        if !ordinaryReadOnlyOpenFails {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                // Reading is what needs the -shm of a WAL store; opening alone may succeed.
                _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
                return queue
            } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode) {
                // Fall through to the immutable open below.
            }
        }
        let wal = path + "-wal"
        if let size = (try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int, size > 0 {
            throw StoreError("store \(path) cannot be read from here: its folder cannot be written (no -shm can be made) and \(wal) holds \(size) bytes of changes not yet copied into the store; ask its owner to checkpoint it (stop its writer, then run any writing wise command or `sqlite3 \(path) 'PRAGMA wal_checkpoint(TRUNCATE)'`), or copy the store and its -wal file to a folder you can write", kind: .unavailable)
        }
        return try DatabaseQueue(path: immutableURI(path), configuration: configuration)
    }

    /// `file:/abs/path?immutable=1`, with the characters a URI path may not hold escaped.
    static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for character in URL(fileURLWithPath: path).standardizedFileURL.path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    /// A store in memory, for tests.
    public static func inMemory() throws -> ResultsStore {
        try ResultsStore(path: ":memory:", create: true)
    }

    /// Runs a read-only query, mapping SQLite errors to store errors.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as DatabaseError { throw StoreError.wrap(error, path: path) }
    }

    /// Runs one transaction, mapping SQLite errors to store errors.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let error as DatabaseError { throw StoreError.wrap(error, path: path) }
    }

    /// The result of `PRAGMA integrity_check` ("ok" when the file is sound).
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

/// Whether a file starts with the SQLite header (an empty file counts: SQLite treats it as new).
func isSQLiteFile(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    let head = handle.readData(ofLength: 16)
    return head.isEmpty || head == Data("SQLite format 3\u{0}".utf8)
}

/// A problem with the store file or its contents.
public struct StoreError: WiseError {
    public var message: String
    public var kind: ErrorKind
    public init(_ message: String, kind: ErrorKind = .io) { self.message = message; self.kind = kind }
    public var description: String { message }

    static func wrap(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB: return StoreError("\(path) is not a wise store (SQLite: \(error.message ?? "file is not a database"))", kind: .badData)
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_IOERR:
            return StoreError("cannot open store \(path) (SQLite: \(error.message ?? "\(error.resultCode)")); check the path and its permissions", kind: .cannotCreate)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError("store \(path) is busy: another wise process holds it; try again when it finishes")
        default: return StoreError("store \(path): SQLite error \(error.resultCode.rawValue): \(error.message ?? "")")
        }
    }
}

extension ResultsStore {
    /// The newest schema (migration name) this build of wise knows.
    public static var schemaVersion: String { migrator.migrations.last ?? "v1" }

    /// A hash over every row of every table, so a test can tell whether anything changed.
    public func contentDigest() throws -> String {
        try read { db in
            var hasher = SHA256()
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for table in tables {
                hasher.update(Array("#\(table)".utf8))
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid") {
                    hasher.update(Array(row.description.utf8))
                }
            }
            return SHA256.hexString(hasher.finalize())
        }
    }
}

extension ResultsStore {
    /// How many image and judgment rows a store file holds, read without migrating or locking it
    /// for long; nil when it cannot be read yet. For watching another process's progress.
    public static func peekCounts(atPath path: String) -> (images: Int, judgments: Int)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(1)
        guard let queue = try? DatabaseQueue(path: path, configuration: config) else { return nil }
        return try? queue.read { db in
            guard try db.tableExists("judgment") else { return (0, 0) }
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM judgment") ?? 0)
        }
    }
}
