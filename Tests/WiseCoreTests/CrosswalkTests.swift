import Foundation
import Testing
@testable import WiseCore
import TestSupport

/// The legacy↔verified crosswalk: matched by content, one to one, never by id.
@Suite struct CrosswalkTests {
    func prompt(_ set: PromptSet, _ id: Int, _ text: String, _ explanation: String) -> Prompt {
        Prompt(set: set, id: id, category: .culture, categoryLabel: "", subcategory: "", domain: "d", text: text, explanation: explanation)
    }

    @Test func matchesByTextThenExplanationAndCountsEachKind() {
        // Given legacy prompts and verified ones: one kept, one re-spaced and re-cased, one moved,
        // one rewritten with its explanation kept, one new
        let legacy = [prompt(.legacy, 1, "A red apple.", "e1"), prompt(.legacy, 2, "The plant gifted on Mother's Day", "e2"),
                      prompt(.legacy, 3, "A moved prompt", "e3"), prompt(.legacy, 4, "Old wording", "Explanation four."),
                      prompt(.legacy, 5, "Dropped", "e5")]
        let verified = [prompt(.verified, 1, "A red apple.", "e1"), prompt(.verified, 2, "the plant  gifted on mother’s day", "other"),
                        prompt(.verified, 4, "New wording", "explanation four"), prompt(.verified, 7, "A moved prompt", "e3"),
                        prompt(.verified, 9, "Brand new", "e9")]
        // When crosswalked
        let walk = Crosswalk(legacy: legacy, verified: verified)
        // Then each verified prompt finds its legacy one by content, and the counts say how
        #expect(walk.pairs.map { [$0.verifiedID, $0.legacyID] } == [[1, 1], [2, 2], [4, 4], [7, 3]])
        #expect(walk.pairs.map(\.basis) == [.text, .text, .explanation, .text])
        let c = walk.counts
        #expect(c.textSameID == 2 && c.textMovedID == 1 && c.explanationSameID == 1 && c.explanationMovedID == 0)
        #expect(c.unmatched == 1 && c.identicalAtSameID == 1 && c.changedText == 2)
        #expect(walk.legacyID(forVerified: 7) == 3 && walk.legacyID(forVerified: 9) == nil)
    }

    @Test func eachLegacyPromptIsUsedOnceAndTheSameIDIsPreferred() {
        // Given two legacy prompts with the same text and two verified ones with it
        let legacy = [prompt(.legacy, 1, "Same", "x"), prompt(.legacy, 2, "Same", "y")]
        let verified = [prompt(.verified, 2, "same", "z"), prompt(.verified, 5, "SAME!", "w"), prompt(.verified, 6, "same", "v")]
        // When crosswalked / Then id 2 takes its own id, id 5 the other, and id 6 is left unmatched
        let walk = Crosswalk(legacy: legacy, verified: verified)
        #expect(walk.pairs.map { [$0.verifiedID, $0.legacyID] } == [[2, 2], [5, 1]])
        #expect(walk.counts.unmatched == 1)
    }

    @Test func normalisationKeepsLettersAndDigitsOnly() {
        #expect(Crosswalk.normalise("  The  Eiffel-Tower, in 1889! ") == "the eiffel tower in 1889")
        #expect(Crosswalk.normalise("—") == "")
    }
}
