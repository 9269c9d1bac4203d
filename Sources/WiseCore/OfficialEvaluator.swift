import Foundation

/// The judge request of an official WISE evaluator script, taken out of the script itself.
///
/// wise never carries the official rubric texts: `wise catalogue fetch` downloads the pinned
/// evaluator scripts (`vllm_eval.py` for verified, `WISE_legacy/gpt_eval.py` for legacy), and this
/// type takes the system text, the user-text template and the request settings out of them by a
/// fixed rule, `OfficialEvaluator.rule` (documented on `extract(from:scoringProtocol:)`). The
/// manifest pins the SHA-256 of each script and of each extracted part, so a changed script or a
/// wrong extraction fails loudly instead of changing what the judge is asked.
public struct OfficialEvaluator: Sendable, Equatable {
    /// The extraction rule's name, recorded in every judge spec that uses an official request.
    public static let rule = "wise-extract-1"

    public var scoringProtocol: ScoringProtocol
    /// The system message text, sent as a list with one text part (as both scripts do).
    public var system: String
    /// The user text with `{prompt}` and `{explanation}` where the script inserts `Prompt` and `Explanation`.
    public var template: String
    /// The request settings the script sends and uses.
    public var settings: Settings
    /// The script's SHA-256 (as pinned in the manifest).
    public var scriptSHA256: String
    /// The script's path in the official repository (`vllm_eval.py`).
    public var source: String

    /// The request settings of an official script.
    public struct Settings: Codable, Sendable, Equatable {
        /// Top-level request members other than `model` and `messages`, as JSON texts by key
        /// (`"temperature": "0.0"`, `"max_tokens": "500"`, `"chat_template_kwargs": "{\"enable_thinking\":false}"`).
        public var body: [String: String]
        /// How many replies the script reads before it gives up on an item (`MAX_EXTRACT_RETRIES`).
        public var reads: Int
        /// The request timeout in seconds, when the script sets one (verified: `--timeout` default).
        public var timeout: Double?

        public init(body: [String: String], reads: Int, timeout: Double?) {
            self.body = body; self.reads = reads; self.timeout = timeout
        }
    }

    /// The SHA-256 of each extracted part, as the manifest records them.
    public var partHashes: [String: String] {
        ["system": SHA256.hex(system), "template": SHA256.hex(template), "settings": SHA256.hex(WiseJSON.encode(settings))]
    }

    /// Takes the request out of an official script's text.
    ///
    /// The rule (`wise-extract-1`), applied to the script as UTF-8 text with its line ends read as
    /// Python reads source (`\r\n` and `\r` as `\n`):
    /// - **system**: after the first `"role": "system"`, the first `"text": "…"` string literal;
    ///   it must hold no backslash (no escapes to interpret).
    /// - **template**: after the first `"role": "user"`, the first `"text": f"""…"""` literal.
    ///   Its replacement fields `{prompt_data['Prompt']}` and `{prompt_data['Explanation']}`
    ///   become `{prompt}` and `{explanation}`, `{{` and `}}` become `{` and `}`; any other field,
    ///   brace or backslash fails the extraction.
    /// - **settings**: the literal members of the request — the `payload = {…}` dict (verified) or
    ///   the keyword arguments of `openai.ChatCompletion.create(…)` (legacy) — other than `model`
    ///   and `messages`, each a Python literal (number, `True`/`False`/`None`, string, or a dict of
    ///   those) turned into JSON; `MAX_EXTRACT_RETRIES = N` as the number of reads; the `default=`
    ///   of the `--timeout` argument, when there is one.
    /// Throws `DataError` naming the script and the part that could not be found.
    public static func extract(from text: String, scoringProtocol: ScoringProtocol, source: String, scriptSHA256: String) throws -> OfficialEvaluator {
        var scanner = ScriptText(text, source: source)
        let system = try scanner.plainString(after: "\"role\": \"system\"", key: "\"text\": \"")
        let template = try scanner.templateString(after: "\"role\": \"user\"", key: "\"text\": f\"\"\"")
        let body: [String: String]
        switch scoringProtocol {
        case .verified: body = try scanner.literalMembers(opening: "payload = {", closing: "}", separator: ":")
        case .legacy: body = try scanner.literalMembers(opening: "openai.ChatCompletion.create(", closing: ")", separator: "=")
        }
        let reads = try scanner.integerAssignment("MAX_EXTRACT_RETRIES = ")
        let timeout = scanner.argumentDefault(flag: "\"--timeout\"")
        return OfficialEvaluator(scoringProtocol: scoringProtocol, system: system, template: template,
                                 settings: Settings(body: body, reads: reads, timeout: timeout),
                                 scriptSHA256: scriptSHA256, source: source)
    }

