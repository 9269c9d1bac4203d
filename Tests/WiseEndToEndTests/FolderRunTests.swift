import Foundation
import Testing
import WiseCore
import WiseStore
import TestSupport

/// `wise run NAME --set S --images DIR` registers a folder: nothing skipped in silence, nothing twice.
@Suite struct FolderRunTests {
    @Test func missingAndUnreadableImagesAreListedAndCounted() async throws {
        // Given 1000 prompt ids with 37 images missing, one fake PNG, a JPEG and a WebP
        let ws = try Workspace(label: "folder")
        let missing = Set((0..<37).map { 100 + $0 * 20 })
        try ImageFixtures.writeFolder(ws.path("img"), ids: (1...1000).filter { !missing.contains($0) })
        try Data("not really a png".utf8).write(to: ws.path("img/5.png"))
        try FileManager.default.removeItem(at: ws.path("img/6.png"))
        try ImageFixtures.jpeg(seed: 6).write(to: ws.path("img/6.jpg"))
        try FileManager.default.removeItem(at: ws.path("img/7.png"))
        try ImageFixtures.webp(seed: 7).write(to: ws.path("img/7.webp"))
        try Data("notes".utf8).write(to: ws.path("img/readme.txt"))
        // When registered
        let args = ["run", "m", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]
        let first = try await ws.run(args)
        // Then every gap is listed, and the report counts 38 missing and 962 waiting for a judge
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("missing (37, no file): 100, 120, 140"))
        #expect(first.stderr.contains("unreadable, counted as missing: prompt 5: 5.png is not a PNG, JPEG or WebP image"))
        #expect(first.stderr.contains("ignored 1 files that match no prompt id: readme.txt"))
        #expect(first.stderr.contains("962 images added, 0 filled in, 0 already recorded, 38 missing"))
        let report = try await ReportJSON.decode(ws.run(["report", "m", "--format", "json", "--store", ws.storePath]).stdout).runs[0]
        #expect(report.categories.values.map(\.missing).reduce(0, +) == 38)
        #expect(report.categories.values.map(\.unjudged).reduce(0, +) == 962)
        #expect(report.overall == nil && report.total == 1000)
        let store = try ResultsStore(path: ws.storePath, create: false)
        let run = try store.requireRun("m")
        #expect(try store.counts(of: run).images == 1000)

        // When run again unchanged / Then nothing new is written
        let digest = try ws.storeDigest()
        let second = try await ws.run(args)
        #expect(second.stderr.contains("0 images added, 0 filled in, 962 already recorded, 38 missing"))
        #expect(try ws.storeDigest() == digest)

        // When the missing images arrive / Then they are filled in, each id still once
        try ImageFixtures.writeFolder(ws.path("img"), ids: missing)
        let third = try await ws.run(args)
        #expect(third.stderr.contains("37 images added") == false)
        #expect(third.stderr.contains("0 images added, 37 filled in, 962 already recorded, 1 missing"), "\(third.stderr)")
        #expect(try store.counts(of: run).images == 1000)

        // When one image's bytes change / Then the run refuses it and writes nothing
        try ImageFixtures.png(seed: 9999).write(to: ws.path("img/1.png"))
        let digest2 = try ws.storeDigest()
        let changed = try await ws.run(args)
        #expect(changed.status == 65 && changed.stderr.contains("already has a different image for prompt 1"))
        #expect(try ws.storeDigest() == digest2)
    }

    @Test func legacyAndVerifiedRunsOfTheSameFolderStayApart() async throws {
        let ws = try Workspace(label: "sets")
        try ImageFixtures.writeFolder(ws.path("img"), ids: 1...1000)
        #expect(try await ws.run(["run", "a", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        #expect(try await ws.run(["run", "b", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let store = try ResultsStore(path: ws.storePath, create: false)
        #expect(try store.prompts(of: .legacy)[400].text != store.prompts(of: .verified)[400].text)
        #expect(try store.requireRun("a").set == .legacy && store.requireRun("b").set == .verified)
        let clash = try await ws.run(["run", "a", "--set", "verified", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(clash.status == 64 && clash.stderr.contains("run 'a' already exists with another configuration (set legacy"))
    }
}
