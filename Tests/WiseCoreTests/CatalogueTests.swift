import Foundation
import Testing
@testable import WiseCore
import TestSupport

@Suite struct CatalogueTests {
    @Test(arguments: PromptSet.allCases)
    func everySetLoadsWithItsRanges(set: PromptSet) throws {
        // Given the test catalogue (official when present)
        let fixture = try TestCatalogue.make()
        // When a set loads
        let catalogue = try fixture.load(set)
        // Then it holds ids 1…1000 once each, in the manifest's category ranges
        #expect(catalogue.prompts.map(\.id) == Array(1...1000))
        let entry = try CatalogueManifest.official.entry(for: set)
        for range in entry.ranges {
            let ids = catalogue.prompts.filter { $0.category == range.category }.map(\.id)
            #expect(ids == Array(range.first...range.last), "\(range.category)")
        }
    }

    @Test func legacyAndVerifiedDifferFrom401On() throws {
        // Given both sets
        let fixture = try TestCatalogue.make()
        let legacy = try fixture.load(.legacy), verified = try fixture.load(.verified)
        // Then id 401 names different prompts and different categories can follow
        #expect(legacy.prompt(401)!.text != verified.prompt(401)!.text)
        #expect(legacy.prompt(600)!.category == .space)
        #expect(verified.prompt(600)!.category == .space)
        #expect(legacy.prompt(700)!.category == .space)
        #expect(verified.prompt(700)!.category == .biology)
    }

    @Test(.enabled(if: Tools.hasOfficialFiles, Comment(rawValue: Tools.Reason.officialFiles)))
    func officialQuirksAreKeptButRangesDecide() throws {
        let dir = try #require(TestCatalogue.officialDirectory)
        let rewrite = try Catalogue.load(.legacyRewrite, from: dir, manifest: .official)
        // The rewrite file has one `Ecology` row; its category still comes from the id range.
        let ecology = rewrite.prompts.filter { $0.categoryLabel == "Ecology" }
        #expect(ecology.count == 1)
        #expect(ecology.allSatisfy { [.biology, .physics, .chemistry].contains($0.category) })
    }

    /// Builds a one-file-broken copy of the synthetic catalogue and returns the load error.
    func loadError(_ mutate: (inout [[String: Any]]) -> Void) throws -> String {
        let fixture = try TestCatalogue.synthetic()
        var manifest = fixture.manifest
        let entryIndex = manifest.sets.firstIndex { $0.name == .verified }!
        let file = manifest.sets[entryIndex].files[2]
        let url = fixture.directory.appendingPathComponent(file.path)
        var objects = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [[String: Any]]
        mutate(&objects)
        let data = try JSONSerialization.data(withJSONObject: objects)
        try data.write(to: url)
        manifest.sets[entryIndex].files[2].sha256 = SHA256.hex(data)
        do {
            _ = try Catalogue.load(.verified, from: fixture.directory, manifest: manifest)
        } catch {
            return "\(error)"
        }
        Issue.record("the broken catalogue loaded")
        return ""
    }

    @Test func validationNamesFileIdAndProblem() throws {
        // Given a natural-science file with one defect each / When loaded / Then the error says what, where
        let file = "verified/natural_science_verified.json"
        var message = try loadError { $0[0]["prompt_id"] = 1001 }
        #expect(message == "catalogue \(file): prompt_id 1001 is outside 1…1000")
        message = try loadError { $0[0]["prompt_id"] = 12 }
        #expect(message == "catalogue \(file): prompt_id 12 is outside 641…1000")
        message = try loadError { $0[1]["prompt_id"] = 641 }
        #expect(message.contains("prompt_id 641 appears twice"))
        message = try loadError { $0[0]["prompt_id"] = "641" }
        #expect(message == "catalogue \(file): entry 1: prompt_id \"641\" is not an integer")
        message = try loadError { $0[0]["prompt_id"] = 641.5 }
        #expect(message.contains("prompt_id 641.5 is not an integer"))
        message = try loadError { $0[3]["Prompt"] = "  " }
        #expect(message == "catalogue \(file): prompt_id 644: Prompt is empty")
        message = try loadError { $0[3].removeValue(forKey: "Explanation") }
        #expect(message == "catalogue \(file): prompt_id 644: Explanation is missing, expected a string")
        message = try loadError { $0.removeLast() }
        #expect(message == "catalogue set verified: 1 prompt ids are missing (1000)")
    }

    @Test func checksumMismatchNamesTheFileAndBothSums() throws {
        // Given a catalogue whose file was edited after the manifest pinned it
        let fixture = try TestCatalogue.synthetic()
        let file = fixture.manifest.sets[0].files[0]
        let url = fixture.directory.appendingPathComponent(file.path)
        var bytes = try Data(contentsOf: url)
        bytes[10] ^= 0x01
        try bytes.write(to: url)
        // When it loads / Then the error names the path, the actual and the pinned hash
        #expect {
            try Catalogue.load(.legacy, from: fixture.directory, manifest: fixture.manifest)
        } throws: { error in
            let text = "\(error)"
            return text.contains(file.path) && text.contains(SHA256.hex(bytes)) && text.contains(file.sha256)
        }
    }

    @Test func manifestFileInPromptsMatchesTheBuiltInOne() throws {
        // Given prompts/catalogue.json / Then it says exactly what the binary uses
        let url = TestCatalogue.repositoryRoot.appendingPathComponent("prompts/catalogue.json")
        let onDisk = try CatalogueManifest.load(from: url)
        #expect(onDisk == CatalogueManifest.official)
        #expect(try Data(contentsOf: url) == CatalogueManifest.official.jsonData())
        #expect(CatalogueManifest.official.url(for: CatalogueManifest.official.sets[2].files[0])
                == "https://raw.githubusercontent.com/PKU-YuanGroup/WISE/eb51174483a5de2e34e8614cf9dfb3319ee7fcd0/data_verified/cultural_common_sense_verified.json")
    }
}
