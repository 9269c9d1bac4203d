import Foundation
import Testing
import TestSupport
import WiseCore
@testable import WiseReport

/// The HTML report copies only what was judged: the registered bytes, from a plain file inside the run's folder.
@Suite struct HTMLImageCopyTests {
    func registered(_ name: String = "1.png", seed: Int = 1) throws -> (URL, StudyImage) {
        let folder = try TempDirectory.make("html-copy").appendingPathComponent("img")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bytes = ImageFixtures.png(seed: seed)
        let path = folder.appendingPathComponent(name)
        try bytes.write(to: path)
        return (folder, StudyImage(promptID: 1, status: .ok, path: path.path, format: "png", sha256: SHA256.hex(bytes)))
    }

    @Test func theJudgedBytesAreCopied() throws {
        let (folder, image) = try registered()
        #expect(try HTMLReport.judgedBytes(of: image, inside: folder.path).get() == ImageFixtures.png(seed: 1))
    }

    @Test func bytesChangedSinceJudgingAreShownAsSuch() throws {
        // Given a registered image rewritten afterwards
        let (folder, image) = try registered()
        try ImageFixtures.png(seed: 2).write(to: URL(fileURLWithPath: image.path!))
        // Then it is refused as changed
        guard case .failure(let problem) = HTMLReport.judgedBytes(of: image, inside: folder.path) else { Issue.record("copied"); return }
        #expect(problem.text.contains("changed since it was judged"))
    }

    @Test func aSymlinkIsNeverFollowed() throws {
        // Given the registered path replaced by a link to another file with the same bytes
        let (folder, image) = try registered()
        let elsewhere = folder.deletingLastPathComponent().appendingPathComponent("copy.png")
        try ImageFixtures.png(seed: 1).write(to: elsewhere)
        try FileManager.default.removeItem(atPath: image.path!)
        try FileManager.default.createSymbolicLink(atPath: image.path!, withDestinationPath: elsewhere.path)
        guard case .failure(let problem) = HTMLReport.judgedBytes(of: image, inside: folder.path) else { Issue.record("copied"); return }
        #expect(problem.text.contains("no longer a plain file"))
    }

    @Test func aPathOutsideTheRunsFolderIsNotCopied() throws {
        // Given a (tampered) record whose path and hash name a file outside the run's folder
        let (folder, _) = try registered()
        let (_, outside) = try registered("secret.png", seed: 5)
        guard case .failure(let problem) = HTMLReport.judgedBytes(of: outside, inside: folder.path) else { Issue.record("copied"); return }
        #expect(problem.text.contains("outside the run's image folder"))
    }

    @Test func aFileThatIsNoImageIsNotCopiedEvenWithItsHash() throws {
        // Given a record whose hash matches a file that is not an image
        let (folder, _) = try registered()
        let text = folder.appendingPathComponent("2.png")
        try Data("root:x:0:0".utf8).write(to: text)
        let record = StudyImage(promptID: 2, status: .ok, path: text.path, format: "png", sha256: SHA256.hex(Data("root:x:0:0".utf8)))
        guard case .failure(let problem) = HTMLReport.judgedBytes(of: record, inside: folder.path) else { Issue.record("copied"); return }
        #expect(problem.text.contains("not a PNG, JPEG or WebP"))
    }
}
