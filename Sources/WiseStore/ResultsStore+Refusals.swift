import Foundation
import GRDB
import WiseCore

extension ResultsStore {
    /// The prompts of a run with a refused image (any sample), and the first refusal's reason.
    public func refusals(of run: StoredRun) throws -> [Int: String] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT prompt_id, refusal FROM image WHERE run_id = ? AND refusal IS NOT NULL ORDER BY prompt_id, sample_index
                """, arguments: [run.id]).reduce(into: [Int: String]()) { out, row in
                let id: Int = row["prompt_id"]
                if out[id] == nil { out[id] = row["refusal"] }
            }
        }
    }
}
