import Foundation
import GRDB
import WiseCore

/// What an import of official score files did.
public struct ImportResult: Sendable, Equatable {
    public var run: StoredRun
    /// False when the same files had been imported under this name before (nothing was written).
    public var created: Bool
    public var scored: Int
    public var failed: Int
}

/// A judgment whose reply the readings read differently.
public struct ParseSensitiveItem: Sendable, Equatable {
    public var promptID: Int
    public var repeatIndex: Int
    /// What the reading that counted made of it.
    public var counted: ReadingOutcome
    /// What the other readings made of it, where they differ.
    public var others: [String: ReadingOutcome]
    public var rawReply: String?
}

/// A judge that has judged some of a run's images.
public struct JudgeUse: Sendable, Equatable {
    public var spec: AdapterSpec
    /// Judgment rows, every repeat counted.
    public var judgments: Int
    /// Distinct images judged (what the judge covers of the run).
    public var images: Int
    public var lastAt: String

    public init(spec: AdapterSpec, judgments: Int, images: Int, lastAt: String) {
        self.spec = spec; self.judgments = judgments; self.images = images; self.lastAt = lastAt
    }

    /// Whether `--judge NAME` names this judge: a prefix of its key, its adapter, or its model.
    public func matches(_ name: String) -> Bool {
        !name.isEmpty && (spec.key.hasPrefix(name) || spec.adapter == name || spec.parameters["model"] == name)
    }

    /// The judge as a candidate in a message: key prefix, then what it is.
    public var label: String {
        let key = String(spec.key.prefix(8))
        return "\(key) \(spec.judgeDescription.replacingOccurrences(of: " · key \(key)", with: ""))"
    }

    /// The one-line refusal of a `--judge` that names none of a run's judges, listing them.
    public static func noMatch(_ name: String, run: String, among uses: [JudgeUse]) -> StoreError {
        let list = uses.isEmpty ? "it is not judged yet" : "its judges: " + uses.map(\.label).joined(separator: "; ")
        return StoreError("run '\(run)' has no judge matching --judge \(name); \(list)", kind: .usage)
    }

    /// The one-line refusal of a `--judge` that names several judges, listing the candidates.
    public static func ambiguous(_ name: String, of what: String, candidates: [JudgeUse]) -> StoreError {
        StoreError("--judge \(name) matches \(candidates.count) judges of \(what): \(candidates.map(\.label).joined(separator: "; ")); name one by its key prefix", kind: .usage)
    }

    /// Whether `self` comes before `other` as the default judge: more images judged, then the later one.
    /// So a variance study on a few items, or a second judge on part of a run, does not become the default.
    public func isPreferred(over other: JudgeUse) -> Bool {
        images != other.images ? images > other.images : lastAt > other.lastAt
    }
}

extension Array where Element == JudgeUse {
    /// The default judge among these: the one that judged the most images, the later on a tie.
    public var preferred: JudgeUse? { self.min { $0.isPreferred(over: $1) } }
}

