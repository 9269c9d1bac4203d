import Foundation

/// Where the official WISE prompt files come from, how to check them, and how their ids map to categories.
///
/// The built-in `official` manifest pins the official repository to one commit; `prompts/catalogue.json`
/// holds the same data for people to read (a test keeps the two equal). A test or a mirror can
/// supply another manifest (`WISE_MANIFEST=FILE`).
public struct CatalogueManifest: Codable, Sendable, Equatable {
    public var repository: String
    public var commit: String
    /// Prefix of every file's download URL; `url(for:)` appends the file's `source` path.
    public var baseURL: String
    public var sets: [SetEntry]
    /// The official evaluator scripts the judge's request is taken from (see `OfficialEvaluator`).
    /// Optional in manifest files, so a mirror of the prompts alone still loads.
    public var evaluators: [EvaluatorEntry]?
    /// The published leaderboards (`leadboard.md`, the tables in `WISE_legacy/README.md`), read by
    /// `wise audit` and `wise report --published`. Optional, so older manifest files still load.
    public var boards: [BoardEntry]?

    /// One prompt set: its files, category id ranges and the weights of its protocol.
    public struct SetEntry: Codable, Sendable, Equatable {
        public var name: PromptSet
        public var scoringProtocol: ScoringProtocol
        public var files: [FileEntry]
        public var ranges: [CategoryRange]
        public var weights: [String: Double]

        enum CodingKeys: String, CodingKey {
            case name, scoringProtocol = "protocol", files, ranges, weights
        }

        /// The category an id belongs to, or nil when it lies outside every range.
        public func category(of id: Int) -> Category? {
            ranges.first { $0.first <= id && id <= $0.last }?.category
        }
    }

    /// One official evaluator script: where it lives, its SHA-256 and the SHA-256 of each part taken out of it.
    public struct EvaluatorEntry: Codable, Sendable, Equatable, PinnedFile {
        public var scoringProtocol: ScoringProtocol
        /// The path inside a catalogue directory (`official/vllm_eval.py`).
        public var path: String
        /// The path inside the official repository (`vllm_eval.py`).
        public var source: String
        public var sha256: String
        /// The SHA-256 of the extracted `system`, `template` and `settings` (see `OfficialEvaluator.partHashes`).
        public var extracted: [String: String]

        enum CodingKeys: String, CodingKey {
            case scoringProtocol = "protocol", path, source, sha256, extracted
        }

        public init(scoringProtocol: ScoringProtocol, path: String, source: String, sha256: String, extracted: [String: String]) {
            self.scoringProtocol = scoringProtocol; self.path = path; self.source = source; self.sha256 = sha256; self.extracted = extracted
        }
    }

    /// One published leaderboard: where it lives, its SHA-256, and the protocol its rows were scored with.
    public struct BoardEntry: Codable, Sendable, Equatable, PinnedFile {
        public var scoringProtocol: ScoringProtocol
        /// The path inside a catalogue directory (`official/leadboard.md`).
        public var path: String
        /// The path inside the official repository (`leadboard.md`).
        public var source: String
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case scoringProtocol = "protocol", path, source, sha256
        }

