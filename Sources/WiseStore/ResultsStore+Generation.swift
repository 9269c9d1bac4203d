import Foundation
import GRDB
import WiseCore

/// One prompt and sample that has no usable image yet.
public struct PendingGeneration: Sendable, Equatable {
    public var promptID: Int
    public var sampleIndex: Int
    /// True when an earlier attempt failed.
    public var retry: Bool
}

/// One image row of a run, as tests, merges and studies read it back.
public struct ImageRow: Sendable, Equatable {
    public var promptID: Int
    public var sampleIndex: Int
    public var status: ImageStatus
    public var path: String?
    public var sha256: String?
    public var seed: Int?
    public var seconds: Double?
    public var metadata: String?
    public var problem: String?
    public var attempts: Int
}

/// One generation pass as recorded: which ids were asked for, and how.
public struct GenerationPass: Sendable, Equatable {
    public var selection: String
    public var requestedIDs: [Int]
    public var samples: Int
    public var seedRule: String
}

extension ResultsStore {
    /// The items among `ids` × samples that have no usable image in a run, in id and sample order.
    public func pendingGenerations(run: StoredRun, ids: [Int], samples: Int) throws -> [PendingGeneration] {
        try read { db in
            var status: [Int: [Int: ImageStatus]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT prompt_id, sample_index, status FROM image WHERE run_id = ?", arguments: [run.id]) {
                status[row["prompt_id"], default: [:]][row["sample_index"]] = row["status"]
            }
            var pending: [PendingGeneration] = []
            for id in ids.sorted() {
                for sample in 0..<samples {
                    let known = status[id]?[sample]
                    if known == .ok || known == .external { continue }
                    pending.append(PendingGeneration(promptID: id, sampleIndex: sample, retry: known == .missing))
                }
            }
            return pending
        }
    }

    /// Records how the generation of one item ended, in its own transaction, by the one rule every
    /// image entering a run follows (`recordImage`): a usable image already recorded is never
    /// replaced; a failure replaces only an earlier failure, adding to its attempts. Returns false
    /// when nothing was written because an image was there.
    @discardableResult
    public func recordGeneration(run: StoredRun, promptID: Int, sampleIndex: Int, seed: Int,
                                 result: Result<GeneratedImage, GenerationFailure>) async throws -> Bool {
        let entry: ImageRecord
        var attempt = ImageAttempt(seed: seed)
        switch result {
        case .success(let image):
            attempt.tries = image.tries
            entry = ImageRecord(promptID: promptID, sampleIndex: sampleIndex, path: image.path, sha256: image.sha256, format: image.format,
                                byteCount: image.byteCount, problem: nil, refusal: image.refusal)
            attempt.seconds = image.seconds
            attempt.metadata = image.metadata
        case .failure(let failure):
            attempt.tries = failure.tries
            entry = ImageRecord(promptID: promptID, sampleIndex: sampleIndex, path: nil, byteCount: 0, problem: failure.reason,
                                refusal: failure.refusal)
        }
        let made = attempt
        do {
            return try await queue.write { db in try self.recordImage(db, run: run, entry, attempt: made) != .unchanged }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Records that a generation pass began: the selection, the ids it asked for, samples and seed rule.
    public func recordGenerationPass(run: StoredRun, generator: AdapterSpec, selection: PromptSelection,
                                     requestedIDs: [Int], samples: Int, seedRule: SeedRule) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO generation_pass (run_id, generator_spec, selection, requested_ids, samples, seed_rule, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, generator.canonicalJSON, selection.description, PromptSelection.ranges(requestedIDs.sorted()),
                                 samples, seedRule.description, now()])
        }
    }

    /// The generation passes of a run, oldest first.
    public func generationPasses(run: StoredRun) throws -> [GenerationPass] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM generation_pass WHERE run_id = ? ORDER BY id", arguments: [run.id]).map { row in
                GenerationPass(selection: row["selection"], requestedIDs: expandRanges(row["requested_ids"]),
                               samples: row["samples"], seedRule: row["seed_rule"])
            }
        }
    }

    /// Every image row of a run (or of one prompt of it), in prompt and sample order.
    public func imageRows(run: StoredRun, promptID: Int? = nil) throws -> [ImageRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT prompt_id, sample_index, status, path, sha256, seed, seconds, generator_metadata, problem, attempts
                FROM image WHERE run_id = ? AND (? IS NULL OR prompt_id = ?) ORDER BY prompt_id, sample_index
                """, arguments: [run.id, promptID, promptID]).map { row in
                ImageRow(promptID: row[0], sampleIndex: row[1], status: row[2], path: row[3], sha256: row[4], seed: row[5],
                         seconds: row[6], metadata: row[7], problem: row[8], attempts: row[9])
            }
        }
    }
}

/// Reads `3, 17, 45–50` (as `PromptSelection.ranges` writes it) back into ids.
func expandRanges(_ text: String) -> [Int] {
    text.split(separator: ",").flatMap { part -> [Int] in
        let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "–").compactMap { Int($0) }
        guard let low = bounds.first, let high = bounds.last, low <= high else { return [] }
        return Array(low...high)
    }
}