    /// Reads, checks and extracts the evaluator of a protocol: the script's SHA-256 and each part's
    /// against the manifest. Throws `DataError` on any mismatch and `FileError` when the script is absent.
    public static func load(_ entry: CatalogueManifest.EvaluatorEntry, from url: URL) throws -> OfficialEvaluator {
        let data = try readUserFile(url.path, noun: "official evaluator \(entry.path)", expected: "a Python script",
                                    missingHint: "; run `wise catalogue fetch` (or `wise catalogue fetch --from DIR`), or set WISE_DATA to a folder holding \(entry.path)")
        return try verify(data, entry: entry, label: url.path)
    }

    /// Checks a script's bytes and its extracted parts against a manifest entry.
    public static func verify(_ data: Data, entry: CatalogueManifest.EvaluatorEntry, label: String) throws -> OfficialEvaluator {
        let actual = SHA256.hex(data)
        guard actual == entry.sha256 else {
            throw DataError("official evaluator \(label): SHA-256 is \(actual), expected \(entry.sha256); fetch it again with `wise catalogue fetch`")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError("official evaluator \(label) is not UTF-8 text")
        }
        let evaluator = try extract(from: text, scoringProtocol: entry.scoringProtocol, source: entry.source, scriptSHA256: actual)
        for (part, expected) in entry.extracted.sorted(by: { $0.key < $1.key }) {
            let got = evaluator.partHashes[part]
            guard got == expected else {
                throw DataError("official evaluator \(label): the extracted \(part) has SHA-256 \(got ?? "none"), the manifest pins \(expected); the extraction rule \(rule) no longer fits this script")
            }
        }
        guard Set(entry.extracted.keys) == Set(evaluator.partHashes.keys) else {
            throw DataError("catalogue manifest: evaluator \(entry.path) must pin the SHA-256 of system, template and settings")
        }
        return evaluator
    }
}

/// A cursor over an evaluator script that finds the literals the extraction rule names.
struct ScriptText {
    let scalars: [Unicode.Scalar]
    let source: String

    /// Line ends are read as Python reads source code: `\r\n` and a lone `\r` become `\n` (the
    /// official `gpt_eval.py` has CRLF line ends, and the strings Python builds from it have LF).
    init(_ text: String, source: String) {
        scalars = Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").unicodeScalars)
        self.source = source
    }

    func fail(_ what: String) -> DataError {
        DataError("official evaluator \(source): cannot find \(what) (extraction rule \(OfficialEvaluator.rule)); the script is not the pinned one")
    }

    /// The index just after the first occurrence of `needle` at or after `start`.
    func find(_ needle: String, from start: Int = 0) -> Int? {
        let n = Array(needle.unicodeScalars)
        guard !n.isEmpty, scalars.count >= n.count else { return nil }
        var i = start
        while i + n.count <= scalars.count {
            if scalars[i] == n[0] && Array(scalars[i..<(i + n.count)]) == n { return i + n.count }
            i += 1
        }
        return nil
    }