        public init(scoringProtocol: ScoringProtocol, path: String, source: String, sha256: String) {
            self.scoringProtocol = scoringProtocol; self.path = path; self.source = source; self.sha256 = sha256
        }
    }

    /// The published board of a protocol, or a usage error when the manifest pins none.
    public func board(for scoringProtocol: ScoringProtocol) throws -> BoardEntry {
        guard let entry = (boards ?? []).first(where: { $0.scoringProtocol == scoringProtocol }) else {
            throw UsageError("the catalogue manifest pins no published board for protocol \(scoringProtocol.rawValue)")
        }
        return entry
    }

    /// Every file the manifest pins for some sets: their prompt files, then each protocol's evaluator and board.
    public func pinnedFiles(for sets: [PromptSet]) throws -> [any PinnedFile] {
        var files: [FileEntry] = []
        var protocols: [ScoringProtocol] = []
        for set in sets {
            let entry = try entry(for: set)
            for file in entry.files where !files.contains(file) { files.append(file) }
            if !protocols.contains(entry.scoringProtocol) { protocols.append(entry.scoringProtocol) }
        }
        var pinned: [any PinnedFile] = files
        pinned += (evaluators ?? []).filter { protocols.contains($0.scoringProtocol) } as [any PinnedFile]
        pinned += (boards ?? []).filter { protocols.contains($0.scoringProtocol) } as [any PinnedFile]
        return pinned
    }

    /// The evaluator entry of a protocol.
    public func evaluator(for scoringProtocol: ScoringProtocol) throws -> EvaluatorEntry {
        guard let entry = (evaluators ?? []).first(where: { $0.scoringProtocol == scoringProtocol }) else {
            throw UsageError("the catalogue manifest pins no official evaluator for protocol \(scoringProtocol.rawValue); use --rubric plain or a rubric file")
        }
        return entry
    }

    /// One JSON file of a set.
    public struct FileEntry: Codable, Sendable, Equatable, PinnedFile {
        /// The domain the file covers (`cultural_common_sense`, …), used to name exported files.
        public var domain: String
        /// The path inside a catalogue directory such as `../shared/wise` or the cache.
        public var path: String
        /// The path inside the official repository.
        public var source: String
        public var sha256: String
        /// The first and last prompt id the file holds.
        public var ids: [Int]
    }

    /// The prompt ids `first…last` that make up one category.
    public struct CategoryRange: Codable, Sendable, Equatable {
        public var category: Category
        public var first: Int
        public var last: Int
    }

    /// The entry for one set.
    public func entry(for set: PromptSet) throws -> SetEntry {
        guard let entry = sets.first(where: { $0.name == set }) else {
            throw UsageError("the catalogue manifest has no set '\(set.rawValue)'")
        }
        return entry
    }

    /// The download URL of one file.
    public func url(for file: any PinnedFile, baseURL override: String? = nil) -> String {
        var base = override ?? baseURL
        if !base.hasSuffix("/") { base += "/" }
        return base + file.source
    }

    /// The manifest as pretty, key-sorted JSON (what `prompts/catalogue.json` holds).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try! encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Reads a manifest file, naming the file in any error.
    public static func load(from url: URL) throws -> CatalogueManifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError("cannot read catalogue manifest \(url.path): \(error.localizedDescription)", kind: .missingInput)
        }
        let manifest: CatalogueManifest
        do { manifest = try JSONDecoder().decode(CatalogueManifest.self, from: data) } catch {
            throw DataError("catalogue manifest \(url.path) is not a valid manifest: \(describeDecodingError(error))")
        }
        try manifest.checkNames(label: url.path)
        return manifest
    }

    /// Refuses a manifest whose `domain` is not a plain file name or whose `path` is not plain
    /// names joined by `/`: neither may climb out of the cache, `WISE_DATA` or an export folder.
    public func checkNames(label: String) throws {
        for file in sets.flatMap(\.files) {
            guard isPlainFileName(file.domain) else {
                throw DataError("catalogue manifest \(label): domain '\(file.domain)' is not a plain file name (letters, digits, '.', '_', '-')")
            }
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), parts.allSatisfy(isPlainFileName) else {
                throw DataError("catalogue manifest \(label): path '\(file.path)' must be a file name, or a folder and a file name, without '..' or a leading '/'")
            }
        }
        // Evaluators and boards sit deeper (official/WISE_legacy/…), and every source path is
        // read below a --from folder: none may climb out either.
        var pinned: [any PinnedFile] = sets.flatMap(\.files)
        pinned += (evaluators ?? []) as [any PinnedFile]
        pinned += (boards ?? []) as [any PinnedFile]
        for file in pinned {
            for path in [file.path, file.source] where !isPlainRelativePath(path) {
                throw DataError("catalogue manifest \(label): path '\(path)' must be plain names joined by '/', without '..' or a leading '/'")
            }
        }
    }
}

