import Foundation
import Testing
import TestSupport
import WiseCore
@testable import WiseJudges

@Suite struct OfficialReaderTests {
    /// One tricky reply, what it probes, and what the official code makes of it
    /// (`[score]` or `[consistency, realism, aesthetic_quality]`; nil when it would ask again).
    struct Tricky: Sendable, CustomTestStringConvertible {
        var note: String
        var reply: String
        var expected: [Double]?
        var testDescription: String { note }

        init(_ note: String, _ reply: String, _ expected: [Double]?) {
            self.note = note; self.reply = reply; self.expected = expected
        }
    }

    // MARK: - tricky replies

    static let verified: [Tricky] = [
        Tricky("the official format", "Score: 1", [1]),
        Tricky("zero", "Score: 0", [0]),
        Tricky("re.search: the FIRST Score wins", "Score: 0\nOn reflection, Score: 1", [0]),
        Tricky("first wins even when lower-case", "scorE: 1 but Score: 0", [1]),
        Tricky("`Score: 01`: the 0 is followed by a word character, so `\\b` fails", "Score: 01", nil),
        Tricky("`**Score:** 1`: stars after the colon are not allowed", "**Score:** 1", nil),
        Tricky("full-width colon is not in `[::]`", "Score：1", nil),
        Tricky("`1.0`: the dot is a boundary", "Score: 1.0", [1]),
        Tricky("`10`: no boundary after the 1", "Score: 10", nil),
        Tricky("no colon", "score 1", [1]),
        Tricky("upper case, no space", "SCORE:1", [1]),
        Tricky("`Scoreboard: 1`: the label must be followed by stars, spaces or a colon", "Scoreboard: 1", nil),
        Tricky("`underscore: 1` holds `score: 1`", "underscore: 1", [1]),
        Tricky("bold label, colon outside", "**Score**: 1", [1]),
        Tricky("three leading stars: the match starts one later", "***Score: 1", [1]),
        Tricky("three trailing stars: at most two", "Score***: 1", nil),
        Tricky("a bold value", "Final Score: **1**", nil),
        Tricky("a reply of only 1", "1", [1]),
        Tricky("two bare lines: not exactly one", "0\n1", nil),
        Tricky("1 with blank lines and tabs around it", "\n\n\t1\t\n\n", [1]),
        Tricky("one bare line after prose", "The image is fine.\n1", [1]),
        Tricky("one bare line before prose", "1\n\nThe image is fine.", [1]),
        Tricky("two numbers on one line", "1 1", nil),
        Tricky("two bare lines padded with spaces", " 1 \n 1 ", nil),
        Tricky("label with 2 fails, then one bare 1", "Score: 2\n1", [1]),
        Tricky("label with 2 only", "Score: 2", nil),
        Tricky("a dash is not a separator", "Score - 1", nil),
        Tricky("two colons", "Score::1", nil),
        Tricky("`\\s*` crosses lines", "Score\n:\n1", [1]),
        Tricky("spaces around the colon", "Score :  1", [1]),
        Tricky("closed <think> block removed", "<think>Score: 0</think>\nScore: 1", [1]),
        Tricky("only a <think> block: empty after cleanup", "<think>Score: 1</think>", nil),
        Tricky("unclosed <think>: nothing removed, its score counts", "<think>maybe Score: 0", [0]),
        Tricky("stray </think>: only the tag goes, the reasoning before it stays", "Score: 0 is tempting</think>Score: 1", [0]),
        Tricky("upper-case <THINK> is not removed (case-sensitive)", "<THINK>Score: 0</THINK>\nScore: 1", [0]),
        Tricky("nested: the inner close ends the block, then `Score: 0Score` has no boundary", "<think>a<think>Score: 0</think>Score: 0</think>Score: 1", [1]),
        Tricky("empty think block and blank lines", "<think>\n</think>\n\n1", [1]),
        Tricky("<think> after the answer", "Score: 1<think>", [1]),
        Tricky("only a stray </think>", "</think>", nil),
        Tricky("Arabic-Indic one is not in `[01]`", "Score: ١", nil),
        Tricky("a bare Arabic-Indic one", "١", nil),
        Tricky("long s matches s under IGNORECASE", "ſcore: 1", [1]),
        Tricky("NBSP between label and value", "Score:\u{00A0}1", [1]),
        Tricky("ideographic space", "Score:\u{3000}1", [1]),
        Tricky("NBSP and em space around the colon", "SCORE\u{00A0}:\u{2003}0", [0]),
        Tricky("zero-width space is not `\\s`", "Score:\u{200B}1", nil),
        Tricky("Mongolian vowel separator is not `\\s`", "Score:\u{180E}1", nil),
        Tricky("vertical tab", "Score\u{000B}1", [1]),
        Tricky("file separator \\x1c is `\\s`", "Score\u{001C}1", [1]),
        Tricky("NEL is `\\s`", "Score\u{0085}0", [0]),
        Tricky("CRLF after the label line", "Score: 1\r\n", [1]),
        Tricky("CRLF bare line after prose", "Analysis\r\n1\r\n", [1]),
        Tricky("CRLF: two bare lines", "1\r\n0", nil),
        Tricky("U+2028 is `\\s` but not a line end for `$`", "0\u{2028}1", nil),
        Tricky("U+2028 stripped at the end", "1\u{2028}", [1]),
        Tricky("letter after the digit", "Score 1a", nil),
        Tricky("combining mark after the digit is not a word character", "Score: 1\u{0301}", [1]),
        Tricky("underscore after the digit is a word character", "Score: 1_", nil),
        Tricky("superscript two after the digit is numeric", "Score: 1²", nil),
        Tricky("empty reply", "", nil),
        Tricky("whitespace only", "  \n\t ", nil),
    ]

