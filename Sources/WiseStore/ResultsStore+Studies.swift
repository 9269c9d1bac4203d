import Foundation
import GRDB
import WiseCore

extension ResultsStore {
    /// Every judgment one judge made of a run's first samples, in prompt and repeat order.
    public func studyJudgments(of run: StoredRun, judge: AdapterSpec) throws -> [StudyJudgment] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.prompt_id, j.repeat_index, j.status, j.scores, j.wiscore, j.raw_reply, j.error
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND i.sample_index = 0 AND j.judge_key = ?
                ORDER BY i.prompt_id, j.repeat_index
                """, arguments: [run.id, judge.key]).map { row in
                StudyJudgment(promptID: row[0], repeatIndex: row[1], status: row[2], scores: decodeScores(row[3]),
                              wiscore: row[4], rawReply: row[5], error: row[6])
            }
        }
    }

    /// The first-sample images of a run, in prompt order.
    public func studyImages(of run: StoredRun) throws -> [StudyImage] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT prompt_id, status, path, format, sha256 FROM image WHERE run_id = ? AND sample_index = 0 ORDER BY prompt_id
                """, arguments: [run.id]).map { row in
                StudyImage(promptID: row[0], status: row[1], path: row[2], format: row[3], sha256: row[4])
            }
        }
    }

    /// The content hash of the catalogue a set was recorded from, or nil when the store has no such set.
    public func catalogueHash(of set: PromptSet) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT content_hash FROM prompt_set WHERE name = ?", arguments: [set.rawValue])
        }
    }
}
