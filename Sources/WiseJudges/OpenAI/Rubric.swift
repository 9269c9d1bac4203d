import Foundation
import WiseCore

/// The instructions a judge model gets for one image: a user-message template and an optional system message.
///
/// Three kinds, by `name`: `official` (the default: the system text and template taken out of the
/// pinned official evaluator script, see `OfficialEvaluator`, with the system message sent as a list
/// of one text part as the scripts do), `plain` (wise's own texts, `prompts/judge/*.md`, never the
/// default) and `file` (a rubric file of the user's).
///
/// `text` is a template with the placeholders `{prompt}` (required) and `{explanation}` (optional),
/// filled in by `render(for:)`. `sha256` identifies the rubric in every judgment, so results made
/// with different instructions are never mixed up.
///
/// A rubric file (`load(from:scoringProtocol:)`) is UTF-8 text in one of two shapes:
/// - plain text: the whole file is the user text, and no system message is sent;
/// - a first line starting with `system:` (any case): the rest of that line is the system message
///   (one line), and the lines after it are the user text.
///
/// Leading blank lines and trailing whitespace of the user text are dropped, CRLF line ends are read
/// as LF, and a leading byte-order mark is ignored. Placeholders work in the user text only. To use
/// the official WISE text, paste it as the user text, write `{prompt}` and `{explanation}` where the
/// official script inserts the prompt's `Prompt` and `Explanation`, and put its system sentence on a
/// first `system:` line. The built-in rubrics are the files `prompts/judge/legacy.md` and
/// `prompts/judge/verified.md` of this repository, byte for byte.
public struct Rubric: Sendable, Equatable {
    /// The user-message template, with `{prompt}` and optionally `{explanation}`.
    public var text: String
    /// The system message, sent before the user message when present.
    public var system: String?
    /// How replies to this rubric are read and scored.
    public var scoringProtocol: ScoringProtocol
    /// Where the rubric came from: the official script, `"built-in"`, or the path of the file it was loaded from.
    public var source: String
    /// `official`, `plain` or `file`: recorded in the judge's identity and named by every report.
    public var name: String
    /// How the system message is sent: as a list of one text part (the official scripts) or a plain string.
    public var systemShape: SystemShape

    /// The two ways a system message's content can be written.
    public enum SystemShape: String, Sendable, Equatable {
        /// `[{"type": "text", "text": …}]`, as the official evaluators send it.
        case parts
        /// A plain string.
        case string
    }

    public init(text: String, system: String? = nil, scoringProtocol: ScoringProtocol, source: String,
                name: String = "file", systemShape: SystemShape = .string) {
        self.text = text; self.system = system; self.scoringProtocol = scoringProtocol; self.source = source
        self.name = name; self.systemShape = systemShape
    }

    /// The official request's rubric, taken out of the pinned evaluator script.
    public static func official(_ evaluator: OfficialEvaluator) -> Rubric {
        Rubric(text: evaluator.template, system: evaluator.system, scoringProtocol: evaluator.scoringProtocol,
               source: "official \(evaluator.source) (sha256 \(evaluator.scriptSHA256.prefix(12)))", name: "official", systemShape: .parts)
    }

    /// The lowercase hex SHA-256 of the system message and the template, recorded with every judgment.
    ///
    /// It hashes `system + "\0" + text` (an absent system message counts as empty), so a change to
    /// either changes the hash; the source and the protocol are recorded separately.
    public var sha256: String { SHA256.hex((system ?? "") + "\u{0}" + text) }