extension CatalogueManifest {
    /// The official WISE repository pinned to commit eb51174 (2026-04-25).
    public static let official: CatalogueManifest = {
        let commit = "eb51174483a5de2e34e8614cf9dfb3319ee7fcd0"
        let legacyRanges: [CategoryRange] = [
            .init(category: .culture, first: 1, last: 400), .init(category: .time, first: 401, last: 567),
            .init(category: .space, first: 568, last: 700), .init(category: .biology, first: 701, last: 800),
            .init(category: .physics, first: 801, last: 900), .init(category: .chemistry, first: 901, last: 1000),
        ]
        let verifiedRanges: [CategoryRange] = [
            .init(category: .culture, first: 1, last: 400), .init(category: .time, first: 401, last: 520),
            .init(category: .space, first: 521, last: 640), .init(category: .biology, first: 641, last: 760),
            .init(category: .physics, first: 761, last: 880), .init(category: .chemistry, first: 881, last: 1000),
        ]
        func weights(_ p: ScoringProtocol) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: p.weights.map { ($0.key.rawValue, $0.value) })
        }
        func legacyFile(_ domain: String, _ suffix: String, _ sha: String, _ ids: [Int]) -> FileEntry {
            FileEntry(domain: domain, path: "legacy/\(domain)\(suffix).json",
                      source: "WISE_legacy/data/\(domain)\(suffix).json", sha256: sha, ids: ids)
        }
        return CatalogueManifest(
            repository: "PKU-YuanGroup/WISE",
            commit: commit,
            baseURL: "https://raw.githubusercontent.com/PKU-YuanGroup/WISE/\(commit)/",
            sets: [
                SetEntry(name: .legacy, scoringProtocol: .legacy, files: [
                    legacyFile("cultural_common_sense", "", "7a59216c768698280cea37caa574b52f3faf054d73b398b9bb6b3161baf8e3aa", [1, 400]),
                    legacyFile("spatio-temporal_reasoning", "", "e27d797885ad86e64d857d0cc93d33e04be572a8dcae95692a2c7e7876233f9a", [401, 700]),
                    legacyFile("natural_science", "", "b262fae58e413c7a4bd3c3d5a089f8c6529feac227e4b6606be261a949035544", [701, 1000]),
                ], ranges: legacyRanges, weights: weights(.legacy)),
                SetEntry(name: .legacyRewrite, scoringProtocol: .legacy, files: [
                    legacyFile("cultural_common_sense", "_rewrite", "4383290c349703776c24cfa864bfa3e065dae2e3f408cf46af702f2b7affea9f", [1, 400]),
                    legacyFile("spatio-temporal_reasoning", "_rewrite", "f63c98fff301e81c3ca6d3918683fb49757c3159d9b9e45dda8b2c9cf6a75d64", [401, 700]),
                    legacyFile("natural_science", "_rewrite", "6aee690e100ffb65b292de3fbe35ce89fa1ca2b92063a99d227d04eaa51af2b3", [701, 1000]),
                ], ranges: legacyRanges, weights: weights(.legacy)),
                SetEntry(name: .verified, scoringProtocol: .verified, files: [
                    FileEntry(domain: "cultural_common_sense", path: "verified/cultural_common_sense_verified.json",
                              source: "data_verified/cultural_common_sense_verified.json",
                              sha256: "23482925266e2784b2ba24b75239fdc6691bf85ae253d2c4aa38b71b45fefa89", ids: [1, 400]),
                    FileEntry(domain: "spatio-temporal_reasoning", path: "verified/spatio-temporal_reasoning_verified.json",
                              source: "data_verified/spatio-temporal_reasoning_verified.json",
                              sha256: "42c0b9d829365e392c2d4af283850dc76b1f922ab0c79198366de4f306eaf2b6", ids: [401, 640]),
                    FileEntry(domain: "natural_science", path: "verified/natural_science_verified.json",
                              source: "data_verified/natural_science_verified.json",
                              sha256: "6f346c336f16f611e5c73e0fcacdccb336c200d534cf111526b22d50ea912555", ids: [641, 1000]),
                ], ranges: verifiedRanges, weights: weights(.verified)),
            ],
            evaluators: [
                EvaluatorEntry(scoringProtocol: .verified, path: "official/vllm_eval.py", source: "vllm_eval.py",
                               sha256: "e6c51c2ae81e4eb0465755b248cbcefeef3fb8340e281bb3ac43ea9689e32192",
                               extracted: ["system": "c9b9e5e189408801a05c600dfc385addc37bb1ebe9b933c74202ea72eb415f8c",
                                           "template": "ae8ed379b898b441a5ebe7b3b7ba86fee0ac5ab5ac1272bedf12891029cf302c",
                                           "settings": "affff2f42ddbfd7b7cb9f8d722cec45d46f1c01a4edff7438075d2f987e33b0d"]),
                EvaluatorEntry(scoringProtocol: .legacy, path: "official/WISE_legacy/gpt_eval.py", source: "WISE_legacy/gpt_eval.py",
                               sha256: "06fd6dcd7cf45a638fe8a3634b880d936077f161f3641002e58d7bf51daa2407",
                               extracted: ["system": "1034e394de55d899eb78e5ad09835de551cefa5bfeb0ba4bf452c83f6285ffc0",
                                           "template": "08b61170ace02a0830e76b815f5920e151c367b487c57ba1ca425de963db326e",
                                           "settings": "87247047cd1e489b260a28131a809920219eb522796547a9b0352c33d075d08f"]),
            ],
            boards: [
                BoardEntry(scoringProtocol: .verified, path: "official/leadboard.md", source: "leadboard.md",
                           sha256: "b8d22571d66b9ccd382918f1a812c5672cc77b54c0611eac3c008e8fad848783"),
                BoardEntry(scoringProtocol: .legacy, path: "official/WISE_legacy/README.md", source: "WISE_legacy/README.md",
                           sha256: "b691a9934ebe9708e00434b3c4b610a87932b25d67adcc4607d2e0df9f1665b2"),
            ])
    }()
}

/// A file the manifest pins: its place in a catalogue folder, in the repository, and its SHA-256.
public protocol PinnedFile: Sendable {
    var path: String { get }
    var source: String { get }
    var sha256: String { get }
}

/// Turns a DecodingError into a short phrase naming the key path.
public func describeDecodingError(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "" : " at \(p)"
    }
    switch error {
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return c.debugDescription + path(c)
    case .keyNotFound(let key, let c): return "missing key '\(key.stringValue)'" + path(c)
    case .dataCorrupted(let c): return c.debugDescription + path(c)
    @unknown default: return "\(error)"
    }
}

/// Whether a path is 1–4 plain file names joined by '/' (no '..', no leading '/').
public func isPlainRelativePath(_ path: String) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    return (1...4).contains(parts.count) && parts.allSatisfy(isPlainFileName)
}

/// Whether a name is a plain file name: 1–255 ASCII letters, digits, '.', '_' or '-', not starting with '.'.
public func isPlainFileName(_ name: String) -> Bool {
    guard (1...255).contains(name.utf8.count), !name.hasPrefix(".") else { return false }
    return name.utf8.allSatisfy { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
