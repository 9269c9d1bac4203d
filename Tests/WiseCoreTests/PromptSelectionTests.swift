import Foundation
import Testing
import WiseCore

/// `--ids`, `--limit` and `--shard`: which prompts a command works on.
@Suite struct PromptSelectionTests {
    @Test func shardsAreDisjointAndCoverTheSelection() throws {
        // Given ids 1-40 and 401 with a limit of 30, split four ways
        let all = Array(1...1000)
        let ids = try PromptSelection.parseIDs("1-40,401")
        let whole = PromptSelection(ids: ids, limit: 30).apply(to: all)
        let shards = (0..<4).map { PromptSelection(ids: ids, limit: 30, shard: Shard(index: $0, count: 4)).apply(to: all) }
        // Then the shards are disjoint, cover the selection exactly and differ in size by at most one
        #expect(whole == Array(1...30))
        #expect(shards.flatMap { $0 }.sorted() == whole)
        #expect(Set(shards.flatMap { $0 }).count == whole.count)
        #expect(shards.map(\.count).max()! - shards.map(\.count).min()! <= 1)
        #expect(PromptSelection(ids: ids).apply(to: all).last == 401)
    }

    @Test func badSelectionsSayHowToWriteThem() throws {
        for text in ["0-3", "5-2", "1-2000", "a", "1,,2"] {
            #expect(throws: UsageError.self, "\(text)") { try PromptSelection.parseIDs(text) }
        }
        for text in ["4/4", "1", "-1/3", "1/0"] {
            #expect(throws: UsageError.self, "\(text)") { try Shard.parse(text) }
        }
        #expect(try Shard.parse("3/4") == Shard(index: 3, count: 4))
    }

    @Test func theShardIsReadBackFromTheRecordedSelectionText() {
        // Given selections as generation passes record them
        let sharded = PromptSelection(ids: [1, 2, 3, 21], limit: 3, shard: Shard(index: 2, count: 4))
        // When their text is read back / Then the shard comes back, and a text without one gives none
        #expect(PromptSelection.recordedShard(in: sharded.description) == Shard(index: 2, count: 4))
        #expect(PromptSelection.recordedShard(in: PromptSelection(shard: Shard(index: 0, count: 1)).description) == Shard(index: 0, count: 1))
        #expect(PromptSelection.recordedShard(in: PromptSelection(ids: [5]).description) == nil)
        #expect(PromptSelection.recordedShard(in: PromptSelection().description) == nil)
        #expect(PromptSelection.recordedShard(in: "shard 9/4") == nil)
    }

    @Test func itemsCarryThePromptTextAndNeverTheExplanation() {
        // Given a prompt with an explanation
        let prompt = Prompt(set: .legacy, id: 17, category: .culture, categoryLabel: "c", subcategory: "s", domain: "d",
                            text: "the drink of the Boston Tea Party", explanation: "tea leaves in a harbour")
        // When an item is made for its third sample under base seed 5
        let seed = SeedRule(base: 5).seed(promptID: 17, sampleIndex: 2)
        let item = GenerationItem(prompt: prompt, sampleIndex: 2, seed: seed, output: "/o/17_s2.png", settings: GenerationSettings())
        // Then it holds the text alone, and the seed follows the rule
        #expect(item.prompt == prompt.text && seed == 5 + 17 + 2000 && item.requestID == "17#2")
        #expect(!String(describing: item).contains("harbour"))
    }
}
