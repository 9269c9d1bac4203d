import Foundation
import GRDB
import WiseCore

/// One image slot of a run as a reproducibility bundle carries it (`images.jsonl`).
public struct BundleImage: Codable, Sendable, Equatable {
    public var promptID: Int
    public var sample: Int
    /// `ok`, `missing` or `external` (scores imported without the image).
    public var status: String
    public var sha256: String?
    public var format: String?
    public var byteCount: Int?
    public var problem: String?
    public var seed: Int?
    public var attempts: Int
    /// Why the image is a refusal (a safety checker's blank, a flat image, a content policy); nil otherwise.
    public var refusal: String?

    enum CodingKeys: String, CodingKey {
        case promptID = "prompt_id", sample, status, sha256, format, byteCount = "byte_count", problem, seed, attempts, refusal
    }

    public init(promptID: Int, sample: Int, status: String, sha256: String?, format: String?, byteCount: Int?,
                problem: String?, seed: Int?, attempts: Int, refusal: String? = nil) {
        self.promptID = promptID; self.sample = sample; self.status = status; self.sha256 = sha256; self.format = format
        self.byteCount = byteCount; self.problem = problem; self.seed = seed; self.attempts = attempts; self.refusal = refusal
    }
}

/// One judgment as a reproducibility bundle carries it (`judgments.jsonl`): the verdict, the raw
/// reply it was read from, and what the request was about.
public struct BundleJudgment: Codable, Sendable, Equatable {
    public var promptID: Int
    public var sample: Int
    public var repeatIndex: Int
    public var status: String
    public var scores: [String: Double]?
    public var wiscore: Double?
    public var rawReply: String?
    public var error: String?
    public var rubricSHA256: String?
    public var promptHash: String?
    public var imageSHA256: String?
    public var servedModel: String?
    public var systemFingerprint: String?
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var attempts: Int
    public var createdAt: String
    /// SHA-256 of the request's identity (judge, rubric, prompt, image, repeat); set by the bundle writer.
    public var requestSHA256: String?

    enum CodingKeys: String, CodingKey {
        case promptID = "prompt_id", sample, repeatIndex = "repeat", status, scores, wiscore, rawReply = "raw_reply", error
        case rubricSHA256 = "rubric_sha256", promptHash = "prompt_hash", imageSHA256 = "image_sha256"
        case servedModel = "served_model", systemFingerprint = "system_fingerprint", tokensIn = "tokens_in", tokensOut = "tokens_out"
        case attempts, createdAt = "created_at", requestSHA256 = "request_sha256"
    }
}

extension ResultsStore {
    /// A run's image slots and one judge's judgments of them, in prompt, sample and repeat order, for a bundle.
    public func bundleRecords(of run: StoredRun, judge: AdapterSpec) throws -> (images: [BundleImage], judgments: [BundleJudgment]) {
        try read { db in
            let images = try Row.fetchAll(db, sql: """
                SELECT prompt_id, sample_index, status, sha256, format, byte_count, problem, seed, attempts, refusal
                FROM image WHERE run_id = ? ORDER BY prompt_id, sample_index
                """, arguments: [run.id]).map { row in
                BundleImage(promptID: row["prompt_id"], sample: row["sample_index"], status: row["status"], sha256: row["sha256"],
                            format: row["format"], byteCount: row["byte_count"], problem: row["problem"], seed: row["seed"],
                            attempts: row["attempts"], refusal: row["refusal"])
            }
            let judgments = try Row.fetchAll(db, sql: """
                SELECT i.prompt_id AS prompt_id, i.sample_index AS sample, j.*
                FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ? ORDER BY i.prompt_id, i.sample_index, j.repeat_index
                """, arguments: [run.id, judge.key]).map { row in
                BundleJudgment(promptID: row["prompt_id"], sample: row["sample"], repeatIndex: row["repeat_index"], status: row["status"],
                               scores: decodeScores(row["scores"])?.values, wiscore: row["wiscore"], rawReply: row["raw_reply"],
                               error: row["error"], rubricSHA256: row["rubric_sha256"], promptHash: row["prompt_hash"],
                               imageSHA256: row["image_sha256"], servedModel: row["served_model"],
                               systemFingerprint: row["system_fingerprint"], tokensIn: row["tokens_in"], tokensOut: row["tokens_out"],
                               attempts: row["attempts"], createdAt: row["created_at"], requestSHA256: nil)
            }
            return (images, judgments)
        }
    }

