import Foundation
import Testing
import WiseCore
@testable import WiseJudges

@Suite struct RubricTests {
    /// The repository root, found by walking up from this file (through any symlinked folders).
    static func repositoryRoot() throws -> URL {
        var dir = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("prompts/judge").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        throw FileError("no prompts/judge above \(#filePath)")
    }

    /// A fresh empty folder under the system temporary directory.
    static func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wise-rubric-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static let prompt = Prompt(set: .legacy, id: 1, category: .culture, categoryLabel: "Cultural knowledge",
                               subcategory: "Festival", domain: "cultural_common_sense",
                               text: "Traditional food of the Mid-Autumn Festival",
                               explanation: "Mooncakes: round pastries with a stamped top")

    @Test(arguments: ScoringProtocol.allCases)
    func builtInTextIsTheRepositoryFileByteForByte(_ scoringProtocol: ScoringProtocol) throws {
        // Given the rubric file the repository ships for this protocol
        let path = try Self.repositoryRoot().appendingPathComponent("prompts/judge/\(scoringProtocol.rawValue).md").path
        let fileBytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // When it is compared with the embedded text and loaded as a user's rubric file would be
        let embedded = scoringProtocol == .legacy ? BuiltInRubricText.legacy : BuiltInRubricText.verified
        let loaded = try Rubric.load(from: path, scoringProtocol: scoringProtocol)
        let builtIn = Rubric.plain(scoringProtocol)
        // Then the bytes are identical and the loaded rubric is the built-in one but for its source
        #expect(Array(fileBytes) == Array(embedded.utf8))
        #expect(loaded.text == builtIn.text && loaded.system == builtIn.system)
        #expect(loaded.sha256 == builtIn.sha256)
        #expect(loaded.source == path && builtIn.source == "built-in")
        #expect(builtIn.scoringProtocol == scoringProtocol)
    }

    @Test func builtInRubricsAskForTheOfficialOutputFormat() {
        // Given the two built-in rubrics
        let legacy = Rubric.plain(.legacy), verified = Rubric.plain(.verified)
        // Then each has a system message, both placeholders, and the reply format its parser reads
        for rubric in [legacy, verified] {
            #expect(rubric.system?.isEmpty == false)
            #expect(rubric.text.contains("{prompt}") && rubric.text.contains("{explanation}"))
            #expect(rubric.text.last?.isWhitespace == false)
        }
        #expect(legacy.text.contains("Consistency: N\nRealism: N\nAesthetic Quality: N"))
        #expect(verified.text.contains("\"Score: 1\"") && verified.text.contains("\"Score: 0\""))
        #expect(legacy.sha256 != verified.sha256)
    }

    @Test func renderFillsBothPlaceholdersInOnePass() {
        // Given a template using each placeholder, one twice, and a stray brace pair
        let rubric = Rubric(text: "P={prompt}; E={explanation}; again {prompt}; keep {other} and {", scoringProtocol: .legacy, source: "test")
        // And a prompt whose own text holds placeholder-like braces
        var prompt = Self.prompt
        prompt.text = "a {explanation} b"
        prompt.explanation = "x\"y\nz"
        // When rendered
        let rendered = rubric.render(for: prompt)
        // Then each placeholder is replaced once, and text coming from the prompt is never re-read
        #expect(rendered == "P=a {explanation} b; E=x\"y\nz; again a {explanation} b; keep {other} and {")
    }

    @Test func renderOfTheBuiltInRubricQuotesThePrompt() {
        // Given the built-in legacy rubric
        // When rendered for a prompt
        let rendered = Rubric.plain(.legacy).render(for: Self.prompt)
        // Then the prompt and explanation sit where the placeholders were, and no placeholder is left
        #expect(rendered.contains("PROMPT: \"Traditional food of the Mid-Autumn Festival\""))
        #expect(rendered.contains("EXPLANATION: \"Mooncakes: round pastries with a stamped top\""))
        #expect(!rendered.contains("{prompt}") && !rendered.contains("{explanation}"))
    }

