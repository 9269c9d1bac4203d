import Foundation
import Testing
import TestSupport
import WiseCore
@testable import WiseReport

/// The HTML report on runs built in code, with real image files: what the pages hold, what they
/// escape, what stays small, and the thumbnails written through CImage.
@Suite struct HTMLReportTests {
    static let hostileName = "<img src=x onerror=alert(1)>&\"run'"
    static let hostileText = "</script><script>alert('p')</script> & \"quoted\""

    /// Ten prompts per category, ids 1…60; prompt 3's text is hostile.
    let prompts: [Prompt] = Category.allCases.enumerated().flatMap { c, category in
        (1...10).map { i in
            let id = c * 10 + i
            return Prompt(set: .legacy, id: id, category: category, categoryLabel: category.title, subcategory: "s\(i % 2)",
                          domain: "d", text: id == 3 ? HTMLReportTests.hostileText : "prompt \(id)", explanation: "why \(id)")
        }
    }
    let judge = AdapterSpec(adapter: "openai", parameters: ["model": "judge-x", "official": "yes"])
    let footer = HTMLReport.Footer(version: "9.8.7", catalogue: "PKU-YuanGroup/WISE@eb51174", date: Date(timeIntervalSince1970: 1_780_000_000))

    func study(_ name: String, _ prompts: [Prompt], judge: AdapterSpec) -> StudyRun {
        let outcomes = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, ItemOutcome.scored(Double($0.id % 3) / 2)) })
        let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
        let score = WiScore(scoringProtocol: .legacy, categoryOf: { categoryOf[$0] }, ids: prompts.map(\.id), outcomes: outcomes)
        let summary = RunSummary(name: name, set: .legacy, scoringProtocol: .legacy, generator: AdapterSpec(adapter: "folder"), judge: judge, score: score)
        return StudyRun(summary: summary, outcomes: outcomes, catalogueHash: "c0ffee0123456789")
    }

    /// A judged run whose images for `ids` are files in a fresh folder (`big` ones 600×400-ish noise).
    func galleryRun(_ name: String, ids: [Int], big: Set<Int> = []) throws -> GalleryRun {
        let folder = try TempDirectory.make("html-report").appendingPathComponent("img")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var images: [Int: StudyImage] = [:]
        for id in ids {
            let bytes = big.contains(id) ? ImageFixtures.noisePNG(seed: id, size: 600) : ImageFixtures.png(seed: id)
            let path = folder.appendingPathComponent("\(id).png")
            try bytes.write(to: path)
            images[id] = StudyImage(promptID: id, status: .ok, path: path.path, format: "png", sha256: SHA256.hex(bytes))
        }
        let judgments = Dictionary(uniqueKeysWithValues: prompts.map { p in
            (p.id, [StudyJudgment(promptID: p.id, repeatIndex: 0, status: .ok,
                                  scores: AspectScores(["realism": 1, "aesthetic_quality": 2, "consistency": 0]),
                                  wiscore: 0.3, rawReply: "reply <b>\(p.id)</b>", error: nil)])
        })
        return GalleryRun(run: study(name, prompts, judge: judge), images: images,
                          judge: GalleryJudge(spec: judge, judgments: judgments, parseSensitive: []), imageFolder: folder.path)
    }

    func report(_ runs: [GalleryRun]) throws -> HTMLReport {
        HTMLReport(board: try UncertainBoard(runs.map(\.run), prompts: prompts, resamples: 50, seed: 1), prompts: prompts, runs: runs, footer: footer)
    }

    @Test func thumbnailsAreShrunkToTheLongSideAndReusedByContent() throws {
        // Given a 600×600 PNG
        let bytes = ImageFixtures.noisePNG(seed: 3, size: 600)
        let folder = ThumbnailFolder(folder: try TempDirectory.make("thumbs"))
        // When its thumbnail is made
        let first = try folder.thumbnail(of: bytes, sha256: SHA256.hex(bytes)).get()
        // Then it is a JPEG 256 px on its long side, named by the image's hash
        let written = try Data(contentsOf: folder.folder.appendingPathComponent(first.name))
        let info = try ImageCheck.inspect(written).get()
        #expect(info.format == .jpeg && info.width == 256 && info.height == 256)
        #expect(first.outcome == .made && first.name.hasPrefix(SHA256.hex(bytes)) && written.count < bytes.count / 20)
        // And asked again, it is reused, not redone
        let modified = try FileManager.default.attributesOfItem(atPath: folder.folder.appendingPathComponent(first.name).path)[.modificationDate] as? Date
        let second = try folder.thumbnail(of: bytes, sha256: SHA256.hex(bytes)).get()
        #expect(second.outcome == .reused && second.name == first.name)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.folder.appendingPathComponent(first.name).path)[.modificationDate] as? Date == modified)
        // And a small image keeps its size
        let tiny = try ThumbnailFolder.jpeg(of: ImageFixtures.png(seed: 1), longSide: 256, quality: 80).get()
        #expect(try ImageCheck.inspect(tiny).get().width == 2)
    }

    @Test func brokenImagesGetAReasonNotATrap() throws {
        // Given a PNG cut short after its header, bytes that are no image, and a hash that is not hex
        let whole = ImageFixtures.noisePNG(seed: 4, size: 64)
        let folder = ThumbnailFolder(folder: try TempDirectory.make("thumbs-bad"))
        for bad in [whole.prefix(200), Data("GIF89a not an image".utf8), Data()] {
            // Then each is refused with a line, and nothing is written
            guard case .failure(let problem) = folder.thumbnail(of: Data(bad), sha256: SHA256.hex(Data(bad))) else { Issue.record("made a thumbnail of \(bad.count) bad bytes"); continue }
            #expect(problem.text.hasPrefix("not shown"), "\(problem.text)")
        }
        guard case .failure(let named) = folder.thumbnail(of: whole, sha256: "../../etc/passwd") else { Issue.record("a path as hash"); return }
        #expect(named.text.contains("not SHA-256"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.folder.path).isEmpty)
        // And settings out of range are refused, not passed to C
        guard case .failure = ThumbnailFolder.jpeg(of: whole, longSide: 0, quality: 80) else { Issue.record("long side 0"); return }
    }

    @Test func cutAndFlippedImagesNeverTrapTheThumbnailer() throws {
        // Given a real PNG and a real JPEG (the thumbnailer's own output), cut at many lengths and with bytes flipped
        let png = ImageFixtures.noisePNG(seed: 5, size: 40)
        let jpeg = try ThumbnailFolder.jpeg(of: png, longSide: 32, quality: 90).get()
        var rng = SplitMix(seed: 11)
        var made = 0, refused = 0
        for original in [png, jpeg] {
            var inputs = stride(from: 0, to: original.count, by: max(1, original.count / 60)).map { original.prefix($0) }
            for _ in 0..<60 {
                var flipped = original
                let at = Int(rng.next() % UInt64(original.count))
                flipped[flipped.startIndex + at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                inputs.append(flipped)
            }
            // When each is thumbnailed
            for input in inputs {
                switch ThumbnailFolder.jpeg(of: Data(input), longSide: 16, quality: 50) {
                // Then each either is a JPEG of at most 16 px a side, or is refused with a line
                case .success(let out):
                    let info = try ImageCheck.inspect(out).get()
                    #expect(info.format == .jpeg && max(info.width, info.height) <= 16)
                    made += 1
                case .failure(let problem):
                    #expect(problem.text.hasPrefix("not shown") && !problem.text.isEmpty)
                    refused += 1
                }
            }
        }
        #expect(made > 0 && refused > 0, "made \(made), refused \(refused)")
    }

    @Test func pagesHoldCardsForImagesOnlyWithTheJudgeOnceAndAFooter() throws {
        // Given a run with images for 12 prompts (two of them large, one changed since judging) and a run with none
        let shown = try galleryRun("alpha", ids: Array(1...12), big: [1, 2])
        try ImageFixtures.png(seed: 999).write(to: URL(fileURLWithPath: shown.images[12]!.path!))
        var bare = try galleryRun("bare", ids: [])
        bare.imageFolder = nil
        let folder = try TempDirectory.make("html-pages")
        // When the report is written
        let written = try report([shown, bare]).write(to: folder)
        // Then there is one gallery page, for the run with images, and eleven thumbnails
        #expect(written.pages.map(\.lastPathComponent) == ["run-1.html"] && written.thumbnailsMade == 11)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("thumbs").path).count == 11)
        let index = try String(contentsOf: written.index, encoding: .utf8)
        let page = try String(contentsOf: written.pages[0], encoding: .utf8)
        // And the page has a card per prompt with a registered image, the changed one saying "no image" and why
        #expect(page.components(separatedBy: "<article class=\"card\"").count == 13)
        #expect(page.components(separatedBy: "<img src=\"thumbs/").count == 12)
        #expect(page.contains("<div class=\"noimg\">no image<small>not shown: the file changed since it was judged</small>"))
        #expect(page.contains("48 with no image.") && page.contains("<summary>prompts with no image</summary>13–60</details>"))
        // And aspects read consistency, realism, aesthetic quality
        #expect(page.contains("consistency <b>0</b> · realism <b>1</b> · aesthetic quality <b>2</b>"))
        // And the judge is named once on each page, not under every card
        #expect(page.components(separatedBy: "judge-x").count == 3, "once at the top, once in the footer")
        #expect(index.components(separatedBy: "judge-x").count == 3 && !index.contains("<th>Judge</th>"))
        // And the index links the gallery and says the bare run has no image, with no cards of its own
        #expect(index.contains("<a href=\"run-1.html\">alpha</a>") && index.contains("bare <small>no image</small>"))
        #expect(!index.contains("<article"))
        // And both pages end with the version, the catalogue, the judge and the date
        for html in [index, page] {
            #expect(html.contains("<footer>wise 9.8.7 · catalogue PKU-YuanGroup/WISE@eb51174 · legacy content c0ffee012345 · judge openai judge-x"))
            #expect(html.contains("written 2026-05-28 20:26:40 UTC</footer>"))
        }
        // When it is written again, the thumbnails are reused
        let again = try report([shown, bare]).write(to: folder)
        #expect(again.thumbnailsMade == 0 && again.thumbnailsReused == 11)
    }

    @Test func hostileRunNamesAndPromptsAreTextOnEveryPage() throws {
        // Given a run named like markup, whose prompt 3 closes the script element
        let run = try galleryRun(Self.hostileName, ids: [3, 4])
        let folder = try TempDirectory.make("html-hostile")
        // When the report is written
        let written = try report([run]).write(to: folder)
        let index = try String(contentsOf: written.index, encoding: .utf8)
        let page = try String(contentsOf: written.pages[0], encoding: .utf8)
        // Then the name and the prompt are escaped text, and no page has an element they made
        let name = "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;run&#39;"
        #expect(index.contains(name) && page.contains(name))
        #expect(page.contains("&lt;/script&gt;&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(page.contains("reply &lt;b&gt;3&lt;/b&gt;"))
        for html in [index, page] {
            #expect(!html.contains("<img src=x") && !html.contains("alert('p')"))
            #expect(html.components(separatedBy: "<script>").count == (html == page ? 2 : 1), "the page's own script only")
        }
        // And the page's file name comes from its position, never from the run's name
        #expect(written.pages.map(\.lastPathComponent) == ["run-1.html"])
    }

    @Test func aBoardOf100ImportedRunsOf1000ItemsStaysSmall() throws {
        // Given 100 imported runs of 1000 items with no images
        let prompts = Category.allCases.enumerated().flatMap { c, category in
            (1...167).prefix(c == 0 ? 165 : 167).map { i in
                Prompt(set: .legacy, id: c * 167 + i, category: category, categoryLabel: category.title, subcategory: "s\(i % 7)",
                       domain: "d", text: "prompt \(c * 167 + i) with some words in it", explanation: "an explanation of some length")
            }
        }
        #expect(prompts.count == 1000)
        let runs = (0..<100).map { r in
            let judge = AdapterSpec(adapter: "import", parameters: ["content": "c\(r)", "files": "r\(r).jsonl"])
            let outcomes = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, ItemOutcome.scored(Double(($0.id + r) % 5) / 4)) })
            let categoryOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0.category) })
            let score = WiScore(scoringProtocol: .legacy, categoryOf: { categoryOf[$0] }, ids: prompts.map(\.id), outcomes: outcomes)
            let summary = RunSummary(name: "run-\(r)", set: .legacy, scoringProtocol: .legacy, generator: AdapterSpec(adapter: "import"), judge: judge, score: score)
            return GalleryRun(run: StudyRun(summary: summary, outcomes: outcomes, catalogueHash: "c0ffee"), images: [:], judge: nil)
        }
        let board = try UncertainBoard(runs.map(\.run), prompts: prompts, resamples: 20, seed: 1)
        // When the report is written
        let written = try HTMLReport(board: board, prompts: prompts, runs: runs, footer: footer).write(to: try TempDirectory.make("html-board"))
        // Then it is one index page well under 3 MB, and no gallery pages
        let size = try #require(try FileManager.default.attributesOfItem(atPath: written.index.path)[.size] as? NSNumber).intValue
        #expect(size < 3_000_000 && written.pages.isEmpty, "index.html is \(size) bytes")
        // And the imports' judge is said once
        let index = try String(contentsOf: written.index, encoding: .utf8)
        #expect(index.contains("<p class=\"judge\">Judge: scores imported from official score files"))
    }
}