    /// Where each usable image of a run lies, by `[prompt id, sample]`.
    public func imagePaths(of run: StoredRun) throws -> [[Int]: String] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT prompt_id, sample_index, path FROM image WHERE run_id = ? AND status = 'ok' AND path IS NOT NULL",
                             arguments: [run.id]).reduce(into: [[Int]: String]()) { $0[[$1["prompt_id"], $1["sample_index"]]] = $1["path"] }
        }
    }

    /// Records a bundle's run, images and judgments in one transaction: all of it or nothing.
    ///
    /// `imagePath` gives where a bundled image's bytes now lie (nil: the bundle carries only its
    /// hash, and the slot is recorded as `external`). A run of the same name must have the same
    /// configuration; judgments already there from the same judge are kept and must agree.
    public func importBundle(_ spec: RunSpec, catalogue: Catalogue, judge: AdapterSpec, images: [BundleImage],
                             judgments: [BundleJudgment], imagePath: (BundleImage) -> String?) throws -> ImportResult {
        try write { db in
            try recordCatalogue(catalogue, db)
            let (run, created) = try beginRun(spec, db)
            var result = ImportResult(run: run, created: created, scored: 0, failed: 0)
            var imageIDs: [[Int]: Int64] = [:]
            for image in images {
                let path = image.status == "ok" ? imagePath(image) : nil
                let status = image.status == "ok" && path == nil ? "external" : image.status
                guard ImageStatus(rawValue: status) != nil else {
                    throw StoreError("bundle image for prompt \(image.promptID) has status '\(image.status)'; expected ok, missing or external", kind: .badData)
                }
                if let id = try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE run_id = ? AND prompt_id = ? AND sample_index = ?",
                                               arguments: [run.id, image.promptID, image.sample]) {
                    imageIDs[[image.promptID, image.sample]] = id
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO image (run_id, prompt_id, sample_index, status, path, sha256, format, byte_count, problem, seed, attempts,
                                       recorded_at, refusal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.id, image.promptID, image.sample, status, path, image.sha256, image.format, image.byteCount,
                                     image.problem, image.seed, image.attempts, now(), image.refusal])
                imageIDs[[image.promptID, image.sample]] = db.lastInsertedRowID
            }
            for judgment in judgments {
                guard let imageID = imageIDs[[judgment.promptID, judgment.sample]] else {
                    throw StoreError("bundle judgment for prompt \(judgment.promptID) sample \(judgment.sample) has no image slot in images.jsonl", kind: .badData)
                }
                guard let status = JudgmentStatus(rawValue: judgment.status) else {
                    throw StoreError("bundle judgment for prompt \(judgment.promptID) has status '\(judgment.status)'; expected ok, unscored or failed", kind: .badData)
                }
                let scores = judgment.scores.map { encodeScores(AspectScores($0)) }
                if let mine = try Row.fetchOne(db, sql: "SELECT status, scores FROM judgment WHERE image_id = ? AND judge_key = ? AND repeat_index = ?",
                                               arguments: [imageID, judge.key, judgment.repeatIndex]) {
                    guard (mine["status"] as String) == judgment.status, (mine["scores"] as String?) == scores else {
                        throw StoreError("run '\(run.name)' prompt \(judgment.promptID) already has another verdict from this judge (\(judge.key)) than the bundle; nothing was imported", kind: .badData)
                    }
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO judgment (image_id, judge_key, judge_spec, protocol, rubric_sha256, repeat_index, status, scores, wiscore,
                                          raw_reply, error, tokens_in, tokens_out, created_at, prompt_hash, image_sha256, attempts,
                                          served_model, system_fingerprint)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [imageID, judge.key, judge.canonicalJSON, spec.scoringProtocol.rawValue, judgment.rubricSHA256,
                                     judgment.repeatIndex, status, scores, judgment.wiscore, judgment.rawReply, judgment.error,
                                     judgment.tokensIn, judgment.tokensOut, judgment.createdAt, judgment.promptHash, judgment.imageSHA256,
                                     judgment.attempts, judgment.servedModel, judgment.systemFingerprint])
                switch status {
                case .ok: result.scored += 1
                case .failed: result.failed += 1
                default: break
                }
            }
            return result
        }
    }
}
