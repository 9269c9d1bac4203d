import Foundation
import Testing
import WiseCore
@testable import WiseJudges

@Suite struct ReplyParserTests {
    /// One judge reply and what reading it must give.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var reply: String
        var scoringProtocol: ScoringProtocol
        var expected: ReplyParser.ParseResult
        var testDescription: String { name }

        init(_ name: String, _ reply: String, _ scoringProtocol: ScoringProtocol, _ expected: ReplyParser.ParseResult) {
            self.name = name; self.reply = reply; self.scoringProtocol = scoringProtocol; self.expected = expected
        }

        init(_ name: String, _ reply: String, _ expected: ReplyParser.ParseResult) {
            self.init(name, reply, .legacy, expected)
        }
    }

    static func legacy(_ consistency: Double, _ realism: Double, _ aesthetic: Double) -> ReplyParser.ParseResult {
        .scores(AspectScores(["consistency": consistency, "realism": realism, "aesthetic_quality": aesthetic]))
    }

    static func verified(_ score: Double) -> ReplyParser.ParseResult { .scores(AspectScores(["score": score])) }

    static func unreadable(_ reason: String) -> ReplyParser.ParseResult { .unreadable(reason: reason) }

    static let cases: [Case] = [
        // The official format and its usual variations
        Case("official three lines", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0", legacy(2, 1, 0)),
        Case("bold keys", "**Consistency**: 1\n**Realism**: 2\n**Aesthetic Quality**: 1", legacy(1, 2, 1)),
        Case("bold closed after the colon", "**Consistency:** 1\n**Realism:** 1\n**Aesthetic Quality:** 2", legacy(1, 1, 2)),
        Case("markdown list", "- **Consistency**: 2\n- **Realism**: 1\n- **Aesthetic Quality**: 2", legacy(2, 1, 2)),
        Case("lowercase", "consistency: 0\nrealism: 0\naesthetic quality: 1", legacy(0, 0, 1)),
        Case("uppercase without colons on one line", "CONSISTENCY 2 REALISM 2 AESTHETIC QUALITY 2", legacy(2, 2, 2)),
        Case("full-width colon", "Consistency：1\nRealism：2\nAesthetic Quality：0", legacy(1, 2, 0)),
        Case("full-width digits", "Consistency：２\nRealism：１\nAesthetic Quality：０", legacy(2, 1, 0)),
        Case("whole number written as a decimal", "Consistency: 2.0\nRealism: 1\nAesthetic Quality: 1", legacy(2, 1, 1)),
        Case("chatty text around", "Sure! Here is my evaluation.\n\nConsistency: 1 — the lanterns are there, the moon is not.\nRealism: 2\nAesthetic Quality: 1\n\nLet me know if you need more.",
             legacy(1, 2, 1)),
        // Repeated keys: the last match wins, as the official dict-update loop does
        Case("repeated key, last wins", "Consistency: 0\nRealism: 0\nAesthetic Quality: 0\nOn second look:\nConsistency: 2", legacy(2, 0, 0)),
        Case("out-of-range value corrected later", "Consistency: 7\nRealism: 1\nAesthetic Quality: 1\nSorry, Consistency: 1", legacy(1, 1, 1)),
        // Reasoning never counts
        Case("think block with decoy scores", "<think>\nConsistency: 0? Realism: 0?\nAesthetic Quality: 0\n</think>\nConsistency: 2\nRealism: 1\nAesthetic Quality: 1",
             legacy(2, 1, 1)),
        Case("decoy in think does not fill a missing aspect", "<think>Aesthetic Quality: 2</think>\nConsistency: 2\nRealism: 1",
             unreadable("no Aesthetic Quality score in reply")),
        Case("several think blocks, one after the answer", "<think>a</think>Consistency: 1\n<THINK>Realism: 0</THINK>\nRealism: 2\nAesthetic Quality: 1\n<think>\nConsistency: 2\n</think>",
             legacy(1, 2, 1)),
        Case("unclosed think after the answer", "Consistency: 1\nRealism: 0\nAesthetic Quality: 1\n<think>Consistency: 2, Realism: 2",
             legacy(1, 0, 1)),
        Case("unclosed think with no answer", "<think>\nLooking at the image. Consistency: 2\nRealism: 2\nAesthetic Quality: 2",
             unreadable("reply ends inside an unclosed <think> block, no answer after it")),
        Case("closing tag only (template opened the think)", "Reasoning: Consistency: 0 Realism: 0 Aesthetic Quality: 0\n</think>\n\n2\n1\n1", legacy(2, 1, 1)),
        Case("nothing but reasoning", "<think>Consistency: 2\nRealism: 2\nAesthetic Quality: 2</think>\n  ",
             unreadable("empty reply after removing <think> reasoning")),
        // The bare-number fallback
        Case("bare three lines", "2\n1\n0", legacy(2, 1, 0)),
        Case("bare lines with spaces and blank lines", "  1 \n\n 2\t\n 0  \n", legacy(1, 2, 0)),
        Case("bare lines, one out of range", "2\n3\n1", unreadable("Realism is 3, outside 0–2")),
        Case("bare negative number", "-1\n1\n1", unreadable("Consistency is -1, outside 0–2")),
        Case("four bare lines", "1\n1\n1\n1", unreadable("no Consistency, Realism or Aesthetic Quality score in reply")),
        Case("two bare lines", "1\n1", unreadable("no Consistency, Realism or Aesthetic Quality score in reply")),
        // Values that must not be guessed
        Case("out of range", "Consistency: 5\nRealism: 1\nAesthetic Quality: 1", unreadable("Consistency is 5, outside 0–2")),
        Case("ten is not one", "Consistency: 10\nRealism: 1\nAesthetic Quality: 1", unreadable("Consistency is 10, outside 0–2")),
        Case("three in the last aspect", "Consistency: 1\nRealism: 1\nAesthetic Quality: 3", unreadable("Aesthetic Quality is 3, outside 0–2")),
        Case("half point", "Consistency: 1.5\nRealism: 1\nAesthetic Quality: 1", unreadable("Consistency is 1.5, not a whole number")),
        Case("missing aspect", "Consistency: 2\nRealism: 1", unreadable("no Aesthetic Quality score in reply")),
        Case("missing two aspects", "Consistency: 2. The image is fine.", unreadable("no Realism or Aesthetic Quality score in reply")),
        Case("rubric headings echoed (official pattern misses them too)", "Consistency (0-2): 2\nRealism (0-2): 1\nAesthetic Quality (0-2): 1",
             unreadable("no Consistency, Realism or Aesthetic Quality score in reply")),
        Case("empty", "", unreadable("empty reply")),
        Case("whitespace only", " \n\t ", unreadable("empty reply")),
        Case("a verified reply under legacy", "Score: 1", unreadable("no Consistency, Realism or Aesthetic Quality score in reply")),
        // WISE_Verified: one binary score
        Case("verified official", "Score: 1", .verified, verified(1)),
        Case("verified zero", "Score: 0", .verified, verified(0)),
        Case("verified bold", "**Score**: 1", .verified, verified(1)),
        Case("verified bold closed after colon", "**Score:** 0", .verified, verified(0)),
        Case("verified lowercase full-width colon", "score：1", .verified, verified(1)),
        Case("verified bare", "1", .verified, verified(1)),
        Case("verified bare with spaces", "  0 \n", .verified, verified(0)),
        Case("verified chatty", "The image shows a bouquet of carnations, which is what the explanation asks for.\nScore: 1", .verified, verified(1)),
        Case("verified repeated, last wins", "Score: 0\nWait, the flower is a carnation after all.\nFinal Score: 1", .verified, verified(1)),
        Case("verified think decoy", "<think>At first I'd say Score: 0.</think>\nScore: 1", .verified, verified(1)),
        Case("verified closing tag only", "The explanation needs mooncakes; Score: 0 would fit a plain cake.\n</think>\n1", .verified, verified(1)),
        Case("verified cut off while thinking", "<think>Looking at the image, I see", .verified,
             unreadable("reply ends inside an unclosed <think> block, no answer after it")),
        Case("verified out of range", "Score: 2", .verified, unreadable("Score is 2, outside 0–1")),
        Case("verified ten", "Score: 10", .verified, unreadable("Score is 10, outside 0–1")),
        Case("verified fraction", "Score: 0.5", .verified, unreadable("Score is 0.5, not a whole number")),
        Case("verified bare out of range", "2", .verified, unreadable("Score is 2, outside 0–1")),
        Case("verified yes", "Yes", .verified, unreadable("no Score in reply")),
        Case("verified two bare lines", "1\n0", .verified, unreadable("no Score in reply")),
        Case("verified empty", "", .verified, unreadable("empty reply")),
        Case("a legacy reply under verified", "Consistency: 2\nRealism: 2\nAesthetic Quality: 2", .verified, unreadable("no Score in reply")),
    ]

    @Test(arguments: cases)
    func readsReplies(_ c: Case) {
        // Given a judge reply
        // When it is read under its protocol
        let result = ReplyParser.parse(c.reply, scoringProtocol: c.scoringProtocol)
        // Then the scores or the reason are exactly as expected, and scores are valid for the protocol
        #expect(result == c.expected)
        if case .scores(let scores) = result {
            #expect(scores.validate(for: c.scoringProtocol) == nil)
            #expect(Set(scores.values.keys) == Set(c.scoringProtocol.aspects))
        }
    }

    @Test func tableCoversEnoughReplies() {
        #expect(Self.cases.count >= 30)
        #expect(Set(Self.cases.map(\.name)).count == Self.cases.count)
    }

    @Test func reasonsAreOneShortLine() {
        // Given every unreadable case
        for c in Self.cases {
            guard case .unreadable(let reason) = ReplyParser.parse(c.reply, scoringProtocol: c.scoringProtocol) else { continue }
            // Then its reason is a single short line
            #expect(!reason.contains("\n") && reason.count <= 80, "\(c.name): \(reason)")
        }
    }

    @Test func aLongReasoningReplyIsReadQuickly() {
        // Given a long reply: many think blocks full of decoys, then the answer
        let block = "<think>" + String(repeating: "Consistency: 0 Realism: 0 Aesthetic Quality: 0 ", count: 200) + "</think>\n"
        let reply = String(repeating: block, count: 20) + "Consistency: 2\nRealism: 2\nAesthetic Quality: 1"
        // When read
        let result = ReplyParser.parse(reply, scoringProtocol: .legacy)
        // Then only the answer counts
        #expect(result == Self.legacy(2, 2, 1))
    }
}