    static let legacy: [Tricky] = [
        Tricky("the official format", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0", [2, 1, 0]),
        Tricky("`Consistency: 10` reads one digit", "Consistency: 10\nRealism: 1\nAesthetic Quality: 0", [1, 1, 0]),
        Tricky("`Consistency: 12`", "Consistency: 12\nRealism: 2\nAesthetic Quality: 2", [1, 2, 2]),
        Tricky("values 3–9 pass: no range check", "Consistency: 7\nRealism: 9\nAesthetic Quality: 3", [7, 9, 3]),
        Tricky("`1.5` reads 1", "Consistency: 1.5\nRealism: 1\nAesthetic Quality: 0", [1, 1, 0]),
        Tricky("fractions read the numerator", "Consistency: 2/2\nRealism: 1/2\nAesthetic Quality: 2/2", [2, 1, 2]),
        Tricky("one label missing", "Consistency: 2\nRealism: 1", nil),
        Tricky("duplicate: the last wins", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0\nConsistency: 0", [0, 1, 0]),
        Tricky("duplicate in another case", "Consistency: 1\nRealism: 1\nAesthetic Quality: 1\nconsistency: 2", [2, 1, 1]),
        Tricky("labels plus bare lines: any label stops the fallback", "Consistency: 2\nRealism: 1\n2\n1\n0", nil),
        Tricky("labels, then a summary with bare lines", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0\n\nSummary: 1\n1\n1", [2, 1, 0]),
        Tricky("three bare lines", "2\n1\n0", [2, 1, 0]),
        Tricky("four bare lines: the first three", "2\n1\n0\n1", [2, 1, 0]),
        Tricky("two bare lines", "2\n1", nil),
        Tricky("bare lines with blank lines between", "\n2\n\n1\n\n0\n", [2, 1, 0]),
        Tricky("bare lines with tabs and spaces", "  2 \t\n\t1\n  0  ", [2, 1, 0]),
        Tricky("bare lines 3, 4, 5 are not `[0-2]`", "3\n4\n5", nil),
        Tricky("bare zeros", "0\n0\n0", [0, 0, 0]),
        Tricky("a bare Arabic-Indic digit is not `[0-2]`", "2\n1\n٢", nil),
        Tricky("bare numbers on one line", "2 1 0", nil),
        Tricky("bare lines with CRLF", "2\r\n1\r\n0", [2, 1, 0]),
        Tricky("bare lines with lone CR: one line for `$`", "2\r1\r0", nil),
        Tricky("bare lines with U+2028: one line for `$`", "2\u{2028}1\u{2028}0", nil),
        Tricky("`Aesthetic  Quality` with two spaces", "Consistency: 1\nRealism: 1\nAesthetic  Quality: 1", nil),
        Tricky("`Aesthetic_Quality`", "Consistency: 1\nRealism: 1\nAesthetic_Quality: 1", nil),
        Tricky("bold labels", "**Consistency**: 2\n**Realism**: 2\n**Aesthetic Quality**: 1", [2, 2, 1]),
        Tricky("bold closed after the colon: no label matches, no bare lines", "**Consistency:** 1\n**Realism:** 1\n**Aesthetic Quality:** 2", nil),
        Tricky("markdown list of bold labels", "- **Consistency**: 2\n- **Realism**: 2\n- **Aesthetic Quality**: 1", [2, 2, 1]),
        Tricky("three leading stars", "***Consistency: 2\n***Realism: 1\n***Aesthetic Quality: 0", [2, 1, 0]),
        Tricky("three trailing stars on one label", "Consistency***: 2\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("lower case", "consistency: 0\nrealism: 0\naesthetic quality: 1", [0, 0, 1]),
        Tricky("upper case on one line, no colons", "CONSISTENCY 2 REALISM 2 AESTHETIC QUALITY 2", [2, 2, 2]),
        Tricky("one line with colons", "Consistency: 2 Realism: 1 Aesthetic Quality: 0", [2, 1, 0]),
        Tricky("commas between", "Consistency 2, Realism 1, Aesthetic Quality 0", [2, 1, 0]),
        Tricky("full-width colons are not in `[::]`", "Consistency：1\nRealism：2\nAesthetic Quality：0", nil),
        Tricky("two colons", "Consistency:: 2\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("a dash is not a separator", "Consistency - 2\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("a minus sign is not a digit", "Consistency: -1\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("labels and values across lines", "Consistency\n:\n2\nRealism\n1\nAesthetic Quality\n0", [2, 1, 0]),
        Tricky("`Inconsistency` holds `consistency`", "Inconsistency: 1\nRealism: 1\nAesthetic Quality: 1", [1, 1, 1]),
        Tricky("a label followed by a word does not match", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0\nAesthetic Quality score is 1", [2, 1, 0]),
        Tricky("Arabic-Indic digits are `\\d` and float() reads them", "Consistency: ٢\nRealism: ١\nAesthetic Quality: ٠", [2, 1, 0]),
        Tricky("full-width digit", "Consistency: ２\nRealism: 1\nAesthetic Quality: 0", [2, 1, 0]),
        Tricky("Devanagari and mathematical bold digits", "Consistency: २\nRealism: 𝟏\nAesthetic Quality: 0", [2, 1, 0]),
        Tricky("superscript two is not `\\d`", "Consistency: ²\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("`ſ` matches but gives the key 'conſistency'", "Conſistency: 2\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("a `ſ` label alone still stops the fallback", "Conſistency: 2\n2\n1\n0", nil),
        Tricky("dotted capital I gives the key 'reali̇sm'", "Consistency: 2\nRealİsm: 1\nAesthetic Quality: 0", nil),
        Tricky("dotless i", "Consistency: 2\nRealism: 1\nAesthetıc Quality: 0", nil),
        Tricky("a junk-key duplicate does not erase the good one", "Consistency: 2\nRealism: 1\nAesthetic Quality: 0\nConſiſtency: 0", [2, 1, 0]),
        Tricky("NBSP, ideographic space and tab", "Consistency:\u{00A0}2\nRealism:\u{3000}1\nAesthetic Quality:\t0", [2, 1, 0]),
        Tricky("zero-width space is not `\\s`", "Consistency:\u{200B}2\nRealism: 1\nAesthetic Quality: 0", nil),
        Tricky("CRLF line ends", "Consistency: 2\r\nRealism: 1\r\nAesthetic Quality: 0\r\n", [2, 1, 0]),
        Tricky("no <think> handling: the last match wins, inside or not", "Consistency: 2 Realism: 1 Aesthetic Quality: 1 <think>Consistency: 0", [0, 1, 1]),
        Tricky("think block first, answer after", "<think>Consistency: 0 Realism: 0 Aesthetic Quality: 0</think>\nConsistency: 2\nRealism: 2\nAesthetic Quality: 2", [2, 2, 2]),
        Tricky("labels only inside <think>", "<think>Consistency: 1\nRealism: 1\nAesthetic Quality: 1</think>", [1, 1, 1]),
        Tricky("empty reply", "", nil),
        Tricky("whitespace only", "  \n\t ", nil),
    ]

    static func expectedOutcome(_ values: [Double]?, _ p: ScoringProtocol) -> ReadingOutcome? {
        guard let values else { return nil }
        return .scores(AspectScores(Dictionary(uniqueKeysWithValues: zip(p.aspects, values))))
    }

    /// Both lists, each reply with its protocol.
    static let allTricky: [(ScoringProtocol, Tricky)] = verified.map { (.verified, $0) } + legacy.map { (.legacy, $0) }

    @Test(arguments: allTricky)
    func trickyReply(_ scoringProtocol: ScoringProtocol, _ item: Tricky) {
        // Given a tricky reply under its protocol
        // When the official reading reads it
        let outcome = OfficialReader.read(item.reply, scoringProtocol: scoringProtocol)
        // Then it gives what vllm_eval.py or gpt_eval.py gives (scores, or a reason to ask again)
        check(outcome, item.expected, scoringProtocol)
    }

    func check(_ outcome: ReadingOutcome, _ expected: [Double]?, _ p: ScoringProtocol) {
        if let want = Self.expectedOutcome(expected, p) {
            #expect(outcome == want)
        } else if case .unreadable(let reason) = outcome {
            #expect(!reason.isEmpty)
        } else {
            Issue.record("expected unreadable, got \(outcome)")
        }
    }

    @Test func eachListHoldsAtLeastFortyFiveReplies() {
        // Given the tricky lists / When counted / Then each protocol has at least 45
        #expect(Self.verified.count >= 45)
        #expect(Self.legacy.count >= 45)
    }

    @Test func reasonsSayWhatIsMissing() {
        // Given replies the official code would ask again for
        // When read officially
        // Then the reason names what was missing
        #expect(OfficialReader.read("Consistency: 2\nRealism: 1", scoringProtocol: .legacy)
                == .unreadable(reason: "labels found but missing aesthetic_quality"))
        #expect(OfficialReader.read("Conſistency: 2\nRealism: 1\nAesthetic Quality: 0", scoringProtocol: .legacy)
                == .unreadable(reason: "labels found but missing consistency (1 spelt with ſ, İ or ı, which give other keys)"))
        #expect(OfficialReader.read("2\n1", scoringProtocol: .legacy)
                == .unreadable(reason: "no Consistency, Realism or Aesthetic Quality label followed by a digit, and 2 bare 0–2 lines (3 needed)"))
        #expect(OfficialReader.read("0\n1", scoringProtocol: .verified)
                == .unreadable(reason: "no Score label followed by 0 or 1, and more than one bare 0/1 line"))
        #expect(OfficialReader.read("Score: 01", scoringProtocol: .verified)
                == .unreadable(reason: "no Score label followed by 0 or 1, and no bare 0/1 line"))
        #expect(OfficialReader.read("<think>Score: 1</think>", scoringProtocol: .verified)
                == .unreadable(reason: "empty reply after removing <think> reasoning"))
        #expect(OfficialReader.read(" \n", scoringProtocol: .verified) == .unreadable(reason: "empty reply"))
    }

    @Test func cleanIsTheTextTheOfficialCodeReads() {
        // Given replies with think tags and surrounding whitespace
        // When cleaned
        // Then verified removes closed blocks, stray closing tags and the whitespace after them, then strips; legacy keeps the text
        #expect(OfficialReader.clean("<think>x</think>\n\n Score: 1 \n", scoringProtocol: .verified) == "Score: 1")
        #expect(OfficialReader.clean("a</think>\u{3000}b</think>", scoringProtocol: .verified) == "ab")
        #expect(OfficialReader.clean("<thi<think>x</think>nk>y</think>z", scoringProtocol: .verified) == "<think>yz")
        #expect(OfficialReader.clean("<THINK>x</THINK> 1", scoringProtocol: .verified) == "<THINK>x</THINK> 1")
        #expect(OfficialReader.clean(" <think>x ", scoringProtocol: .verified) == "<think>x")
        #expect(OfficialReader.clean(" <think>x</think> ", scoringProtocol: .legacy) == " <think>x</think> ")
    }

    // MARK: - strict and official side by side

    @Test func strictReadingStillReadsAsReplyParserTestsExpect() {
        // Given the cases of ReplyParserTests
        for c in ReplyParserTests.cases {
            // When read with the strict reading
            let outcome = Reading.strict.read(c.reply, scoringProtocol: c.scoringProtocol)
            // Then the outcome is the parser's expected result
            switch c.expected {
            case .scores(let s): #expect(outcome == .scores(s), "\(c.name)")
            case .unreadable(let r): #expect(outcome == .unreadable(reason: r), "\(c.name)")
            }
        }
    }

    /// A reply on which `ReplyParser.parse` (the strict reading) once trapped: NSRegularExpression's
    /// case-insensitive match takes `Conſistency` for a label, and its key `conſistency` made three
    /// keys "found" without `consistency`. Now it must be refused, never crash.
    @Test func theStrictReaderRefusesALongSLabelInsteadOfCrashing() {
        let outcome = Reading.strict.read("Conſistency: 2\nRealism: 1\nAesthetic Quality: 0", scoringProtocol: .legacy)
        #expect(outcome.scores == nil)
    }

    @Test func theTwoReadingsDisagreeOnSomeTrickyReplies() {
        // Given the tricky lists
        var counts: [ScoringProtocol: Int] = [:]
        for (p, all) in [(ScoringProtocol.verified, Self.verified), (.legacy, Self.legacy)] {
            let list = all
            // When each reply is read both ways
            counts[p] = list.filter { Reading.official.read($0.reply, scoringProtocol: p) != Reading.strict.read($0.reply, scoringProtocol: p) }.count
            print("official and strict readings disagree on \(counts[p]!) of \(list.count) tricky \(p.rawValue) replies")
        }
        // Then they disagree on some, for instance these
        #expect(counts[.verified]! > 0)
        #expect(counts[.legacy]! > 0)
        let firstVsLast = "Score: 0\nOn reflection, Score: 1"
        #expect(Reading.official.read(firstVsLast, scoringProtocol: .verified) == .scores(AspectScores(["score": 0])))
        #expect(Reading.strict.read(firstVsLast, scoringProtocol: .verified) == .scores(AspectScores(["score": 1])))
        let ten = "Consistency: 10\nRealism: 1\nAesthetic Quality: 0"
        #expect(Reading.official.read(ten, scoringProtocol: .legacy) == Self.expectedOutcome([1, 1, 0], .legacy))
        #expect(Reading.strict.read(ten, scoringProtocol: .legacy).scores == nil)
        let bold = "**Score:** 1"
        #expect(Reading.official.read(bold, scoringProtocol: .verified).scores == nil)
        #expect(Reading.strict.read(bold, scoringProtocol: .verified) == .scores(AspectScores(["score": 1])))
        let unclosed = "<think>maybe Score: 0"
        #expect(Reading.official.read(unclosed, scoringProtocol: .verified) == .scores(AspectScores(["score": 0])))
        #expect(Reading.strict.read(unclosed, scoringProtocol: .verified).scores == nil)
    }

    // MARK: - differential test against the official Python code

    static let officialDirectory: URL? = {
        let dir = TestCatalogue.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/wise/official")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("vllm_eval.py").path) ? dir : nil
    }()

    @Test(.enabled(if: officialDirectory != nil, "needs the official evaluators in ../shared/wise/official"),
          .enabled(if: Tools.hasPython3, Comment(rawValue: Tools.Reason.python3)))
    func everyReplyReadsAsTheOfficialPythonCodeReadsIt() async throws {
        // Given the tricky lists under both protocols and thousands of generated replies
        var items: [(ScoringProtocol, String)] = []
        for p in ScoringProtocol.allCases {
            for item in Self.verified + Self.legacy { items.append((p, item.reply)) }
        }
        for reply in Self.generatedReplies(count: 5000, seed: 0x5EED_0F_0FF1C1A1) {
            items.append((.verified, reply))
            items.append((.legacy, reply))
        }
        // When the official Python code reads them (extract_scores and the verified cleanup, run by python3)
        let python = try await Self.officialOutcomes(items)
        try #require(python.count == items.count)
        // Then every outcome, and the cleaned text, is the same as the official reading's
        var mismatches = 0
        var accepted: [ScoringProtocol: Int] = [:]
        for ((p, reply), want) in zip(items, python) {
            if want.ok { accepted[p, default: 0] += 1 }
            let got = OfficialReader.read(reply, scoringProtocol: p)
            let same = want.ok ? got == .scores(AspectScores(want.scores ?? [:])) : got.scores == nil
            let cleaned = OfficialReader.clean(reply, scoringProtocol: p)
            if !same || cleaned != want.text {
                mismatches += 1
                if mismatches <= 20 {
                    Issue.record("\(p.rawValue) \(reply.debugDescription): Python \(want.ok ? "\(want.scores!)" : "unreadable") read \(want.text.debugDescription); Swift \(got) read \(cleaned.debugDescription)")
                }
            }
        }
        print("differential: \(items.count) replies read by the official Python code and by OfficialReader, \(mismatches) differ;"
              + " Python accepted \(accepted[.verified] ?? 0) verified and \(accepted[.legacy] ?? 0) legacy of \(items.count / 2) each")
        #expect(mismatches == 0)
    }

    struct PythonOutcome: Decodable { var ok: Bool; var scores: [String: Double]?; var text: String }

    /// Runs Tests/reference/official_extract.py on the items, one JSON line each way.
    static func officialOutcomes(_ items: [(ScoringProtocol, String)]) async throws -> [PythonOutcome] {
        struct Line: Encodable { var `protocol`: String; var reply: String }
        let encoder = JSONEncoder()
        var input = Data()
        for (p, reply) in items {
            input.append(try encoder.encode(Line(protocol: p.rawValue, reply: reply)))
            input.append(0x0A)
        }
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("official-extract-\(UUID().uuidString).jsonl")
        try input.write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }

        let script = TestCatalogue.repositoryRoot.appendingPathComponent("Tests/reference/official_extract.py").path
        let (status, output) = try await ExternalProcess.run("python3", [script, officialDirectory!.path], stdin: inputFile)
        guard status == 0 else {
            Issue.record("official_extract.py failed (exit \(status))")
            return []
        }
        let decoder = JSONDecoder()
        return try output.split(separator: 0x0A).map { try decoder.decode(PythonOutcome.self, from: Data($0)) }
    }

    // MARK: - generated replies

    /// Replies spliced from the pieces the patterns care about, and some they must ignore.
    static func generatedReplies(count: Int, seed: UInt64) -> [String] {
        let labels = ["Score", "score", "SCORE", "ſcore", "ſCORE", "Scoreboard", "underscore", "Scores",
                      "Consistency", "consistency", "CONSISTENCY", "Conſistency", "Consİstency", "Consıstency",
                      "Realism", "realism", "REALISM", "Realiſm", "Realİsm", "Realısm",
                      "Aesthetic Quality", "aesthetic quality", "AESTHETIC QUALITY", "Aeſthetic Quality",
                      "Aesthetic  Quality", "Aesthetic_Quality", "Aesthetİc Quality", "Aesthetic\u{00A0}Quality"]
        let stars = ["", "", "*", "**", "***"]
        let colons = ["", ":", ":", "：", "::", " - "]
        let pythonSpaces: [Unicode.Scalar] = ["\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{1C}", "\u{1D}", "\u{1E}", "\u{1F}", " ",
                                              "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2005}", "\u{200A}", "\u{2028}",
                                              "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}"]
        let otherSpaces: [Unicode.Scalar] = ["\u{200B}", "\u{FEFF}", "\u{180E}", "\u{2060}", "\u{0301}"]
        let digits = ["0", "1", "2", "0", "1", "2", "3", "7", "9", "10", "01", "1.0", "0.5", "-1", "٠", "١", "٢", "２", "१", "𝟏",
                      "²", "½", "一"]
        let tails = ["", "", "", ".", "a", "_", "\u{0301}", "/2", " points", "é", "²", "**"]
        let tags = ["<think>", "</think>", "<THINK>", "</THINK>", "<think >", "</think"]
        let newlines = ["\n", "\n", "\r\n", "\r", "\n\n", "\u{2028}"]
        let words = ["The image", "x", "ok", "Final", "reasoning", "一", "é", "_"]

        var rng = SplitMix(seed: seed)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
        func spaces() -> String {
            var s = ""
            for _ in 0..<[0, 0, 1, 1, 2, 3][below(6)] {
                s.unicodeScalars.append(below(5) == 0 ? pick(otherSpaces) : pick(pythonSpaces))
            }
            return s
        }
        func labelled() -> String {
            pick(stars) + pick(labels) + pick(stars) + spaces() + pick(colons) + spaces() + pick(digits) + pick(tails)
        }
        func bare() -> String { spaces() + pick(digits) + spaces() }
        /// Mostly well-formed: an official label, in some case, with one of the usual separators.
        func nearlyOfficial(_ label: String) -> String {
            let cased = [label, label.lowercased(), label.uppercased()][below(3)]
            let spelt = below(12) == 0 ? pick(labels) : cased
            return pick(["", "", "**", "- **"]) + spelt + pick(["", "", "**"]) + pick([":", ":", " ", "", "："])
                + pick([" ", " ", "", "\t", "\u{A0}"]) + pick(["0", "1", "2", "0", "1", "2", "3", "10", "٢"]) + pick(tails)
        }

        var replies: [String] = []
        replies.reserveCapacity(count)
        for _ in 0..<count {
            var parts: [String] = []
            let mode = below(3)
            if mode == 0 {
                // nearly official: the labels of both protocols, some twice or missing, some bare lines
                var order = ["Consistency", "Realism", "Aesthetic Quality", "Score", "Consistency", "Score"]
                for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, below(k + 1)) }
                for label in order {
                    if below(5) < 3 { parts.append(nearlyOfficial(label)); parts.append(pick(newlines)) }
                    if below(6) == 0 { parts.append(bare()); parts.append("\n") }
                }
            } else if mode == 1 {
                // line mode: a few lines of labels, bare numbers and prose
                for _ in 0..<(1 + below(5)) {
                    switch below(3) {
                    case 0: parts.append(labelled())
                    case 1: parts.append(bare())
                    default: parts.append(pick(words))
                    }
                    parts.append(pick(newlines))
                }
                if below(3) == 0 { parts.removeLast() }
            } else {
                // soup mode: any pieces in any order
                for _ in 0..<(1 + below(14)) {
                    switch below(8) {
                    case 0: parts.append(pick(labels))
                    case 1: parts.append(pick(stars) + pick(colons))
                    case 2: parts.append(spaces())
                    case 3: parts.append(pick(digits))
                    case 4: parts.append(pick(tags))
                    case 5: parts.append(pick(newlines))
                    case 6: parts.append(labelled())
                    default: parts.append(pick(words))
                    }
                }
            }
            // think tags spliced in at random places
            for _ in 0..<[0, 0, 1, 2][below(4)] {
                parts.insert(pick(tags) + (below(2) == 0 ? spaces() : ""), at: below(parts.count + 1))
            }
            replies.append(parts.joined())
        }
        return replies
    }
}
