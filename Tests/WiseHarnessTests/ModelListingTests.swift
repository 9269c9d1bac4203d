import Foundation
import Testing
import TestSupport
@testable import WiseGenerators
@testable import WiseHarness

/// `wise models list`: the registry as a table a 100-column terminal shows whole.
@Suite struct ModelListingTests {
    @Test func theListShowsEveryModelItsIdAndItsBoardRowsWithin100Columns() throws {
        // Given the repository's registry
        let url = TestCatalogue.repositoryRoot.appendingPathComponent("models/registry.json")
        let registry = try ModelRegistry.load(from: url)
        // When it is listed
        let text = try ModelListing.render(registryURL: url)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // Then no line is wider than 100 columns, save the last one naming the registry's path
        for line in lines.dropLast() { #expect(line.count <= 100, "\(line.count) columns: \(line)") }
        // And every model has its row, its id and its board rows under it
        for model in registry.models {
            let row = try #require(lines.firstIndex { $0.hasPrefix(model.name + " ") }, "\(model.name) not listed")
            #expect(lines[row + 1].contains(model.modelID))
            for published in model.published ?? [] {
                #expect(lines[(row + 1)...(row + 2)].contains { $0.contains(published) }, "\(model.name): \(published) not shown")
            }
        }
        #expect(text.contains("sdxl *") && text.contains("on: verified: BAGEL (w/ CoT)"))
    }

    @Test func boardRowsGoOnTheIdsLineWhenTheyFitAndOnTheirOwnWhenNot() throws {
        // Given a model with a short id and one with a long id and many rows
        let json = #"""
            {"default": "a", "workers": {}, "models": [
              {"name": "a", "family": "f", "adapter": "command", "model_id": "org/a", "argv": ["x", "{out}"], "published": ["verified: A"]},
              {"name": "b", "family": "f", "adapter": "command", "model_id": "an-organisation-with-a-long-name/a-model-with-a-long-name-too",
               "argv": ["x", "{out}"], "published": ["verified: Some-Long-Row-Name-1.0", "legacy: Some Long Row Name 1.0"]}]}
            """#
        let registry = try JSONDecoder().decode(ModelRegistry.self, from: Data(json.utf8))
        // When their detail lines are made
        let short = ModelListing.detailLines(model: registry.models[0])
        let long = ModelListing.detailLines(model: registry.models[1])
        // Then the short one is one line, the long one two, none over 100 columns
        #expect(short == "    org/a    on: verified: A\n")
        #expect(long.split(separator: "\n").count == 2 && long.split(separator: "\n").allSatisfy { $0.count <= 100 })
        #expect(long.hasSuffix("    on: verified: Some-Long-Row-Name-1.0, legacy: Some Long Row Name 1.0\n"))
    }
}