    @Test func hashCoversSystemAndTextOnly() {
        // Given a rubric and variants of it
        let base = Rubric(text: "Rate {prompt}", system: "Be strict.", scoringProtocol: .legacy, source: "a")
        var otherText = base; otherText.text = "Rate {prompt}."
        var otherSystem = base; otherSystem.system = "Be kind."
        var noSystem = base; noSystem.system = nil
        var otherSource = base; otherSource.source = "b"
        // Then text and system change the hash, the source does not, and the hash is of system NUL text
        #expect(base.sha256 == SHA256.hex("Be strict.\u{0}Rate {prompt}"))
        #expect(base.sha256.count == 64)
        #expect(otherText.sha256 != base.sha256)
        #expect(otherSystem.sha256 != base.sha256)
        #expect(noSystem.sha256 != base.sha256 && noSystem.sha256 == SHA256.hex("\u{0}Rate {prompt}"))
        #expect(otherSource.sha256 == base.sha256)
    }

    @Test func loadsPlainTextAsUserTextOnly() throws {
        // Given a file with no system line, blank lines first and trailing whitespace
        let file = try Self.tempDirectory().appendingPathComponent("plain.txt")
        try Data("\n\nJudge {prompt} with {explanation}.\n\n  \n".utf8).write(to: file)
        // When loaded
        let rubric = try Rubric.load(from: file.path, scoringProtocol: .verified)
        // Then the whole text is the user text, trimmed, with no system message
        #expect(rubric == Rubric(text: "Judge {prompt} with {explanation}.", system: nil, scoringProtocol: .verified, source: file.path))
    }

    @Test func loadsASystemLineCRLFAndByteOrderMark() throws {
        // Given a Windows-edited file with a BOM, a System: line and no {explanation}
        let file = try Self.tempDirectory().appendingPathComponent("official.md")
        try Data("\u{FEFF}System:   You are an auditor.  \r\n\r\nLine one {prompt}\r\nLine two\r\n".utf8).write(to: file)
        // When loaded
        let rubric = try Rubric.load(from: file.path, scoringProtocol: .legacy)
        // Then the system message is the rest of the first line and the user text uses LF line ends
        #expect(rubric.system == "You are an auditor.")
        #expect(rubric.text == "Line one {prompt}\nLine two")
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var name: String
        var contents: [UInt8]?
        var isDirectory = false
        var message: String
        var testDescription: String { name }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "missing", contents: nil, message: "does not exist"),
        BadFile(name: "directory", contents: nil, isDirectory: true, message: "is a directory, expected a text file"),
        BadFile(name: "empty", contents: [], message: "is empty"),
        BadFile(name: "whitespace only", contents: Array(" \n\t\n".utf8), message: "is empty"),
        BadFile(name: "no {prompt}", contents: Array("Rate the image against {explanation}.".utf8), message: "has no {prompt} placeholder"),
        BadFile(name: "python placeholder", contents: Array("PROMPT: \"{prompt_data['Prompt']}\"".utf8), message: "has no {prompt} placeholder"),
        BadFile(name: "system only", contents: Array("system: Be strict.\n\n".utf8), message: "has a system: line but no user text"),
        BadFile(name: "empty system", contents: Array("system:   \nRate {prompt}".utf8), message: "the system: line is empty"),
        BadFile(name: "placeholder in system", contents: Array("system: about {prompt}\nRate {prompt}".utf8), message: "placeholders work only in the user text"),
        BadFile(name: "not UTF-8", contents: [0x52, 0x61, 0x74, 0x65, 0xFF, 0xFE, 0x7B], message: "is not UTF-8 text"),
    ]

    @Test(arguments: badFiles)
    func loadRefusesABadFileInOneLine(_ bad: BadFile) throws {
        // Given a path that holds a bad rubric (or nothing)
        let path = try Self.tempDirectory().appendingPathComponent("rubric.md")
        if bad.isDirectory { try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true) }
        if let contents = bad.contents { try Data(contents).write(to: path) }
        // When loaded
        let error = #expect(throws: (any Error).self) { try Rubric.load(from: path.path, scoringProtocol: .legacy) }
        // Then one line says what is wrong and names the file; missing files are FileError, bad contents DataError
        let message = error.map { "\($0)" } ?? ""
        #expect(error is any WiseError)
        #expect(message.contains(bad.message), "\(message)")
        #expect(message.contains(path.path))
        #expect(!message.contains("\n"))
        if bad.contents == nil { #expect(error is FileError) } else { #expect(error is DataError) }
    }
}
