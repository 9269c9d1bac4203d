import Foundation
import GRDB
import WiseCore

/// One image and repeat that still needs a judgment.
public struct PendingJudgment: Sendable, Equatable {
    public var imageID: Int64
    public var promptID: Int
    public var path: String
    public var sha256: String
    public var format: ImageFormat
    public var repeatIndex: Int
    /// True when an earlier attempt failed (this is a retry).
    public var retry: Bool
    /// The file's size and the time (Unix seconds) it was hashed at registration: a file of that
    /// size last modified before then still has the registered bytes, so it need not be hashed again.
    public var byteCount: Int? = nil
    public var registeredAt: Double? = nil
}

/// How a judge's work on one item ended, as the store records it.
public struct JudgmentRecord: Sendable {
    public var verdict: Result<Verdict, JudgeFailure>
    public var latencyMs: Double
    /// Judging passes this record stands for (added to earlier passes of a failed item).
    public var attempts: Int
    public init(verdict: Result<Verdict, JudgeFailure>, latencyMs: Double, attempts: Int) {
        self.verdict = verdict; self.latencyMs = latencyMs; self.attempts = attempts
    }
}

/// Counts of a run's judgments under one judge.
public struct JudgmentCounts: Sendable, Equatable {
    public var ok = 0
    public var unscored = 0
    public var failed = 0
    public var usage = TokenUsage.zero
    public init() {}
}

