import Foundation
import GRDB
import WiseCore

/// A run as the store holds it.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var set: PromptSet
    public var scoringProtocol: ScoringProtocol
    public var generator: AdapterSpec
    public var fingerprint: String
    public var createdAt: String
}

/// Counts of what one registration of images did.
public struct ImageRegistration: Sendable, Equatable {
    public var added = 0
    public var unchanged = 0
    /// Ids whose image was missing before and is present now.
    public var repaired = 0
    public var missing = 0
}

extension ResultsStore {
    /// Records a prompt set and its prompts, or checks that the ones already recorded are the same.
    public func recordCatalogue(_ catalogue: Catalogue) throws {
        try write { db in try recordCatalogue(catalogue, db) }
    }

    func recordCatalogue(_ catalogue: Catalogue, _ db: Database) throws {
        let hash = catalogue.contentHash
        if let existing = try String.fetchOne(db, sql: "SELECT content_hash FROM prompt_set WHERE name = ?", arguments: [catalogue.set.rawValue]) {
            guard existing == hash else {
                throw StoreError("store \(path) holds set \(catalogue.set.rawValue) with other prompt texts than the catalogue now loaded; use the catalogue the store was made with, or a new --store", kind: .badData)
            }
            return
        }
        try db.execute(sql: "INSERT INTO prompt_set (name, protocol, content_hash, recorded_at) VALUES (?, ?, ?, ?)",
                       arguments: [catalogue.set.rawValue, catalogue.set.defaultProtocol.rawValue, hash, now()])
        let statement = try db.makeStatement(sql: """
            INSERT INTO prompt (set_name, prompt_id, category, category_label, subcategory, domain, prompt, explanation, text_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for p in catalogue.prompts {
            try statement.execute(arguments: [p.set.rawValue, p.id, p.category.rawValue, p.categoryLabel, p.subcategory,
                                              p.domain, p.text, p.explanation, p.textHash])
        }
    }

    /// The prompts of a set as recorded in the store, in id order.
    public func prompts(of set: PromptSet) throws -> [Prompt] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM prompt WHERE set_name = ? ORDER BY prompt_id", arguments: [set.rawValue]).map { row in
                Prompt(set: set, id: row["prompt_id"], category: Category(rawValue: row["category"])!,
                       categoryLabel: row["category_label"], subcategory: row["subcategory"], domain: row["domain"],
                       text: row["prompt"], explanation: row["explanation"])
            }
        }
    }

    /// The run with a name, or nil.
    public func run(named name: String) throws -> StoredRun? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM run WHERE name = ?", arguments: [RunSpec.normalizedName(name)]).map(storedRun) }
    }

    /// The run with a name, or an error that lists the runs there are.
    public func requireRun(_ name: String) throws -> StoredRun {
        if let run = try run(named: name) { return run }
        let names = try runs().map(\.name)
        let list = names.isEmpty ? "the store holds no runs yet" : "runs: " + names.prefix(12).joined(separator: ", ")
        throw StoreError("no run named '\(name)' in \(path)\(didYouMean(name, among: names)); \(list)", kind: .usage)
    }

    /// Every run, oldest first.
    public func runs() throws -> [StoredRun] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id").map(storedRun) }
    }

    /// Records the catalogue and creates a run in one transaction, or returns the existing run of
    /// that name when it has the same configuration.
    public func beginRun(_ spec: RunSpec, catalogue: Catalogue) throws -> (run: StoredRun, created: Bool) {
        try write { db in
            try recordCatalogue(catalogue, db)
            return try beginRun(spec, db)
        }
    }

    func beginRun(_ spec: RunSpec, _ db: Database) throws -> (run: StoredRun, created: Bool) {
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE name = ?", arguments: [spec.name]) {
            let existing = storedRun(row)
            guard existing.fingerprint == spec.fingerprint else {
                throw StoreError("run '\(spec.name)' already exists with another configuration (set \(existing.set.rawValue), protocol \(existing.scoringProtocol.rawValue), \(existing.generator.summary)); pick a new run name", kind: .usage)
            }
            return (existing, false)
        }
        try db.execute(sql: """
            INSERT INTO run (name, set_name, protocol, generator_spec, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [spec.name, spec.set.rawValue, spec.scoringProtocol.rawValue, spec.generator.canonicalJSON, spec.fingerprint, now()])
        let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [db.lastInsertedRowID])!
        return (storedRun(row), true)
    }

