import Foundation
import WiseCore
import WiseStore

/// Brings a verified reproducibility bundle into a store as a run, for `wise import BUNDLE`.
public struct BundleImport {
    /// The bundle's folder.
    public var path: String
    /// The run's name in this store; nil keeps the bundle's.
    public var name: String?

    /// The pinned catalogue manifest; nil: the one `WISE_MANIFEST` names, or the built-in one.
    public var pinned: CatalogueManifest?

    public init(path: String, name: String?, pinned: CatalogueManifest? = nil) { self.path = path; self.name = name; self.pinned = pinned }

    /// Verifies the bundle, then records its run, images and verdicts in one transaction; a
    /// bundle with any finding is refused and nothing is written.
    public func run(store options: StoreOptions) throws {
        let root = URL(fileURLWithPath: path)
        let bundle = try BundleVerifier(path: path, pinned: pinned).contents()
        let manifest = bundle.manifest
        let runName = name ?? manifest.run.name
        try RunSpec.validateName(runName)
        guard let generator = AdapterSpec.parse(manifest.run.generator), let judge = AdapterSpec.parse(manifest.judge.spec) else {
            throw DataError("bundle \(path): its generator or judge spec cannot be read")
        }
        let spec = RunSpec(name: runName, set: manifest.run.set, scoringProtocol: manifest.run.scoringProtocol,
                           generator: generator, catalogueHash: manifest.run.catalogueHash)
        let store = try options.openForWriting()
        let result = try store.importBundle(spec, catalogue: bundle.catalogue, judge: judge, images: bundle.images,
                                            judgments: bundle.judgments) { image in
            guard manifest.imagesIncluded, let sha = image.sha256 else { return nil }
            return root.appendingPathComponent(BundleLayout.imagePath(sha256: sha, format: image.format)).standardizedFileURL.path
        }
        Console.note("imported bundle \(path) as run \(runName): \(bundle.images.count) image slot\(bundle.images.count == 1 ? "" : "s")\(manifest.imagesIncluded ? "" : " (hashes only)"), \(result.scored) scored and \(result.failed) failed judgments from \(judge.summary); store \(store.path)")
        try printBoard(result.run, store: store)
    }
}