extension ResultsStore {
    /// The items of a run that have no final judgment from a judge: never judged, or failed before.
    public func pendingJudgments(run: StoredRun, judge: AdapterSpec, repeats: Int) throws -> [PendingJudgment] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, prompt_id, path, sha256, format, byte_count,
                       (julianday(recorded_at) - 2440587.5) * 86400.0 AS registered_at
                FROM image WHERE run_id = ? AND status = 'ok' ORDER BY prompt_id, sample_index
                """, arguments: [run.id])
            var done: [Int64: [Int: JudgmentStatus]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT j.image_id, j.repeat_index, j.status FROM judgment j JOIN image i ON i.id = j.image_id
                WHERE i.run_id = ? AND j.judge_key = ?
                """, arguments: [run.id, judge.key]) {
                done[row["image_id"], default: [:]][row["repeat_index"]] = row["status"]
            }
            var pending: [PendingJudgment] = []
            for row in rows {
                let imageID: Int64 = row["id"]
                for index in 0..<repeats {
                    let status = done[imageID]?[index]
                    if status?.isFinal == true { continue }
                    pending.append(PendingJudgment(imageID: imageID, promptID: row["prompt_id"], path: row["path"],
                                                   sha256: row["sha256"], format: ImageFormat(rawValue: row["format"]) ?? .png,
                                                   repeatIndex: index, retry: status == .failed,
                                                   byteCount: row["byte_count"], registeredAt: row["registered_at"]))
                }
            }
            return pending
        }
    }

    /// Answers pending items from identical judgments elsewhere in the store (same judge, prompt text,
    /// image bytes and repeat index), copying them without a request. Returns how many were answered.
    /// With `countOnly`, nothing is written: it says how many could be answered.
    public func reuseCachedJudgments(_ pending: [PendingJudgment], judge: AdapterSpec, prompts: [Int: Prompt], countOnly: Bool = false) throws -> Int {
        let body = { (db: Database) throws -> Int in
            var reused = 0
            for item in pending {
                guard let prompt = prompts[item.promptID] else { continue }
                guard let source = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT id FROM judgment WHERE judge_key = ? AND prompt_hash = ? AND image_sha256 = ? AND repeat_index = ?
                      AND status IN ('ok', 'unscored') AND image_id != ?
                    ORDER BY id LIMIT 1
                    """), arguments: [judge.key, prompt.textHash, item.sha256, item.repeatIndex, item.imageID]) else { continue }
                if countOnly { reused += 1; continue }
                // Copies every recorded column of the source, with this item's image, time and a link to the source.
                try db.execute(sql: """
                    INSERT INTO judgment (image_id, judge_key, judge_spec, protocol, rubric_sha256, repeat_index, status, scores, wiscore,
                                          raw_reply, error, latency_ms, tokens_in, tokens_out, created_at, prompt_hash, image_sha256, attempts, cached_from,
                                          http_status, served_model, system_fingerprint, measurements, earlier_replies, other_readings, endpoint)
                    SELECT ?, judge_key, judge_spec, protocol, rubric_sha256, repeat_index, status, scores, wiscore,
                           raw_reply, error, 0, 0, 0, ?, prompt_hash, image_sha256, 0, id,
                           http_status, served_model, system_fingerprint, measurements, earlier_replies, other_readings, endpoint
                    FROM judgment WHERE id = ?
                    ON CONFLICT(image_id, judge_key, repeat_index) DO UPDATE SET
                      status = excluded.status, scores = excluded.scores, wiscore = excluded.wiscore, raw_reply = excluded.raw_reply,
                      error = excluded.error, latency_ms = 0, tokens_in = 0, tokens_out = 0, created_at = excluded.created_at,
                      prompt_hash = excluded.prompt_hash, image_sha256 = excluded.image_sha256, attempts = 0, cached_from = excluded.cached_from,
                      http_status = excluded.http_status, served_model = excluded.served_model, system_fingerprint = excluded.system_fingerprint,
                      measurements = excluded.measurements, earlier_replies = excluded.earlier_replies,
                      other_readings = excluded.other_readings, endpoint = excluded.endpoint
                    WHERE judgment.status = 'failed'
                    """, arguments: [item.imageID, now(), source["id"] as Int64])
                reused += db.changesCount
            }
            return reused
        }
        return countOnly ? try read(body) : try write(body)
    }

    /// Records how the judging of one item ended, in its own transaction.
    ///
    /// A final verdict (ok or unscored) is never overwritten; a failure replaces only an earlier failure.
    public func record(_ record: JudgmentRecord, for item: PendingJudgment, prompt: Prompt, judge: AdapterSpec,
                       scoringProtocol: ScoringProtocol, rubricSHA256: String?, provenance: String? = nil) async throws {
        var status = JudgmentStatus.failed, scores: String?, wiscore: Double?, reply: String?, error: String?, httpStatus: Int?
        var evidence = Evidence()
        var earlier: String?
        switch record.verdict {
        case .success(let verdict):
            evidence = verdict.evidence
            status = verdict.status
            switch verdict {
            case .scored(let s, _):
                scores = encodeScores(s); wiscore = scoringProtocol.itemScore(s)
                reply = evidence.replies.last
                if evidence.replies.count > 1 { earlier = WiseJSON.encode(Array(evidence.replies.dropLast())) }
            case .unscored(let reason, _):
                error = reason; reply = encodeReplies(evidence.replies)
            }
        case .failure(let failure):
            error = failure.reason; httpStatus = failure.status; evidence.usage = failure.usage
        }
        let arguments: StatementArguments = [
            item.imageID, judge.key, judge.canonicalJSON, scoringProtocol.rawValue, rubricSHA256, item.repeatIndex, status, scores, wiscore,
            reply, error, record.latencyMs, evidence.usage.input, evidence.usage.output, now(), prompt.textHash, item.sha256, record.attempts, httpStatus,
            evidence.servedModel, evidence.systemFingerprint, evidence.measurements.isEmpty ? nil : WiseJSON.encode(evidence.measurements),
            earlier, evidence.otherReadings.isEmpty ? nil : WiseJSON.encode(evidence.otherReadings), provenance,
        ]
        do {
            try await queue.write { db in
                try db.cachedStatement(sql: """
                    INSERT INTO judgment (image_id, judge_key, judge_spec, protocol, rubric_sha256, repeat_index, status, scores, wiscore,
                                          raw_reply, error, latency_ms, tokens_in, tokens_out, created_at, prompt_hash, image_sha256, attempts, http_status,
                                          served_model, system_fingerprint, measurements, earlier_replies, other_readings, endpoint)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(image_id, judge_key, repeat_index) DO UPDATE SET
                      status = excluded.status, scores = excluded.scores, wiscore = excluded.wiscore, raw_reply = excluded.raw_reply,
                      error = excluded.error, latency_ms = excluded.latency_ms,
                      tokens_in = judgment.tokens_in + excluded.tokens_in, tokens_out = judgment.tokens_out + excluded.tokens_out,
                      created_at = excluded.created_at, attempts = judgment.attempts + excluded.attempts, http_status = excluded.http_status,
                      served_model = excluded.served_model, system_fingerprint = excluded.system_fingerprint,
                      measurements = excluded.measurements, earlier_replies = excluded.earlier_replies,
                      other_readings = excluded.other_readings, endpoint = excluded.endpoint
                    WHERE judgment.status = 'failed'
                    """).execute(arguments: arguments)
            }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Counts of a run's judgments under one judge, with the tokens they spent.
    public func judgmentCounts(run: StoredRun, judge: AdapterSpec) throws -> JudgmentCounts {
        try read { db in
            var counts = JudgmentCounts()
            for row in try Row.fetchAll(db, sql: """
                SELECT j.status AS status, COUNT(*) AS n, SUM(j.tokens_in) AS tin, SUM(j.tokens_out) AS tout
                FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ? AND j.judge_key = ? GROUP BY j.status
                """, arguments: [run.id, judge.key]) {
                let n: Int = row["n"]
                switch row["status"] as JudgmentStatus {
                case .ok: counts.ok = n
                case .unscored: counts.unscored = n
                case .failed: counts.failed = n
                }
                counts.usage = counts.usage + TokenUsage(input: row["tin"] ?? 0, output: row["tout"] ?? 0)
            }
            return counts
        }
    }

    /// Every raw reply and error text of a run, for checks that no secret was stored.
    public func allJudgmentTexts(run: StoredRun) throws -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT j.judge_spec, j.raw_reply, j.error FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ?
                """, arguments: [run.id]).flatMap { row in [row[0], row[1], row[2]].compactMap { $0 as String? } }
        }
    }
}

