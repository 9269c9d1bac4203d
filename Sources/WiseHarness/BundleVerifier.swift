import Foundation
import WiseCore
import WiseJudges
import WiseStore

/// Checks a reproducibility bundle offline and without a judge, for `wise verify` and before `wise import`.
///
/// It checks the manifest's own hash, every file's SHA-256 and size (and that no file is unlisted),
/// that the catalogue files are the pinned official ones, the run's and the judge's identities,
/// every judgment's request hash, prompt hash and image hash, re-reads every stored reply with the
/// official reading (and with the reading the judge counted), recomputes every item's WiScore, the
/// board, and the official-format score files, and reports each difference it finds by name.
/// It proves the bundle is whole and consistent with the protocol; it cannot prove who made it.
public struct BundleVerifier {
    /// One difference found, named by where it is.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public var place: String
        public var problem: String
        public var description: String { "\(place): \(problem)" }
    }

    /// What a verification found and how much it checked.
    public struct Report: Sendable {
        public var manifest: BundleManifest?
        public var bundleID: String
        public var findings: [Finding] = []
        public var filesChecked = 0
        public var repliesReread = 0
        public var judgments = 0
        public var images = 0
        public var isClean: Bool { findings.isEmpty }
    }

    /// The bundle's folder.
    public var root: URL
    /// The pinned catalogue manifest the bundle's catalogue files are checked against.
    public var pinned: CatalogueManifest

    public init(path: String, pinned: CatalogueManifest? = nil) throws {
        guard PathKind(path) == .directory else {
            throw FileError("\(path) is not a bundle folder (`wise bundle RUN --out DIR` writes one)", kind: .missingInput)
        }
        guard PathKind(URL(fileURLWithPath: path).appendingPathComponent(BundleLayout.manifest).path) == .file else {
            throw FileError("\(path) holds no \(BundleLayout.manifest), so it is not a wise bundle (`wise bundle RUN --out DIR` writes one)", kind: .missingInput)
        }
        root = URL(fileURLWithPath: path)
        self.pinned = try pinned ?? CatalogueLocation.fromEnvironment().manifest
    }

    /// Runs every check; throws only when the catalogue cannot be located at all.
    public func verify() throws -> Report {
        var checker = Checker(root: root, pinned: pinned)
        checker.run()
        return checker.report
    }

    /// Loads the bundle's contents after `verify()` found nothing wrong: for `wise import`.
    func contents() throws -> (manifest: BundleManifest, catalogue: Catalogue, images: [BundleImage], judgments: [BundleJudgment]) {
        var checker = Checker(root: root, pinned: pinned)
        checker.run()
        guard checker.report.isClean, let manifest = checker.report.manifest, let catalogue = checker.catalogue else {
            let first = checker.report.findings.first.map(\.description) ?? "it cannot be read"
            throw DataError("bundle \(root.path) does not verify (\(checker.report.findings.count) problems; first: \(first)); run `wise verify \(root.path)` for all of them, nothing was imported")
        }
        return (manifest, catalogue, checker.images, checker.judgments)
    }
}

/// The checks of one verification, in order, collecting findings instead of stopping at the first.
private struct Checker {
    let root: URL
    let pinned: CatalogueManifest
    var report: BundleVerifier.Report
    var catalogue: Catalogue?
    var images: [BundleImage] = []
    var judgments: [BundleJudgment] = []

    init(root: URL, pinned: CatalogueManifest) {
        self.root = root
        self.pinned = pinned
        report = .init(manifest: nil, bundleID: "")
    }

    mutating func flag(_ place: String, _ problem: String) { report.findings.append(.init(place: place, problem: problem)) }

    mutating func run() {
        guard let manifest = readManifest() else { return }
        report.manifest = manifest
        checkFiles(manifest)
        checkCatalogue(manifest)
        images = readLines(BundleLayout.images, as: BundleImage.self)
        judgments = readLines(BundleLayout.judgments, as: BundleJudgment.self)
        report.images = images.count
        report.judgments = judgments.count
        guard let catalogue, let spec = runSpec(manifest), let judge = judgeSpec(manifest) else { return }
        checkImages(manifest)
        checkJudgments(manifest, catalogue: catalogue, judge: judge)
        recompute(manifest, spec: spec, catalogue: catalogue, judge: judge)
    }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    func read(_ path: String, limit: Int = 1 << 30) -> Data? {
        try? readUserFile(url(path).path, noun: "", expected: "a bundle file", maxBytes: limit)
    }

