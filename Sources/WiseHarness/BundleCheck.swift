import Foundation
import WiseCore

/// Verifies a bundle and prints what was checked and found, for `wise verify`.
public struct BundleCheck {
    public var path: String

    public init(path: String) { self.path = path }

    /// Prints the verification; throws a bad-data error (exit 65) when anything differs.
    public func run() throws {
        let report = try BundleVerifier(path: path).verify()
        if let manifest = report.manifest {
            Console.out("bundle \(path) (id \(report.bundleID))\n")
            Console.out("run \(manifest.run.name): set \(manifest.run.set.rawValue), protocol \(manifest.run.scoringProtocol.rawValue), written by wise \(manifest.wiseVersion) at \(manifest.createdAt)\n")
        }
        Console.out("checked \(report.filesChecked) files, \(report.images) image slots, \(report.judgments) judgments, \(report.repliesReread) replies re-read\n")
        for finding in report.findings { Console.out("  \(finding)\n") }
        guard report.isClean else {
            throw DataError("bundle \(path) does not verify: \(report.findings.count) problem\(report.findings.count == 1 ? "" : "s") listed above")
        }
        Console.out("verified: every hash matches, every reply reads as its stored verdict, and the scores and WiScore recompute exactly\n")
    }
}