extension ResultsStore {
    /// Imports official score records as one run, in a single transaction: all of it or nothing.
    public func importScores(_ spec: RunSpec, catalogue: Catalogue, judge: AdapterSpec, records: [ScoreFile.Record]) throws -> ImportResult {
        try write { db in
            try recordCatalogue(catalogue, db)
            let (run, created) = try beginRun(spec, db)
            guard created else {
                let scored = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ? AND j.status = 'ok'
                    """, arguments: [run.id]) ?? 0
                let failed = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ? AND j.status = 'failed'
                    """, arguments: [run.id]) ?? 0
                return ImportResult(run: run, created: false, scored: scored, failed: failed)
            }
            var result = ImportResult(run: run, created: true, scored: 0, failed: 0)
            let stamp = now()
            for record in records {
                try db.execute(sql: """
                    INSERT INTO image (run_id, prompt_id, sample_index, status, recorded_at) VALUES (?, ?, 0, 'external', ?)
                    """, arguments: [run.id, record.promptID, stamp])
                let imageID = db.lastInsertedRowID
                let status: JudgmentStatus = record.scores == nil ? .failed : .ok
                let wiscore = record.scores.map { spec.scoringProtocol.itemScore($0) }
                try db.execute(sql: """
                    INSERT INTO judgment (image_id, judge_key, judge_spec, protocol, repeat_index, status, scores, wiscore, raw_reply, error, created_at)
                    VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
                    """, arguments: [imageID, judge.key, judge.canonicalJSON, spec.scoringProtocol.rawValue, status,
                                     record.scores.map(encodeScores), wiscore, record.rawReply,
                                     record.scores == nil ? "the official evaluator recorded 999 (no score) at \(URL(fileURLWithPath: record.file).lastPathComponent):\(record.line)" : nil,
                                     stamp])
                if record.scores == nil { result.failed += 1 } else { result.scored += 1 }
            }
            return result
        }
    }

    /// The judges that judged a run's images, most recent last.
    public func judges(of run: StoredRun) throws -> [JudgeUse] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT MAX(j.judge_spec) AS spec, COUNT(*) AS n, COUNT(DISTINCT j.image_id) AS images, MAX(j.created_at) AS last_at
                FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ?
                GROUP BY j.judge_key ORDER BY last_at
                """, arguments: [run.id]).map {
                JudgeUse(spec: AdapterSpec.parse($0["spec"]) ?? AdapterSpec(adapter: "unknown"), judgments: $0["n"],
                         images: $0["images"], lastAt: $0["last_at"])
            }
        }
    }

    /// Picks the judge whose judgments score a run: the one `name` names (key prefix, adapter or
    /// model), else the one that judged the most images (the later on a tie); nil when none has.
    /// A name that matches no judge, or several, is refused in one line that lists the candidates.
    public func chooseJudge(of run: StoredRun, key name: String?) throws -> AdapterSpec? {
        let uses = try judges(of: run)
        guard let name else { return uses.preferred?.spec }
        let matches = uses.filter { $0.matches(name) }
        if matches.count == 1 { return matches[0].spec }
        if matches.isEmpty { throw JudgeUse.noMatch(name, run: run.name, among: uses) }
        throw JudgeUse.ambiguous(name, of: "run '\(run.name)'", candidates: matches)
    }

    /// Deletes one judge's verdicts on a run's images in one transaction, leaving the images and
    /// other judges' verdicts as they were; returns how many judgment rows went. Judgments of other
    /// runs answered from these (the judge cache) keep their content.
    public func deleteJudgments(of run: StoredRun, judge: AdapterSpec) throws -> Int {
        try write { db in
            try db.execute(sql: """
                DELETE FROM judgment WHERE judge_key = ? AND image_id IN (SELECT id FROM image WHERE run_id = ?)
                """, arguments: [judge.key, run.id])
            return db.changesCount
        }
    }

    /// What became of each prompt of a run under one judge; a prompt's score is the mean over its
    /// scored samples and repeats.
    public func outcomes(of run: StoredRun, judge: AdapterSpec?) throws -> [Int: ItemOutcome] {
        try read { db in
            var outcomes: [Int: ItemOutcome] = [:]
            // A prompt is missing only when none of its samples has an image.
            for row in try Row.fetchAll(db, sql: "SELECT prompt_id, SUM(status != 'missing') AS present FROM image WHERE run_id = ? GROUP BY prompt_id", arguments: [run.id]) {
                outcomes[row["prompt_id"]] = (row["present"] as Int) == 0 ? .missing : .unjudged
            }
            guard let judge else { return outcomes }
            let rows = try Row.fetchAll(db, sql: """
                SELECT i.prompt_id AS id,
                       SUM(j.status = 'ok') AS ok, AVG(CASE WHEN j.status = 'ok' THEN j.wiscore END) AS mean,
                       SUM(j.status = 'unscored') AS unscored, SUM(j.status = 'failed') AS failed
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ?
                GROUP BY i.prompt_id
                """, arguments: [run.id, judge.key])
            for row in rows {
                let id: Int = row["id"]
                if (row["ok"] as Int) > 0 {
                    outcomes[id] = .scored(row["mean"])
                } else if (row["unscored"] as Int) > 0 {
                    outcomes[id] = .unscored
                } else {
                    outcomes[id] = .failed
                }
            }
            return outcomes
        }
    }

    /// The scored items of a run under one judge (its first scored repeat), for export.
    public func exportItems(of run: StoredRun, judge: AdapterSpec) throws -> [ScoreFile.ExportItem] {
        let prompts = Dictionary(uniqueKeysWithValues: try self.prompts(of: run.set).map { ($0.id, $0) })
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.prompt_id AS id, i.path AS path, j.scores AS scores, j.raw_reply AS reply
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND i.sample_index = 0 AND j.judge_key = ? AND j.status = 'ok'
                  AND j.repeat_index = (SELECT MIN(j2.repeat_index) FROM judgment j2
                                        WHERE j2.image_id = j.image_id AND j2.judge_key = j.judge_key AND j2.status = 'ok')
                ORDER BY i.prompt_id
                """, arguments: [run.id, judge.key]).compactMap { row in
                guard let prompt = prompts[row["id"]], let scores = decodeScores(row["scores"]) else { return nil }
                return ScoreFile.ExportItem(prompt: prompt, scores: scores, rawReply: row["reply"], imagePath: row["path"])
            }
        }
    }

    /// The scores of one run ready for a report, under the judge `judgeKey` names (or the default one).
    public func summary(of run: StoredRun, judgeKey: String? = nil) throws -> RunSummary {
        try summary(of: run, judge: try chooseJudge(of: run, key: judgeKey))
    }

    /// The scores of one run under one judge (nil: as not judged).
    public func summary(of run: StoredRun, judge: AdapterSpec?) throws -> RunSummary {
        let prompts = try self.prompts(of: run.set)
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        let score = WiScore(scoringProtocol: run.scoringProtocol, categoryOf: { categoryOf[$0] },
                            ids: prompts.map(\.id), outcomes: try outcomes(of: run, judge: judge))
        let usage = try judge.map { try judgmentCounts(run: run, judge: $0).usage } ?? .zero
        var summary = RunSummary(name: run.name, set: run.set, scoringProtocol: run.scoringProtocol,
                                 generator: run.generator, judge: judge, score: score, usage: usage)
        if let judge {
            summary.servedModels = try servedModels(of: run, judge: judge)
            summary.parseSensitive = Set(try parseSensitiveItems(of: run, judge: judge).map(\.promptID)).count
        }
        return summary
    }

    /// How many judgments of a run each served model (and system fingerprint) answered, as `model` or `model (fingerprint)`.
    public func servedModels(of run: StoredRun, judge: AdapterSpec) throws -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT j.served_model AS model, j.system_fingerprint AS fp, COUNT(*) AS n
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ? AND j.served_model IS NOT NULL GROUP BY j.served_model, j.system_fingerprint
                """, arguments: [run.id, judge.key]) {
                let model: String = row["model"]
                let fp: String? = row["fp"]
                out[fp.map { "\(model) (\($0))" } ?? model, default: 0] += row["n"] as Int
            }
            return out
        }
    }

    /// The judgments of a run whose reply another reading would read differently (parse-sensitive items).
    public func parseSensitiveItems(of run: StoredRun, judge: AdapterSpec) throws -> [ParseSensitiveItem] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.prompt_id AS id, j.repeat_index AS rep, j.status AS status, j.scores AS scores, j.error AS error,
                       j.other_readings AS other, j.raw_reply AS reply
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ? AND j.other_readings IS NOT NULL AND j.status != 'failed'
                ORDER BY i.prompt_id, j.repeat_index
                """, arguments: [run.id, judge.key]).compactMap { row in
                let status: JudgmentStatus = row["status"]
                let counted: ReadingOutcome = status == .ok ? .scores(decodeScores(row["scores"]) ?? AspectScores([:]))
                                                            : .unreadable(reason: row["error"] ?? "")
                let others = WiseJSON.decode([String: ReadingOutcome].self, from: row["other"]) ?? [:]
                let differing = others.filter { $0.value.scores != counted.scores }
                guard !differing.isEmpty else { return nil }
                return ParseSensitiveItem(promptID: row["id"], repeatIndex: row["rep"], counted: counted, others: differing, rawReply: row["reply"])
            }
        }
    }

    /// Counts of the rows a run owns, for checks after a crash.
    public func counts(of run: StoredRun) throws -> (images: Int, distinctImages: Int, judgments: Int) {
        try read { db in
            let images = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE run_id = ?", arguments: [run.id]) ?? 0
            let distinct = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT prompt_id) FROM image WHERE run_id = ?", arguments: [run.id]) ?? 0
            let judgments = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ?", arguments: [run.id]) ?? 0
            return (images, distinct, judgments)
        }
    }
}

func encodeScores(_ scores: AspectScores) -> String {
    "{" + scores.values.keys.sorted().map { "\"\($0)\":\(scores.values[$0]!)" }.joined(separator: ",") + "}"
}

/// Reads scores written by `encodeScores`; nil when the text is absent or not an object of numbers.
func decodeScores(_ json: String?) -> AspectScores? {
    WiseJSON.decode([String: Double].self, from: json).map(AspectScores.init)
}