    /// The manifest, after checking it against `manifest.sha256`.
    mutating func readManifest() -> BundleManifest? {
        guard let data = read(BundleLayout.manifest, limit: 256 << 20) else {
            flag(BundleLayout.manifest, "cannot be read"); return nil
        }
        report.bundleID = SHA256.hex(data)
        let line = read(BundleLayout.manifestHash, limit: 4096).map { String(decoding: $0, as: UTF8.self) }
        if line == nil {
            flag(BundleLayout.manifestHash, "is missing")
        } else if line != BundleManifest.hashLine(data) {
            flag(BundleLayout.manifest, "its SHA-256 is \(report.bundleID), not the one \(BundleLayout.manifestHash) records: the manifest or its hash was changed")
        }
        do {
            let manifest = try WiseJSON.decoder().decode(BundleManifest.self, from: data)
            guard manifest.format == BundleManifest.currentFormat else {
                flag(BundleLayout.manifest, "bundle format \(manifest.format) is not one this wise (\(WiseVersion.current)) reads (format \(BundleManifest.currentFormat))")
                return nil
            }
            return manifest
        } catch {
            flag(BundleLayout.manifest, "is not a bundle manifest: \(describeDecodingError(error))")
            return nil
        }
    }

    /// Every listed file has its hash and size; nothing else is in the folder.
    mutating func checkFiles(_ manifest: BundleManifest) {
        var listed: Set<String> = [BundleLayout.manifest, BundleLayout.manifestHash]
        for file in manifest.files {
            listed.insert(file.path)
            guard !file.path.split(separator: "/").contains(".."), !file.path.hasPrefix("/") else {
                flag(file.path, "a path outside the bundle"); continue
            }
            guard let data = read(file.path) else { flag(file.path, "is listed in the manifest but missing or unreadable"); continue }
            report.filesChecked += 1
            if data.count != file.bytes { flag(file.path, "holds \(data.count) bytes; the manifest records \(file.bytes)") }
            let sha = SHA256.hex(data)
            if sha != file.sha256 { flag(file.path, "its SHA-256 is \(sha), not \(file.sha256) as the manifest records: the file was changed") }
            if file.path.hasPrefix(BundleLayout.imageFolder + "/"), !URL(fileURLWithPath: file.path).lastPathComponent.hasPrefix(sha) {
                flag(file.path, "an image whose name is not its SHA-256 (\(sha))")
            }
        }
        // Anything but a folder counts: a symbolic link or a device added to the bundle is named too.
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let item = enumerator?.nextObject() as? URL {
            guard (try? item.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory != true else { continue }
            let path = String(item.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if !listed.contains(path) { flag(path, "is in the bundle folder but not in the manifest") }
        }
    }

    /// The catalogue files are the pinned official ones, and the run was made from that catalogue.
    mutating func checkCatalogue(_ manifest: BundleManifest) {
        if manifest.catalogue.commit != pinned.commit {
            flag("catalogue", "the bundle pins commit \(manifest.catalogue.commit) of \(manifest.catalogue.repository); this wise pins \(pinned.commit)")
        }
        let known = ((try? pinned.entry(for: manifest.run.set).files.map { ($0.path, $0.sha256) }) ?? [])
            + (pinned.evaluators ?? []).map { ($0.path, $0.sha256) }
        for file in manifest.catalogue.files where file.included {
            if let hash = known.first(where: { $0.0 == file.path })?.1, hash != file.sha256 {
                flag("\(BundleLayout.catalogue)/\(file.path)", "the manifest records SHA-256 \(file.sha256), but the pinned official file is \(hash)")
            }
        }
        do {
            let loaded = try Catalogue.load(manifest.run.set, from: url(BundleLayout.catalogue), manifest: pinned)
            if loaded.contentHash != manifest.run.catalogueHash {
                flag("manifest.json run.catalogue_hash", "is \(manifest.run.catalogueHash); the bundled catalogue's content hash is \(loaded.contentHash)")
            }
            catalogue = loaded
        } catch {
            flag(BundleLayout.catalogue, "the \(manifest.run.set.rawValue) prompt files do not load: \(error)")
        }
    }

    mutating func readLines<T: Decodable>(_ path: String, as type: T.Type) -> [T] {
        var values: [T] = []
        let decoder = WiseJSON.decoder()
        do {
            try forEachLine(ofUserFile: url(path).path, noun: "", expected: "a bundle's JSON lines", maxBytes: 1 << 30, maxLineBytes: 64 << 20) { line, number in
                do { values.append(try decoder.decode(T.self, from: line)) } catch {
                    flag("\(path):\(number)", "not a record of this file: \(describeDecodingError(error))")
                }
            }
        } catch {
            flag(path, "cannot be read: \(error)")
        }
        return values
    }

    mutating func runSpec(_ manifest: BundleManifest) -> RunSpec? {
        guard let generator = AdapterSpec.parse(manifest.run.generator) else {
            flag("manifest.json run.generator", "is not a generator spec"); return nil
        }
        let spec = RunSpec(name: manifest.run.name, set: manifest.run.set, scoringProtocol: manifest.run.scoringProtocol,
                           generator: generator, catalogueHash: manifest.run.catalogueHash)
        if spec.fingerprint != manifest.run.fingerprint {
            flag("manifest.json run.fingerprint", "is \(manifest.run.fingerprint); the run's set, protocol, generator and catalogue give \(spec.fingerprint)")
        }
        return spec
    }

    mutating func judgeSpec(_ manifest: BundleManifest) -> AdapterSpec? {
        guard let judge = AdapterSpec.parse(manifest.judge.spec) else {
            flag("manifest.json judge.spec", "is not a judge spec"); return nil
        }
        if judge.key != manifest.judge.key {
            flag("manifest.json judge.key", "is \(manifest.judge.key); the judge's spec gives \(judge.key)")
        }
        return judge
    }

    /// Every bundled image is listed in images.jsonl, and with --hashes-only none is expected.
    mutating func checkImages(_ manifest: BundleManifest) {
        guard manifest.imagesIncluded else { return }
        let files = Set(manifest.files.map(\.path))
        for image in images where image.status == ImageStatus.ok.rawValue {
            guard let sha = image.sha256 else { flag("images.jsonl prompt \(image.promptID)", "a usable image without a SHA-256"); continue }
            if !files.contains(BundleLayout.imagePath(sha256: sha, format: image.format)) {
                flag("images.jsonl prompt \(image.promptID)", "image \(sha.prefix(12))… is not in the bundle")
            }
        }
    }

    /// Each judgment's hashes, its reply re-read, and its WiScore recomputed.
    mutating func checkJudgments(_ manifest: BundleManifest, catalogue: Catalogue, judge: AdapterSpec) {
        let scoringProtocol = manifest.run.scoringProtocol
        let slots = Dictionary(images.map { ([$0.promptID, $0.sample], $0) }, uniquingKeysWith: { first, _ in first })
        // A judge without a reading of its own (scores imported from the official evaluator's
        // files) was read the official way.
        let counted = Reading(rawValue: judge.parameters["reading"] ?? Reading.official.rawValue)
        for judgment in judgments {
            let place = "judgments.jsonl prompt \(judgment.promptID) sample \(judgment.sample) repeat \(judgment.repeatIndex)"
            if judgment.requestSHA256 != BundleLayout.requestHash(judgeKey: judge.key, judgment) {
                flag(place, "its request hash does not match its judge, rubric, prompt, image and repeat")
            }
            if let hash = judgment.promptHash, hash != catalogue.prompt(judgment.promptID)?.textHash {
                flag(place, "its prompt hash is not the catalogue's prompt \(judgment.promptID)")
            }
            if let sha = judgment.imageSHA256, sha != slots[[judgment.promptID, judgment.sample]]?.sha256 {
                flag(place, "judged image \(sha.prefix(12))…, not the image images.jsonl records for that slot")
            }
            checkVerdict(judgment, place: place, scoringProtocol: scoringProtocol, counted: counted)
        }
    }

    /// The stored scores are what the reply reads as, and the WiScore follows from them.
    mutating func checkVerdict(_ judgment: BundleJudgment, place: String, scoringProtocol: ScoringProtocol, counted: Reading?) {
        let scores = judgment.scores.map(AspectScores.init)
        switch judgment.status {
        case JudgmentStatus.ok.rawValue:
            guard let scores, scores.validate(for: scoringProtocol) == nil else {
                flag(place, "status ok but its scores are not a \(scoringProtocol.rawValue) verdict"); return
            }
            if judgment.wiscore != scoringProtocol.itemScore(scores) {
                flag(place, "its WiScore \(judgment.wiscore.map { "\($0)" } ?? "null") is not \(scoringProtocol.itemScore(scores)), what its scores give")
            }
        case JudgmentStatus.unscored.rawValue, JudgmentStatus.failed.rawValue:
            if scores != nil || judgment.wiscore != nil { flag(place, "status \(judgment.status) but it carries scores") }
        default:
            flag(place, "status '\(judgment.status)' is not ok, unscored or failed")
        }
        guard let reply = judgment.rawReply, let counted, judgment.status != JudgmentStatus.failed.rawValue else { return }
        report.repliesReread += 1
        let reading = counted.read(reply, scoringProtocol: scoringProtocol)
        if reading.scores != scores {
            let said = reading.scores.map { "\($0.values.sorted { $0.key < $1.key })" } ?? "no score"
            flag(place, "its reply reads as \(said) with the \(counted.rawValue) reading the judge counted, not the stored verdict")
        }
    }

    /// The board and the official-format score files, recomputed from a fresh store holding the bundle.
    mutating func recompute(_ manifest: BundleManifest, spec: RunSpec, catalogue: Catalogue, judge: AdapterSpec) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wise-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try ResultsStore(path: folder.appendingPathComponent("verify.sqlite").path, create: true)
            let originalPaths = originalImagePaths(manifest)
            let result = try store.importBundle(spec, catalogue: catalogue, judge: judge, images: images, judgments: judgments,
                                               imagePath: { originalPaths[[$0.promptID, $0.sample]] ?? "" })
            let board = BundleManifest.Board(try store.summary(of: result.run, judgeKey: judge.key).score)
            compare(board, manifest.board)
            let items = try store.exportItems(of: result.run, judge: judge)
            for (name, data) in ScoreFile.exportFiles(items, scoringProtocol: spec.scoringProtocol) {
                let path = "\(BundleLayout.scores)/\(name)"
                if read(path) != data { flag(path, "differs from the official-format file the bundle's verdicts give") }
            }
        } catch {
            flag("judgments.jsonl", "the verdicts cannot be recomputed: \(error)")
        }
    }

