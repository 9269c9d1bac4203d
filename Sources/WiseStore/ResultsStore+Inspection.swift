import Foundation
import GRDB
import WiseCore

/// One prompt of a run and everything recorded about it, for `wise show`.
public struct ItemDetail: Sendable {
    public var prompt: Prompt
    /// Every sample registered or generated for the prompt, in sample order (empty: none yet).
    public var samples: [ImageRow]
    public var judgments: [JudgmentDetail]
}

/// One judgment with its evidence, as stored.
public struct JudgmentDetail: Sendable {
    public var judge: AdapterSpec
    /// Which sample of the prompt was judged (0 for the first).
    public var sampleIndex: Int
    public var repeatIndex: Int
    public var status: JudgmentStatus
    public var scores: AspectScores?
    public var wiscore: Double?
    public var rawReply: String?
    public var earlierReplies: String?
    public var error: String?
    public var tokensIn: Int
    public var tokensOut: Int
    public var latencyMs: Double?
    public var attempts: Int
    public var httpStatus: Int?
    public var createdAt: String
}

/// A failed or unscored judgment of a run: which prompt, and why.
public struct ProblemItem: Sendable, Equatable {
    public var promptID: Int
    public var status: JudgmentStatus
    public var reason: String
}

extension ResultsStore {
    /// Everything recorded about one prompt id of a run.
    public func item(of run: StoredRun, promptID: Int) throws -> ItemDetail {
        guard let prompt = try prompts(of: run.set).first(where: { $0.id == promptID }) else {
            throw StoreError("prompt id \(promptID) is not in set \(run.set.rawValue) (ids 1…\(Catalogue.promptCount))", kind: .usage)
        }
        let samples = try imageRows(run: run, promptID: promptID)
        return try read { db in
            let judgments = try Row.fetchAll(db, sql: """
                SELECT j.*, i.sample_index AS sample FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND i.prompt_id = ? ORDER BY j.judge_key, i.sample_index, j.repeat_index
                """, arguments: [run.id, promptID]).map { row in
                JudgmentDetail(judge: AdapterSpec.parse(row["judge_spec"]) ?? AdapterSpec(adapter: "unknown"), sampleIndex: row["sample"],
                               repeatIndex: row["repeat_index"], status: row["status"], scores: decodeScores(row["scores"]),
                               wiscore: row["wiscore"], rawReply: row["raw_reply"], earlierReplies: row["earlier_replies"],
                               error: row["error"], tokensIn: row["tokens_in"] ?? 0, tokensOut: row["tokens_out"] ?? 0,
                               latencyMs: row["latency_ms"], attempts: row["attempts"] ?? 0, httpStatus: row["http_status"],
                               createdAt: row["created_at"])
            }
            return ItemDetail(prompt: prompt, samples: samples, judgments: judgments)
        }
    }

    /// The failed and unscored judgments of a run under one judge, in prompt order.
    public func problems(of run: StoredRun, judge: AdapterSpec) throws -> [ProblemItem] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.prompt_id, j.status, j.error FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ? AND j.status IN ('failed', 'unscored') ORDER BY i.prompt_id, j.repeat_index
                """, arguments: [run.id, judge.key]).map { row in
                ProblemItem(promptID: row[0], status: row[1], reason: row[2] ?? "no reason recorded")
            }
        }
    }

    /// Registered images of a run that are unusable, with why.
    public func missingImages(of run: StoredRun) throws -> [ProblemItem] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT prompt_id, problem FROM image WHERE run_id = ? AND status = 'missing' ORDER BY prompt_id",
                             arguments: [run.id]).map { ProblemItem(promptID: $0[0], status: .failed, reason: $0[1] ?? "missing") }
        }
    }

    /// Deletes a run with its images and judgments; judgments copied from it elsewhere keep their content.
    public func deleteRun(_ name: String) throws {
        let run = try requireRun(name)
        try write { db in try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [run.id]) }
    }

    /// Renames a run; the new name must be free.
    public func renameRun(_ old: String, to new: String) throws {
        let run = try requireRun(old)
        try RunSpec.validateName(new)
        let name = RunSpec.normalizedName(new)
        if try self.run(named: name) != nil {
            throw StoreError("a run named '\(name)' already exists in \(path); pick another name or delete that run first", kind: .usage)
        }
        try write { db in try db.execute(sql: "UPDATE run SET name = ? WHERE id = ?", arguments: [name, run.id]) }
    }
}