    /// The user message for one prompt: the template with `{prompt}` and `{explanation}` filled in.
    ///
    /// Substitution is a single pass over the template, so braces inside a prompt's own text are
    /// never read as placeholders; any other `{…}` in the template is left as it is.
    public func render(for prompt: Prompt) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + prompt.text.utf8.count + prompt.explanation.utf8.count)
        for piece in pieces {
            switch piece {
            case .literal(let literal): out += literal
            case .promptText: out += prompt.text
            case .explanation: out += prompt.explanation
            }
        }
        return out
    }

    /// A piece of the template: literal text, or where the prompt's text or explanation goes.
    public enum Piece: Sendable, Equatable {
        case literal(String)
        case promptText
        case explanation
    }

    /// The template split at its placeholders, in one pass; a `{` that starts no placeholder is
    /// literal text. `render` and the judge's request template both fill these pieces.
    public var pieces: [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = text[...]
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
        }
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            let tail = rest[open...]
            if tail.hasPrefix(Rubric.promptPlaceholder) {
                flush(); pieces.append(.promptText)
                rest = tail.dropFirst(Rubric.promptPlaceholder.count)
            } else if tail.hasPrefix(Rubric.explanationPlaceholder) {
                flush(); pieces.append(.explanation)
                rest = tail.dropFirst(Rubric.explanationPlaceholder.count)
            } else {
                literal.append("{")
                rest = tail.dropFirst()
            }
        }
        literal += rest
        flush()
        return pieces
    }

    /// The placeholder replaced by the prompt's text.
    public static let promptPlaceholder = "{prompt}"
    /// The placeholder replaced by the prompt's explanation.
    public static let explanationPlaceholder = "{explanation}"

    /// wise's own rubric for a protocol (the text of `prompts/judge/<protocol>.md`), chosen with `--rubric plain`.
    public static func plain(_ scoringProtocol: ScoringProtocol) -> Rubric {
        switch scoringProtocol {
        case .legacy: return builtInLegacy
        case .verified: return builtInVerified
        }
    }

    private static let builtInLegacy = makeBuiltIn(BuiltInRubricText.legacy, .legacy)
    private static let builtInVerified = makeBuiltIn(BuiltInRubricText.verified, .verified)

    private static func makeBuiltIn(_ fileText: String, _ scoringProtocol: ScoringProtocol) -> Rubric {
        do {
            var rubric = try parse(fileText, scoringProtocol: scoringProtocol, source: "built-in")
            rubric.name = "plain"
            return rubric
        } catch {
            // The built-in texts are constants checked by RubricTests; reaching this is a bug in wise.
            fatalError("built-in \(scoringProtocol.rawValue) rubric is malformed: \(error)")
        }
    }

    /// Reads a rubric file (see the type's documentation for its format).
    ///
    /// Throws `FileError` when the file is missing, a directory or unreadable, and `DataError`
    /// when it is not UTF-8, empty, or lacks the `{prompt}` placeholder.
    public static func load(from path: String, scoringProtocol: ScoringProtocol) throws -> Rubric {
        let data = try readUserFile(path, noun: "rubric file", expected: "a text file",
                                    missingHint: "; pass the path of a text file with a {prompt} placeholder")
        guard let contents = String(data: data, encoding: .utf8) else {
            throw DataError("rubric file \(path) is not UTF-8 text")
        }
        return try parse(contents, scoringProtocol: scoringProtocol, source: path)
    }

    /// Splits rubric file text into system message and user template, and checks the placeholders.
    static func parse(_ contents: String, scoringProtocol: ScoringProtocol, source: String) throws -> Rubric {
        var body = contents
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        if body.contains("\r\n") { body = body.replacingOccurrences(of: "\r\n", with: "\n") }
        guard body.contains(where: { !$0.isWhitespace }) else {
            throw DataError("rubric file \(source) is empty")
        }
        var system: String?
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false)[...]
        if let first = lines.first, first.lowercased().hasPrefix("system:") {
            let message = first.dropFirst("system:".count).trimmingCharacters(in: .whitespaces)
            guard !message.isEmpty else {
                throw DataError("rubric file \(source): the system: line is empty; write the system message after 'system:' or remove the line")
            }
            if message.contains(promptPlaceholder) || message.contains(explanationPlaceholder) {
                throw DataError("rubric file \(source): placeholders work only in the user text, not on the system: line")
            }
            system = message
            lines = lines.dropFirst()
        }
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines = lines.dropFirst() }
        var text = lines.joined(separator: "\n")
        while let last = text.last, last.isWhitespace { text.removeLast() }
        guard !text.isEmpty else {
            throw DataError("rubric file \(source) has a system: line but no user text after it")
        }
        guard text.contains(promptPlaceholder) else {
            throw DataError("rubric file \(source) has no {prompt} placeholder; write {prompt} (and optionally {explanation}) where the prompt goes")
        }
        return Rubric(text: text, system: system, scoringProtocol: scoringProtocol, source: source)
    }
}