    /// Checks, before anything is written, that image records agree with what a run already holds.
    public func checkImages(run name: String, records: [ImageRecord]) throws {
        guard let run = try run(named: name) else { return }
        let known = try read { db in
            try Row.fetchAll(db, sql: "SELECT prompt_id, sample_index, sha256 FROM image WHERE run_id = ? AND status = 'ok'", arguments: [run.id])
                .reduce(into: [[Int]: String]()) { $0[[$1["prompt_id"], $1["sample_index"]]] = $1["sha256"] }
        }
        for entry in records where entry.isUsable {
            if let sha = known[[entry.promptID, entry.sampleIndex]], sha != entry.sha256 {
                throw StoreError("run '\(name)' already has a different image for prompt \(entry.promptID) (\(entry.path ?? "")): its bytes changed since the run was registered; register the new images under a new run name", kind: .badData)
            }
        }
    }

    /// Records images (a folder scan's, or any other source's), one commit per image, skipping what is already recorded.
    public func registerImages(run: StoredRun, records: [ImageRecord]) throws -> ImageRegistration {
        var summary = ImageRegistration()
        for entry in records {
            switch try write({ db in try recordImage(db, run: run, entry, attempt: nil) }) {
            case .added: summary.added += 1
            case .repaired: summary.repaired += 1
            case .missing: summary.missing += 1
            case .unchanged: if entry.isUsable { summary.unchanged += 1 } else { summary.missing += 1 }
            }
        }
        return summary
    }

    /// What recording one image did.
    enum ImageOutcome: Sendable { case added, repaired, missing, unchanged }

    /// A generator's attempt at an image: what each attempt records beside the image.
    struct ImageAttempt: Sendable {
        var seed: Int
        var seconds: Double?
        var metadata: String?
        /// Tries the generator spent on it within the pass (a restarted worker's retry counts).
        var tries = 1
    }

    /// The one rule for an image entering a run, whatever made it (a folder scan, a generator):
    ///
    /// - a new id/sample is inserted, usable or missing;
    /// - a usable image already recorded stays as it is, whatever comes later for it (the same
    ///   bytes, other bytes, a file gone, a failed retry); a source that must refuse other bytes
    ///   outright checks first (`checkImages`, as registering a folder does), so it writes nothing;
    /// - a missing one is replaced by what came now; a generator's attempt (`attempt`) always
    ///   counts, as the tries it took (a crashed worker's retry is a second), while a folder that still lacks the file changes nothing.
    func recordImage(_ db: Database, run: StoredRun, _ entry: ImageRecord, attempt: ImageAttempt?) throws -> ImageOutcome {
        let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, status, sha256 FROM image WHERE run_id = ? AND prompt_id = ? AND sample_index = ?"),
                                        arguments: [run.id, entry.promptID, entry.sampleIndex])
        let status: ImageStatus = entry.isUsable ? .ok : .missing
        guard let existing else {
            try db.cachedStatement(sql: """
                INSERT INTO image (run_id, prompt_id, sample_index, status, path, sha256, format, byte_count, problem, seed, seconds,
                                   generator_metadata, recorded_at, refusal, attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [run.id, entry.promptID, entry.sampleIndex, status, entry.path, entry.sha256, entry.format?.rawValue,
                                         entry.byteCount, entry.problem, attempt?.seed, attempt?.seconds, attempt?.metadata, now(), entry.refusal,
                                         max(1, attempt?.tries ?? 1)])
            return status == .ok ? .added : .missing
        }
        let oldStatus: ImageStatus = existing["status"]
        if oldStatus == .ok || oldStatus == .external { return .unchanged }
        if attempt == nil && status == .missing { return .unchanged }
        try db.execute(sql: """
            UPDATE image SET status = ?, path = ?, sha256 = ?, format = ?, byte_count = ?, problem = ?, seed = COALESCE(?, seed),
                             seconds = ?, generator_metadata = ?, recorded_at = ?, attempts = attempts + ?, refusal = ? WHERE id = ?
            """, arguments: [status, entry.path, entry.sha256, entry.format?.rawValue, entry.byteCount, entry.problem, attempt?.seed,
                             attempt?.seconds, attempt?.metadata, now(), attempt.map { max(1, $0.tries) } ?? 0, entry.refusal, existing["id"] as Int64])
        return status == .ok ? .repaired : .missing
    }

    func storedRun(_ row: Row) -> StoredRun {
        StoredRun(id: row["id"], name: row["name"], set: PromptSet(rawValue: row["set_name"])!,
                  scoringProtocol: ScoringProtocol(rawValue: row["protocol"])!,
                  generator: AdapterSpec.parse(row["generator_spec"]) ?? AdapterSpec(adapter: "unknown"),
                  fingerprint: row["fingerprint"], createdAt: row["created_at"])
    }
}

/// The current time as ISO 8601 with milliseconds, UTC (`2026-11-25T22:33:37.123Z`).
func now() -> String {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    var seconds = spec.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
        + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(spec.tv_nsec / 1_000_000), 3))Z"
}