    /// The image paths the official full-results files recorded, so the files recompute byte for byte.
    func originalImagePaths(_ manifest: BundleManifest) -> [[Int]: String] {
        var paths: [[Int]: String] = [:]
        for file in manifest.files where file.path.hasPrefix(BundleLayout.scores + "/") && file.path.hasSuffix("_full_results.json") {
            guard let data = read(file.path), let value = try? JSONValue.read(data), case .array(let entries) = value else { continue }
            for entry in entries {
                if let id = entry["prompt_id"]?.integer, let path = entry["image_path"]?.string { paths[[id, 0]] = path }
            }
        }
        return paths
    }

    mutating func compare(_ recomputed: BundleManifest.Board, _ recorded: BundleManifest.Board) {
        func same(_ a: Double?, _ b: Double?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case let (x?, y?): return abs(x - y) <= 1e-12
            default: return false
            }
        }
        if !same(recomputed.overall, recorded.overall) {
            flag("manifest.json board.overall", "records \(recorded.overall.map { "\($0)" } ?? "null"); the verdicts give \(recomputed.overall.map { "\($0)" } ?? "null")")
        }
        for category in Category.allCases {
            let a = recomputed.categories[category.rawValue] ?? nil, b = recorded.categories[category.rawValue] ?? nil
            if !same(a, b) {
                flag("manifest.json board.categories.\(category.rawValue)", "records \(b.map { "\($0)" } ?? "null"); the verdicts give \(a.map { "\($0)" } ?? "null")")
            }
        }
        if (recomputed.scored, recomputed.unscored, recomputed.failed) != (recorded.scored, recorded.unscored, recorded.failed) {
            flag("manifest.json board", "records \(recorded.scored) scored, \(recorded.unscored) unscored, \(recorded.failed) failed; the verdicts give \(recomputed.scored), \(recomputed.unscored), \(recomputed.failed)")
        }
    }
}
