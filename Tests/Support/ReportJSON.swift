import Foundation

/// The JSON that `wise report --format json` prints, decoded with JSONDecoder (which, unlike
/// JSONSerialization on Linux, reads every double back exactly).
public struct ReportJSON: Decodable, Sendable {
    public var set: String
    public var `protocol`: String
    public var runs: [Run]

    public struct Run: Decodable, Sendable {
        public var name: String
        public var set: String
        public var `protocol`: String
        public var overall: Double?
        public var scored: Int
        public var total: Int
        public var categories: [String: Category]
    }

    public struct Category: Decodable, Sendable, Equatable {
        public var score: Double?
        public var scored: Int
        public var unscored: Int
        public var failed: Int
        public var unjudged: Int
        public var missing: Int
    }

    public static func decode(_ text: String) throws -> ReportJSON {
        try JSONDecoder().decode(ReportJSON.self, from: Data(text.utf8))
    }
}