/// Several raw replies as one JSON array text (an unscored judgment keeps every attempt's reply).
func encodeReplies(_ replies: [String]) -> String {
    "[" + replies.map(jsonString).joined(separator: ",") + "]"
}

/// One judgment as tests and studies read it back.
public struct JudgmentRow: Sendable {
    public var promptID: Int
    public var imagePath: String?
    public var repeatIndex: Int
    public var status: JudgmentStatus
    public var scores: AspectScores?
    public var rawReply: String?
    public var error: String?
    /// The model the server said answered, and its fingerprint.
    public var servedModel: String?
    public var systemFingerprint: String?
    /// Raw continuous scores of judges without tokens.
    public var measurements: [String: Double]
    /// Other readings of the reply that counted, by reading name.
    public var otherReadings: [String: ReadingOutcome]
    /// Where the judge was reached.
    public var endpoint: String?
    /// The judge that made it, and the sample of the prompt it judged.
    public var judgeKey: String = ""
    public var sampleIndex: Int = 0
}

extension ResultsStore {
    /// Every judgment of a run, in prompt and repeat order.
    public func judgmentRows(run: StoredRun) throws -> [JudgmentRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.prompt_id, i.path, j.repeat_index, j.status, j.scores, j.raw_reply, j.error,
                       j.served_model, j.system_fingerprint, j.measurements, j.other_readings, j.endpoint, j.judge_key, i.sample_index
                FROM judgment j JOIN image i ON i.id = j.image_id WHERE i.run_id = ? ORDER BY i.prompt_id, j.repeat_index
                """, arguments: [run.id]).map { row in
                JudgmentRow(promptID: row[0], imagePath: row[1], repeatIndex: row[2], status: row[3],
                            scores: decodeScores(row[4]), rawReply: row[5], error: row[6],
                            servedModel: row[7], systemFingerprint: row[8],
                            measurements: WiseJSON.decode([String: Double].self, from: row[9]) ?? [:],
                            otherReadings: WiseJSON.decode([String: ReadingOutcome].self, from: row[10]) ?? [:],
                            endpoint: row[11], judgeKey: row[12], sampleIndex: row[13])
            }
        }
    }
}
