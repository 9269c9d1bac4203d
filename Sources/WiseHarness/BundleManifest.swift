import Foundation
import WiseCore
import WiseStore

/// What a reproducibility bundle holds and the SHA-256 of every file in it (`manifest.json`).
///
/// A bundle is a folder: `manifest.json`, `manifest.sha256` (the manifest's own hash, in
/// `sha256sum -c` format), `images.jsonl`, `judgments.jsonl`, the official-format score files
/// under `scores/`, the catalogue files under `catalogue/` as laid out upstream, and the images
/// under `images/` named by their SHA-256 (left out with `--hashes-only`). The bundle's id is the
/// SHA-256 of `manifest.json`: it names every byte of the bundle.
public struct BundleManifest: Codable, Sendable, Equatable {
    /// The bundle layout's version; a reader refuses one it does not know.
    public static let currentFormat = 1

    public var format: Int
    public var wiseVersion: String
    public var createdAt: String
    public var run: Run
    public var judge: Judge
    public var catalogue: CatalogueRecord
    /// The board as the store computed it when the bundle was written.
    public var board: Board
    /// Whether the image files are in the bundle (false: only their hashes).
    public var imagesIncluded: Bool
    /// Every file of the bundle but the manifest and its hash, sorted by path.
    public var files: [FileRecord]

    /// The run as recorded: what `wise import` re-creates.
    public struct Run: Codable, Sendable, Equatable {
        public var name: String
        public var set: PromptSet
        public var scoringProtocol: ScoringProtocol
        /// The generator's spec as the store recorded it (canonical JSON).
        public var generator: String
        public var fingerprint: String
        public var catalogueHash: String

        enum CodingKeys: String, CodingKey {
            case name, set, scoringProtocol = "protocol", generator, fingerprint, catalogueHash = "catalogue_hash"
        }
    }

    /// The judge whose verdicts the bundle carries.
    public struct Judge: Codable, Sendable, Equatable {
        public var key: String
        /// Its identity as the store recorded it (canonical JSON).
        public var spec: String
    }

    /// The pinned catalogue the run used: its upstream commit and the SHA-256 of each file.
    public struct CatalogueRecord: Codable, Sendable, Equatable {
        public var repository: String
        public var commit: String
        /// The prompt files of the run's set and the protocol's official evaluator script.
        public var files: [PinnedRecord]
    }

    /// A file of the official repository: its path there, its pinned SHA-256, and whether the bundle carries it.
    public struct PinnedRecord: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var included: Bool
    }

    /// The run's WiScore, overall and per category, with the counts behind it.
    public struct Board: Codable, Sendable, Equatable {
        public var overall: Double?
        public var categories: [String: Double?]
        public var scored: Int
        public var unscored: Int
        public var failed: Int
        public var missing: Int
        public var unjudged: Int

        public init(_ score: WiScore) {
            overall = score.overall
            categories = Dictionary(uniqueKeysWithValues: score.categories.map { ($0.key.rawValue, $0.value.score) })
            let all = Array(score.categories.values)
            scored = all.reduce(0) { $0 + $1.scored }
            unscored = all.reduce(0) { $0 + $1.unscored }
            failed = all.reduce(0) { $0 + $1.failed }
            missing = all.reduce(0) { $0 + $1.missing }
            unjudged = all.reduce(0) { $0 + $1.unjudged }
        }
    }

    /// One file of the bundle: where it lies in the folder, its SHA-256 and its size.
    public struct FileRecord: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int

        public init(path: String, sha256: String, bytes: Int) { self.path = path; self.sha256 = sha256; self.bytes = bytes }
    }

    enum CodingKeys: String, CodingKey {
        case format, wiseVersion = "wise_version", createdAt = "created_at", run, judge, catalogue, board
        case imagesIncluded = "images_included", files
    }

    /// The manifest as written: pretty-printed, keys sorted, so people can read it and diffs are small.
    public func encoded() -> Data {
        // Every member is a string, number or list of them: encoding cannot fail.
        (try? WiseJSON.encoder(pretty: true).encode(self)) ?? Data()
    }

    /// The line of `manifest.sha256` for a manifest's bytes.
    public static func hashLine(_ manifest: Data) -> String { SHA256.hex(manifest) + "  manifest.json\n" }
}

/// The file names of a bundle's folder, in one place.
enum BundleLayout {
    static let manifest = "manifest.json"
    static let manifestHash = "manifest.sha256"
    static let images = "images.jsonl"
    static let judgments = "judgments.jsonl"
    static let scores = "scores"
    static let catalogue = "catalogue"
    static let imageFolder = "images"

    /// Where a bundled image lies: `images/<sha256>.<format>`.
    static func imagePath(sha256: String, format: String?) -> String {
        "\(imageFolder)/\(sha256).\(format ?? "bin")"
    }

    /// The SHA-256 of a judgment's request identity: the judge, the rubric, the prompt, the image
    /// and the repeat, which together decide what the judge was asked.
    static func requestHash(judgeKey: String, _ judgment: BundleJudgment) -> String {
        SHA256.hex([judgeKey, judgment.rubricSHA256 ?? "", judgment.promptHash ?? "", judgment.imageSHA256 ?? "",
                    String(judgment.repeatIndex)].joined(separator: "\u{1}"))
    }
}
