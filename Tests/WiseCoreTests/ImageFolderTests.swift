import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct ImageFolderTests {
    @Test func sniffsByContent() {
        #expect(ImageFormat.sniff(ImageFixtures.png(seed: 1)) == .png)
        #expect(ImageFormat.sniff(ImageFixtures.jpeg(seed: 1)) == .jpeg)
        #expect(ImageFormat.sniff(ImageFixtures.webp(seed: 1)) == .webp)
        #expect(ImageFormat.sniff(Data("hello, not an image".utf8)) == nil)
        #expect(ImageFormat.sniff(Data()) == nil)
    }

    @Test func scanFindsEachIdAndListsEveryProblem() throws {
        // Given a folder with a PNG, a JPEG named .png, a WebP, a text file named .png, a directory and strays
        let dir = try TempDirectory.make("images")
        try ImageFixtures.png(seed: 1).write(to: dir.appendingPathComponent("1.png"))
        try ImageFixtures.jpeg(seed: 2).write(to: dir.appendingPathComponent("2.png"))
        try ImageFixtures.webp(seed: 3).write(to: dir.appendingPathComponent("3.webp"))
        try Data("not a png".utf8).write(to: dir.appendingPathComponent("4.png"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("5.png"), withIntermediateDirectories: true)
        try Data().write(to: dir.appendingPathComponent("6.png"))
        try ImageFixtures.png(seed: 7).write(to: dir.appendingPathComponent("7.png"))
        try ImageFixtures.jpeg(seed: 7).write(to: dir.appendingPathComponent("7.jpg"))
        try ImageFixtures.png(seed: 9).write(to: dir.appendingPathComponent("1001.png"))
        try ImageFixtures.png(seed: 9).write(to: dir.appendingPathComponent("01.png"))
        // When scanned for ids 1…8
        let scan = try ImageFolder(directory: dir).scan(ids: Array(1...8))
        // Then every id has an entry; formats come from content; each problem says why
        let byID = Dictionary(uniqueKeysWithValues: scan.entries.map { ($0.promptID, $0) })
        #expect(byID[1]!.format == .png && byID[1]!.isUsable && byID[1]!.sha256 == SHA256.hex(ImageFixtures.png(seed: 1)))
        #expect(byID[2]!.format == .jpeg && byID[2]!.isUsable)
        #expect(byID[3]!.format == .webp && byID[3]!.isUsable)
        #expect(byID[4]!.problem == "4.png is not a PNG, JPEG or WebP image")
        #expect(byID[5]!.problem == "5.png is a directory, not an image")
        #expect(byID[6]!.problem == "6.png is empty")
        #expect(byID[7]!.problem == "several images for this id (7.png, 7.jpg); keep one")
        #expect(byID[8]!.problem == "no image (8.png, .jpg, .jpeg or .webp)" && byID[8]!.path == nil)
        #expect(scan.ignored.sorted() == ["01.png", "1001.png"])
        #expect(scan.usable.count == 3 && scan.problems.count == 5)
    }

    @Test func aFileInsteadOfAFolderIsAnError() throws {
        let file = try TempDirectory.make().appendingPathComponent("x.png")
        try ImageFixtures.png(seed: 1).write(to: file)
        #expect(throws: FileError.self) { try ImageFolder(directory: file).scan(ids: [1]) }
    }
}

/// Header sizes at the edge of what the formats can say are refused in one line, never trapping.
@Suite struct ImageCheckSizeTests {
    @Test func aPNGHeaderOfTheLargestSizesIsRefusedWithoutOverflow() {
        // Given a PNG header declaring 4294967295 × 4294967295 (whose pixel count overflows Int)
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 8, 2, 0, 0, 0]
        let crc = ImageCheck.crc32(bytes[12...])
        bytes += [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc)]
        // When checked / Then it is refused as over the cap, the count said without overflowing
        guard case .failure(let problem) = ImageCheck.inspect(Data(bytes)) else { Issue.record("accepted"); return }
        #expect(problem.text.contains("over the cap") && problem.text.contains("more than"))
    }
}