    func text(_ range: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[range])
        return String(s)
    }

    /// A `"…"` literal without escapes, after an anchor.
    mutating func plainString(after anchor: String, key: String) throws -> String {
        guard let a = find(anchor), let start = find(key, from: a) else { throw fail("\(anchor) … \(key)") }
        guard let close = scalars[start...].firstIndex(of: "\"") else { throw fail("the end of the system text") }
        let value = text(start..<close)
        guard !value.contains("\\") else { throw fail("a system text without escapes") }
        return value
    }

    /// An `f"""…"""` literal after an anchor, with its two replacement fields turned into placeholders.
    mutating func templateString(after anchor: String, key: String) throws -> String {
        guard let a = find(anchor), let start = find(key, from: a) else { throw fail("\(anchor) … \(key)") }
        guard let end = find("\"\"\"", from: start) else { throw fail("the end of the user text") }
        let body = Array(scalars[start..<(end - 3)])
        var out = String.UnicodeScalarView()
        let fields: [(String, String)] = [("{prompt_data['Prompt']}", "{prompt}"), ("{prompt_data['Explanation']}", "{explanation}")]
        var i = 0
        scan: while i < body.count {
            let c = body[i]
            if c == "\\" { throw fail("a user text without escapes") }
            if c == "{" {
                if i + 1 < body.count && body[i + 1] == "{" { out.append("{"); i += 2; continue }
                for (field, placeholder) in fields {
                    let f = Array(field.unicodeScalars)
                    if i + f.count <= body.count && Array(body[i..<(i + f.count)]) == f {
                        out.append(contentsOf: placeholder.unicodeScalars); i += f.count; continue scan
                    }
                }
                throw fail("only the Prompt and Explanation fields in the user text")
            }
            if c == "}" {
                if i + 1 < body.count && body[i + 1] == "}" { out.append("}"); i += 2; continue }
                throw fail("balanced braces in the user text")
            }
            out.append(c); i += 1
        }
        let template = String(out)
        guard template.contains("{prompt}") else { throw fail("the Prompt field in the user text") }
        return template
    }

    /// The literal members of a dict or call, as JSON texts by name; `model` and `messages` are skipped.
    func literalMembers(opening: String, closing: Unicode.Scalar, separator: Unicode.Scalar) throws -> [String: String] {
        guard let start = find(opening) else { throw fail(opening) }
        var members: [String: String] = [:]
        var i = start
        var parser = PythonLiteral(scalars: scalars)
        while true {
            i = parser.skipBlank(i)
            guard i < scalars.count else { throw fail("the end of \(opening)…") }
            if scalars[i] == closing { break }
            // A member: a "quoted" key (dict) or a bare name (keyword argument).
            let key: String
            if scalars[i] == "\"" {
                guard let (k, next) = parser.string(at: i) else { throw fail("a member name in \(opening)…") }
                key = k; i = next
            } else {
                var j = i
                while j < scalars.count, scalars[j].properties.isAlphabetic || scalars[j] == "_" { j += 1 }
                guard j > i else { throw fail("a member name in \(opening)…") }
                key = text(i..<j); i = j
            }
            i = parser.skipBlank(i)
            guard i < scalars.count, scalars[i] == separator else { throw fail("'\(separator)' after \(key)") }
            i = parser.skipBlank(i + 1)
            if key == "model" || key == "messages" {
                i = parser.skipExpression(i, closing: closing)
            } else {
                guard let (json, next) = parser.literal(at: i) else { throw fail("a literal value for \(key)") }
                members[key] = json; i = next
            }
            i = parser.skipBlank(i)
            if i < scalars.count, scalars[i] == "," { i += 1 }
        }
        guard !members.isEmpty else { throw fail("request settings in \(opening)…") }
        return members
    }

    /// The integer of a line `NAME = N`.
    func integerAssignment(_ prefix: String) throws -> Int {
        guard let start = find(prefix) else { throw fail(prefix + "N") }
        var j = start
        while j < scalars.count, ("0"..."9").contains(scalars[j]) { j += 1 }
        guard let value = Int(text(start..<j)), value > 0 else { throw fail(prefix + "N") }
        return value
    }

    /// The `default=` number of an argparse argument, when the script defines that argument.
    func argumentDefault(flag: String) -> Double? {
        guard let start = find(flag), let lineEnd = scalars[start...].firstIndex(of: "\n"),
              let d = find("default=", from: start), d < lineEnd else { return nil }
        var j = d
        while j < lineEnd, ("0"..."9").contains(scalars[j]) || scalars[j] == "." { j += 1 }
        return Double(text(d..<j))
    }
}

