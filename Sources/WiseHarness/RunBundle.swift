import Foundation
import WiseCore
import WiseStore

/// Writes one run and one judge's verdicts as a self-contained, content-addressed folder, for `wise bundle`.
///
/// The bundle is built in a hidden sibling folder and renamed into place at the end, so a crash
/// or a refusal leaves no half-written bundle. See `BundleManifest` for the layout.
public struct RunBundle {
    public var store: ResultsStore
    public var run: StoredRun
    public var judge: AdapterSpec
    /// Whether to copy the images (false: only their hashes travel).
    public var includeImages: Bool
    /// Where the run's catalogue files are read from.
    public var location: CatalogueLocation

    /// Chooses the judge (by key prefix, or the latest); a run never judged is refused.
    public init(store: ResultsStore, run name: String, judgeKey: String?, includeImages: Bool,
                location: CatalogueLocation? = nil) throws {
        self.store = store
        self.location = try location ?? CatalogueLocation.fromEnvironment()
        run = try store.requireRun(name)
        guard let judge = try store.chooseJudge(of: run, key: judgeKey) else {
            throw UsageError("run '\(name)' has no judgments yet; judge it first (`wise judge \(name) …`), then bundle it")
        }
        self.judge = judge
        self.includeImages = includeImages
    }

    /// Writes the bundle into folder `out`, which must not exist yet, and returns its id (the manifest's SHA-256).
    @discardableResult
    public func write(to out: String) throws -> String {
        let target = URL(fileURLWithPath: out)
        guard PathKind(out) == .missing else {
            throw FileError("--out \(out) already exists; a bundle is written into a new folder: pick another path or remove it", kind: .cannotCreate)
        }
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw FileError("cannot create \(staging.path): \(error.localizedDescription)", kind: .cannotCreate)
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        let id = try fill(staging)
        do { try FileManager.default.moveItem(at: staging, to: target) } catch {
            throw FileError("cannot move the bundle into \(out): \(error.localizedDescription)", kind: .cannotCreate)
        }
        return id
    }

    /// Writes every file into `folder` and returns the bundle id.
    private func fill(_ folder: URL) throws -> String {
        var writer = BundleFolderWriter(root: folder)
        let catalogue = try location.load(run.set)
        let records = try store.bundleRecords(of: run, judge: judge)
        if includeImages { try copyImages(records.images, into: &writer) }
        try writer.add(BundleLayout.images, jsonLines(records.images))
        let judgments = records.judgments.map { judgment -> BundleJudgment in
            var judgment = judgment
            judgment.requestSHA256 = BundleLayout.requestHash(judgeKey: judge.key, judgment)
            return judgment
        }
        try writer.add(BundleLayout.judgments, jsonLines(judgments))
        let items = try store.exportItems(of: run, judge: judge)
        for (name, data) in ScoreFile.exportFiles(items, scoringProtocol: run.scoringProtocol) {
            try writer.add("\(BundleLayout.scores)/\(name)", data)
        }
        let pinned = try copyCatalogue(location, into: &writer)
        let summary = try store.summary(of: run, judgeKey: judge.key)
        let manifest = BundleManifest(
            format: BundleManifest.currentFormat, wiseVersion: WiseVersion.current, createdAt: ISO8601DateFormatter().string(from: Date()),
            run: .init(name: run.name, set: run.set, scoringProtocol: run.scoringProtocol, generator: run.generator.canonicalJSON,
                       fingerprint: run.fingerprint, catalogueHash: catalogue.contentHash),
            judge: .init(key: judge.key, spec: judge.canonicalJSON),
            catalogue: .init(repository: location.manifest.repository, commit: location.manifest.commit, files: pinned),
            board: .init(summary.score), imagesIncluded: includeImages,
            files: writer.records.sorted { $0.path < $1.path })
        let data = manifest.encoded()
        try writer.put(BundleLayout.manifest, data)
        try writer.put(BundleLayout.manifestHash, Data(BundleManifest.hashLine(data).utf8))
        return SHA256.hex(data)
    }

    /// Copies each usable image once, checking its bytes still have the hash the store recorded.
    private func copyImages(_ images: [BundleImage], into writer: inout BundleFolderWriter) throws {
        let paths = try store.imagePaths(of: run)
        var copied: Set<String> = []
        for image in images where image.status == ImageStatus.ok.rawValue {
            guard let sha = image.sha256, !copied.contains(sha) else { continue }
            guard let path = paths[[image.promptID, image.sample]] else { continue }
            let data = try readUserFile(path, noun: "image", expected: "the image file registered for prompt \(image.promptID)",
                                        missingHint: "; it moved or was deleted since the run recorded it: restore it, or pass --hashes-only")
            guard SHA256.hex(data) == sha else {
                throw DataError("image \(path) (prompt \(image.promptID)) changed since the run recorded it (SHA-256 differs); restore it, or pass --hashes-only")
            }
            try writer.add(BundleLayout.imagePath(sha256: sha, format: image.format), data)
            copied.insert(sha)
        }
    }

    /// Copies the set's prompt files and the protocol's evaluator script, as laid out upstream.
    private func copyCatalogue(_ location: CatalogueLocation, into writer: inout BundleFolderWriter) throws -> [BundleManifest.PinnedRecord] {
        let directory = try location.directory(for: run.set)
        var records: [BundleManifest.PinnedRecord] = []
        for file in try location.manifest.entry(for: run.set).files {
            let data = try readUserFile(directory.appendingPathComponent(file.path).path, noun: "catalogue file", expected: "the JSON file \(file.path)")
            try writer.add("\(BundleLayout.catalogue)/\(file.path)", data)
            records.append(.init(path: file.path, sha256: file.sha256, included: true))
        }
        if let evaluator = try? location.manifest.evaluator(for: run.scoringProtocol) {
            let url = (location.dataDirectory ?? location.cacheDirectory).appendingPathComponent(evaluator.path)
            let data = FileManager.default.contents(atPath: url.path)
            let included = data.map { SHA256.hex($0) == evaluator.sha256 } ?? false
            if included, let data { try writer.add("\(BundleLayout.catalogue)/\(evaluator.path)", data) }
            records.append(.init(path: evaluator.path, sha256: evaluator.sha256, included: included))
        }
        return records
    }

    private func jsonLines<T: Encodable>(_ values: [T]) -> Data {
        Data(values.map { WiseJSON.encode($0) + "\n" }.joined().utf8)
    }
}

/// Writes files below a bundle's root and remembers each one's hash and size for the manifest.
struct BundleFolderWriter {
    let root: URL
    private(set) var records: [BundleManifest.FileRecord] = []

    init(root: URL) { self.root = root }

    /// Writes a file and lists it in the manifest.
    mutating func add(_ path: String, _ data: Data) throws {
        try put(path, data)
        records.append(.init(path: path, sha256: SHA256.hex(data), bytes: data.count))
    }

    /// Writes a file without listing it (the manifest and its hash).
    func put(_ path: String, _ data: Data) throws {
        let url = root.appendingPathComponent(path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        } catch {
            throw FileError("cannot write \(url.path): \(error.localizedDescription)", kind: .cannotCreate)
        }
    }
}
