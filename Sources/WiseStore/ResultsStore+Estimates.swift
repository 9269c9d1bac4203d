import Foundation
import GRDB
import WiseCore

/// What the store has measured of one generator: how many images it made, their mean seconds and size.
public struct GeneratorHistory: Sendable, Equatable {
    public var images: Int
    public var meanSeconds: Double?
    public var meanBytes: Double?

    public init(images: Int, meanSeconds: Double?, meanBytes: Double?) {
        self.images = images; self.meanSeconds = meanSeconds; self.meanBytes = meanBytes
    }
}

extension ResultsStore {
    /// The usable images made by runs whose generator spec is exactly `generator`, with the seconds each took.
    public func history(of generator: AdapterSpec) throws -> GeneratorHistory {
        try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, AVG(i.seconds) AS seconds, AVG(i.byte_count) AS bytes
                FROM image i JOIN run r ON r.id = i.run_id
                WHERE r.generator_spec = ? AND i.status = 'ok' AND i.seconds IS NOT NULL AND i.seconds >= 0
                """, arguments: [generator.canonicalJSON])
            return GeneratorHistory(images: row?["n"] ?? 0, meanSeconds: row?["seconds"], meanBytes: row?["bytes"])
        }
    }

    /// How many of `ids` × `samples` image slots of a run still need an image.
    public func missingImageCount(run name: String, ids: [Int], samples: Int) throws -> Int {
        guard let run = try run(named: name) else { return ids.count * samples }
        return try pendingGenerations(run: run, ids: ids, samples: samples).count
    }
}