/// The texts of `prompts/judge/legacy.md` and `verified.md`, kept byte-identical to the files by RubricTests.
enum BuiltInRubricText {
    /// The paper's protocol: Consistency, Realism and Aesthetic Quality, each 0–2.
    static let legacy =
        #"""
        system: You are a strict reviewer of text-to-image results. You score images by the rules below and answer only in the format they ask for.

        You will see one image that a text-to-image model drew from the PROMPT below. The PROMPT often names its subject only indirectly, so that drawing it takes world knowledge (culture, history, geography, time, biology, physics or chemistry). The EXPLANATION says what the PROMPT means: read the two together to know what the image has to show.

        Score the image on three aspects, each with a whole number from 0 to 2.

        ## Consistency (0-2): does the image show what the PROMPT, read with its EXPLANATION, asks for?
        - 0: The key content is missing or wrong, the image contradicts the prompt, or it draws the prompt's words literally instead of what they mean.
        - 1: Part of the content is there, or it is there but inaccurate: some elements are missing, wrong or only roughly right.
        - 2: Everything the prompt and explanation call for is there and correct, down to the details. Nothing is missing, wrong or open to doubt.

        ## Realism (0-2): how real and physically plausible does the image look?
        - 0: Clearly artificial or impossible: broken anatomy, impossible physics, objects that cannot exist as drawn.
        - 1: Mostly believable, but with visible flaws in shapes, materials, lighting or spatial relations.
        - 2: Could pass for a real photograph: correct physics, lighting and materials, coherent space, no sign of being generated.

        ## Aesthetic Quality (0-2): how good is the image as a picture?
        - 0: Poor composition, unpleasant or muddy colours, no artistic merit.
        - 1: Acceptable composition and colour harmony, pleasant enough but ordinary.
        - 2: Outstanding: striking composition, harmonious colour, a clear and accomplished artistic style.

        ## Be strict
        A 2 must be rare. Give it only when the image leaves nothing to improve in that aspect. When you hesitate between two scores, give the lower one.

        ## Input
        PROMPT: "{prompt}"
        EXPLANATION: "{explanation}"

        ## Output
        Answer with exactly these three lines and nothing else (no explanation, no other text):
        Consistency: N
        Realism: N
        Aesthetic Quality: N
        where each N is 0, 1 or 2.

        """#

    /// WISE_Verified: one binary score for whether the knowledge-implied content is shown.
    static let verified =
        #"""
        system: You are a careful reviewer of text-to-image results. You decide whether an image shows what its prompt implies and answer only in the format asked for.

        You will see one image that a text-to-image model drew from the PROMPT below. The PROMPT names its subject only indirectly, so that drawing it takes world knowledge (culture, history, geography, time, biology, physics or chemistry). The EXPLANATION says what the PROMPT implies: the object, scene, state or effect that a correct image must show.

        Decide whether the image correctly shows the content the EXPLANATION describes.
        - It does (1) when that content is clearly visible and right: the right thing, in the right state, with the details the EXPLANATION names.
        - It does not (0) when the content is missing, wrong, too vague to recognise, replaced by a literal drawing of the PROMPT's words, or contradicted by something else in the image.
        - Judge only the content. Style, beauty and image quality do not matter unless they make the content impossible to recognise.
        - If you are unsure, the answer is 0.

        PROMPT: "{prompt}"
        EXPLANATION: "{explanation}"

        Answer with exactly one line and nothing else: "Score: 1" if the image correctly shows the content, "Score: 0" if it does not.

        """#
}