/// Reads the few Python literal forms a request's settings are written in, and writes them as JSON.
struct PythonLiteral {
    let scalars: [Unicode.Scalar]

    /// Skips spaces, newlines and `#` comments.
    func skipBlank(_ start: Int) -> Int {
        var i = start
        while i < scalars.count {
            if scalars[i] == "#" {
                while i < scalars.count, scalars[i] != "\n" { i += 1 }
            } else if scalars[i].properties.isWhitespace {
                i += 1
            } else {
                break
            }
        }
        return i
    }

    /// A `"…"` string without escapes.
    func string(at i: Int) -> (String, Int)? {
        guard i < scalars.count, scalars[i] == "\"", let close = scalars[(i + 1)...].firstIndex(of: "\"") else { return nil }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[(i + 1)..<close])
        let value = String(s)
        return value.contains("\\") ? nil : (value, close + 1)
    }

    /// A literal as JSON text: numbers as written, True/False/None, strings, dicts of these.
    func literal(at start: Int) -> (String, Int)? {
        guard start < scalars.count else { return nil }
        let c = scalars[start]
        if c == "\"" {
            guard let (s, next) = string(at: start) else { return nil }
            return (jsonString(s), next)
        }
        if c == "{" {
            var parts: [String] = []
            var i = skipBlank(start + 1)
            while i < scalars.count, scalars[i] != "}" {
                guard let (key, afterKey) = string(at: i) else { return nil }
                i = skipBlank(afterKey)
                guard i < scalars.count, scalars[i] == ":" else { return nil }
                guard let (value, afterValue) = literal(at: skipBlank(i + 1)) else { return nil }
                parts.append(jsonString(key) + ":" + value)
                i = skipBlank(afterValue)
                if i < scalars.count, scalars[i] == "," { i = skipBlank(i + 1) }
            }
            guard i < scalars.count else { return nil }
            return ("{" + parts.joined(separator: ",") + "}", i + 1)
        }
        for (word, json) in [("True", "true"), ("False", "false"), ("None", "null")] {
            let w = Array(word.unicodeScalars)
            if start + w.count <= scalars.count, Array(scalars[start..<(start + w.count)]) == w { return (json, start + w.count) }
        }
        var j = start
        if j < scalars.count, scalars[j] == "-" { j += 1 }
        while j < scalars.count, ("0"..."9").contains(scalars[j]) || scalars[j] == "." || scalars[j] == "e" || scalars[j] == "E" { j += 1 }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[start..<j])
        let number = String(s)
        return Double(number) == nil ? nil : (number, j)
    }

    /// Skips an expression up to the next top-level `,` or the closing character.
    func skipExpression(_ start: Int, closing: Unicode.Scalar) -> Int {
        var depth = 0
        var i = start
        while i < scalars.count {
            let c = scalars[i]
            if c == "\"" || c == "'" {
                i += 1
                while i < scalars.count, scalars[i] != c { i += 1 }
            } else if c == "(" || c == "[" || c == "{" {
                depth += 1
            } else if c == ")" || c == "]" || c == "}" {
                if depth == 0 { return i }
                depth -= 1
            } else if c == ",", depth == 0 {
                return i
            }
            i += 1
        }
        return i
    }
}
