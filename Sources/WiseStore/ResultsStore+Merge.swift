import Foundation
import GRDB
import WiseCore

/// What merging stores added.
public struct MergeSummary: Sendable, Equatable {
    public var runs = 0
    public var images = 0
    public var judgments = 0
    public var passes = 0
    public init() {}
}

extension ResultsStore {
    /// Copies every run, image, judgment and generation pass of other stores (shard stores, say)
    /// into this one, in one transaction: all of it or nothing.
    ///
    /// Refuses, naming the item and both stores, when the same item differs: a run of the same
    /// name with another configuration, a prompt set with other texts, the same image slot with
    /// another image hash, or the same judgment with another final verdict. Items already equal
    /// are kept once; a failed image or judgment is replaced by a usable one from a source.
    public func merge(from sources: [String]) throws -> MergeSummary {
        // The same file attached to itself would only ever say "busy": name the mistake instead.
        for source in sources where isSameFile(source, path) {
            throw StoreError("\(source) is the store being merged into (\(path)); name another target with --into", kind: .usage)
        }
        for source in sources {
            // Opening migrates each source to this version's schema, so columns line up.
            _ = try ResultsStore(path: source, create: false)
        }
        var summary = MergeSummary()
        do {
            try queue.writeWithoutTransaction { db in
                // ATTACH is not allowed inside a transaction: attach first, then merge in one.
                for (n, source) in sources.enumerated() {
                    try db.execute(sql: "ATTACH DATABASE ? AS src\(n)", arguments: [source])
                }
                defer { for n in sources.indices { try? db.execute(sql: "DETACH DATABASE src\(n)") } }
                try db.inTransaction {
                    for (n, source) in sources.enumerated() {
                        try merge(schema: "src\(n)", label: source, into: db, summary: &summary)
                    }
                    return .commit
                }
            }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
        return summary
    }

    private func merge(schema src: String, label: String, into db: Database, summary: inout MergeSummary) throws {
        // Prompt sets: the same name must hold the same texts.
        for row in try Row.fetchAll(db, sql: "SELECT name, content_hash FROM \(src).prompt_set") {
            let name: String = row["name"]
            if let mine = try String.fetchOne(db, sql: "SELECT content_hash FROM main.prompt_set WHERE name = ?", arguments: [name]) {
                guard mine == row["content_hash"] else {
                    throw StoreError("cannot merge \(label): its prompt set \(name) holds other prompt texts than \(path); merge stores made from one catalogue", kind: .badData)
                }
                continue
            }
            try copyRows(db, table: "prompt_set", from: src, where: "name = ?", arguments: [name])
            try copyRows(db, table: "prompt", from: src, where: "set_name = ?", arguments: [name])
        }
        // Runs: the same name must have the same configuration.
        var runIDs: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, fingerprint FROM \(src).run ORDER BY id") {
            let name: String = row["name"]
            if let mine = try Row.fetchOne(db, sql: "SELECT id, fingerprint FROM main.run WHERE name = ?", arguments: [name]) {
                guard (mine["fingerprint"] as String) == row["fingerprint"] else {
                    throw StoreError("cannot merge \(label): run '\(name)' there has another configuration (generator, set, protocol or catalogue) than in \(path); merge only shards of one run", kind: .badData)
                }
                runIDs[row["id"]] = mine["id"]
            } else {
                runIDs[row["id"]] = try copyRows(db, table: "run", from: src, where: "id = ?", arguments: [row["id"] as Int64])
                summary.runs += 1
            }
        }
        // Images: one per run, prompt and sample; an image hash never changes.
        var imageIDs: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT i.*, r.name AS run_name FROM \(src).image i JOIN \(src).run r ON r.id = i.run_id ORDER BY i.id") {
            let srcID: Int64 = row["id"]
            let runID = runIDs[row["run_id"]]!
            let status: ImageStatus = row["status"]
            let mine = try Row.fetchOne(db, sql: "SELECT id, status, sha256 FROM main.image WHERE run_id = ? AND prompt_id = ? AND sample_index = ?",
                                        arguments: [runID, row["prompt_id"] as Int, row["sample_index"] as Int])
            guard let mine else {
                imageIDs[srcID] = try copyRows(db, table: "image", from: src, where: "id = ?", arguments: [srcID], replacing: ["run_id": runID])
                summary.images += 1
                continue
            }
            let myID: Int64 = mine["id"]
            imageIDs[srcID] = myID
            let myStatus: ImageStatus = mine["status"]
            if myStatus == .ok && status == .ok && (mine["sha256"] as String?) != (row["sha256"] as String?) {
                throw StoreError("cannot merge \(label): run '\(row["run_name"] as String)' prompt \(row["prompt_id"] as Int) sample \(row["sample_index"] as Int) has image \(((row["sha256"] as String?) ?? "").prefix(12))… there and \(((mine["sha256"] as String?) ?? "").prefix(12))… in \(path); these stores hold different images for one item, so nothing was merged", kind: .badData)
            }
            if myStatus == .missing && status != .missing {
                try db.execute(sql: "DELETE FROM main.image WHERE id = ?", arguments: [myID])
                imageIDs[srcID] = try copyRows(db, table: "image", from: src, where: "id = ?", arguments: [srcID],
                                               replacing: ["run_id": runID, "id": myID])
                summary.images += 1
            }
        }
        // Judgments: one per image, judge and repeat; a final verdict never changes.
        for row in try Row.fetchAll(db, sql: "SELECT id, image_id, judge_key, repeat_index, status, scores, raw_reply FROM \(src).judgment ORDER BY id") {
            let imageID = imageIDs[row["image_id"]]!
            let status: JudgmentStatus = row["status"]
            let mine = try Row.fetchOne(db, sql: "SELECT id, status, scores, raw_reply FROM main.judgment WHERE image_id = ? AND judge_key = ? AND repeat_index = ?",
                                        arguments: [imageID, row["judge_key"] as String, row["repeat_index"] as Int])
            if let mine {
                let myStatus: JudgmentStatus = mine["status"]
                if myStatus.isFinal && status.isFinal {
                    guard myStatus == status, (mine["scores"] as String?) == (row["scores"] as String?) else {
                        let prompt = try Int.fetchOne(db, sql: "SELECT prompt_id FROM main.image WHERE id = ?", arguments: [imageID]) ?? 0
                        throw StoreError("cannot merge \(label): prompt \(prompt) has judgment \(status.rawValue) \((row["scores"] as String?) ?? "") there and \(myStatus.rawValue) \((mine["scores"] as String?) ?? "") in \(path) from the same judge (\(row["judge_key"] as String)); nothing was merged", kind: .badData)
                    }
                    continue
                }
                guard !myStatus.isFinal && status.isFinal else { continue }
                try db.execute(sql: "DELETE FROM main.judgment WHERE id = ?", arguments: [mine["id"] as Int64])
            }
            try copyRows(db, table: "judgment", from: src, where: "id = ?", arguments: [row["id"] as Int64],
                         replacing: ["image_id": imageID, "cached_from": nil])
            summary.judgments += 1
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, run_id, selection, started_at FROM \(src).generation_pass ORDER BY id") {
            let runID = runIDs[row["run_id"]]!
            let known = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM main.generation_pass WHERE run_id = ? AND selection = ? AND started_at = ?)",
                                          arguments: [runID, row["selection"] as String, row["started_at"] as String]) ?? false
            if known { continue }
            try copyRows(db, table: "generation_pass", from: src, where: "id = ?", arguments: [row["id"] as Int64],
                         replacing: ["run_id": runID])
            summary.passes += 1
        }
    }

    /// Copies rows of a table from an attached schema, every column but `id` (unless given) taken
    /// as it is or from `replacing`; returns the last inserted row id.
    @discardableResult
    private func copyRows(_ db: Database, table: String, from src: String, where condition: String,
                          arguments: StatementArguments, replacing: [String: Int64?] = [:]) throws -> Int64 {
        let columns = try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map { $0["name"] as String }
            .filter { $0 != "id" || replacing.keys.contains("id") }
        var values: [String] = []
        var extra: StatementArguments = []
        for column in columns {
            if let replacement = replacing[column] {
                values.append("?")
                extra += [replacement]
            } else {
                values.append(column)
            }
        }
        let list = columns.joined(separator: ", ")
        try db.execute(sql: "INSERT INTO main.\(table) (\(list)) SELECT \(values.joined(separator: ", ")) FROM \(src).\(table) WHERE \(condition)",
                       arguments: extra + arguments)
        return db.lastInsertedRowID
    }
}
