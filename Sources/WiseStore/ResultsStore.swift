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

    /// Opens (and when `create` is true, creates) the store at a path.
    ///
    /// Read-only commands pass `create: false`, so a typo in `--store` never leaves a new empty file.
    public init(path: String, create: Bool) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let kind = PathKind(path)
        let exists = kind != .missing
        if kind == .directory {
            throw StoreError("store \(path) is a directory; pass a file path such as \(path)/wise.sqlite to --store", kind: .cannotCreate)
        }
        if !exists {
            guard create else {
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
                    throw StoreError("cannot create store \(path): cannot make folder \(parent.path) (\(error.localizedDescription))", kind: .cannotCreate)
                }
            }
        } else if !create, !isSQLiteFile(path) {
            throw StoreError("\(path) is not a wise store (not an SQLite file); pass the right --store", kind: .badData)
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            if !exists { try? FileManager.default.removeItem(atPath: path) }
            throw StoreError.wrap(error, path: path)
        }
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
            return StoreError("cannot open store \(path) for writing (SQLite: \(error.message ?? "\(error.resultCode)")); check the path and its permissions", kind: .cannotCreate)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError("store \(path) is busy: another wise process holds it; try again when it finishes")
        default: return StoreError("store \(path): SQLite error \(error.resultCode.rawValue): \(error.message ?? "")")
        }
    }
}

extension ResultsStore {
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
