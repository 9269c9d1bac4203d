import Foundation

/// Reads and writes the score files of the official evaluators (gpt_eval.py, vllm_eval.py).
///
/// A scores file is JSON Lines, one object per image: `prompt_id`, `Subcategory`, and either
/// `consistency`, `realism`, `aesthetic_quality` (legacy) or `score` (verified). The official
/// evaluator writes 999 for an image it gave up on; wise reads that as a failed judgment.
/// A full-results file (`*_full_results.json`) is a JSON array whose objects carry `prompt_id`
/// and the judge's raw text in `evaluation`.
public enum ScoreFile {
    /// The value the official evaluator writes for a score it could not get.
    public static let failureMarker = 999.0
    /// The largest scores file read: 1000 lines take about 150 KB, so 64 MiB leaves room for anything real.
    public static let maxScoresBytes = 64 << 20
    /// The largest full-results file read (it holds every raw reply).
    public static let maxFullResultsBytes = 256 << 20

    /// One line of a scores file.
    public struct Record: Sendable, Equatable {
        public var promptID: Int
        public var subcategory: String?
        /// The aspect scores, or nil when the evaluator marked the item failed (999).
        public var scores: AspectScores?
        public var file: String
        public var line: Int
        /// The judge's raw reply, when a full-results file supplied it.
        public var rawReply: String?

        public init(promptID: Int, subcategory: String?, scores: AspectScores?, file: String, line: Int, rawReply: String? = nil) {
            self.promptID = promptID; self.subcategory = subcategory; self.scores = scores
            self.file = file; self.line = line; self.rawReply = rawReply
        }
    }

    /// Reads scores files and optional full-results files as one import, refusing the whole
    /// of it at the first problem (named as file:line).
    public static func read(_ files: [URL], scoringProtocol: ScoringProtocol, catalogue: Catalogue) throws -> [Record] {
        var records: [Record] = []
        var firstSeen: [Int: String] = [:]
        var replies: [Int: String] = [:]
        var sawScores = false
        for url in files {
            if url.pathExtension.lowercased() == "json" {
                let data = try readUserFile(url.path, noun: "", expected: "a full-results file (.json)", maxBytes: maxFullResultsBytes)
                for (id, text) in try parseFullResults(data, label: url.path) {
                    if replies[id] != nil { throw DataError("\(url.path): prompt_id \(id) appears twice in the full results") }
                    replies[id] = text
                }
                continue
            }
            sawScores = true
            try forEachLine(ofUserFile: url.path, noun: "", expected: "a scores file (.jsonl)", maxBytes: maxScoresBytes) { bytes, lineNumber in
                let at = "\(url.path):\(lineNumber)"
                guard let line = String(data: bytes, encoding: .utf8) else {
                    throw DataError("\(at): not UTF-8 text; expected JSON Lines from gpt_eval.py or vllm_eval.py")
                }
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { return }
                var record = try parseLine(trimmed, at: at, scoringProtocol: scoringProtocol, catalogue: catalogue)
                record.file = url.path
                record.line = lineNumber
                if let first = firstSeen[record.promptID] {
                    throw DataError("\(at): prompt_id \(record.promptID) appears again (first at \(first)); the official script would count it twice — remove one")
                }
                firstSeen[record.promptID] = at
                records.append(record)
            }
        }
        guard sawScores else {
            throw UsageError("no scores file given: pass the *.jsonl files that gpt_eval.py or vllm_eval.py wrote (full-results *.json files only add raw replies)")
        }
        for id in replies.keys where firstSeen[id] == nil {
            throw DataError("full results hold prompt_id \(id), which no scores file has; pass the matching scores file")
        }
        for i in records.indices { records[i].rawReply = replies[records[i].promptID] }
        return records.sorted { $0.promptID < $1.promptID }
    }

    /// A hash of what an import holds (ids, scores, raw replies), which tells a repeat import from a new one.
    public static func contentHash(_ records: [Record]) -> String {
        SHA256.hex(records.map { record -> String in
            let scores = record.scores.map { s in s.values.keys.sorted().map { "\($0)=\(s.values[$0]!)" }.joined(separator: ",") } ?? "failed"
            return "\(record.promptID):\(scores):\(record.rawReply ?? "")"
        }.joined(separator: "\n"))
    }

    static func parseLine(_ line: String, at: String, scoringProtocol: ScoringProtocol, catalogue: Catalogue) throws -> Record {
        // Read as JSONValue, not a Decodable struct: each message names the wrong value as written.
        let object: JSONValue
        do { object = try JSONValue.read(line) } catch {
            throw DataError("\(at): not valid JSON (\(line.prefix(60))…)")
        }
        guard case .object = object else { throw DataError("\(at): expected a JSON object per line") }
        guard let rawID = object["prompt_id"] else { throw DataError("\(at): no prompt_id") }
        guard let id = rawID.integer else { throw DataError("\(at): prompt_id \(rawID.literal) is not an integer") }
        guard let prompt = catalogue.prompt(id) else {
            throw DataError("\(at): prompt_id \(id) is outside 1…\(Catalogue.promptCount)")
        }
        var subcategory: String?
        if let raw = object["Subcategory"] {
            guard let s = raw.string else { throw DataError("\(at): Subcategory \(raw.literal) is not a string") }
            guard s == prompt.subcategory else {
                throw DataError("\(at): prompt_id \(id) has Subcategory \"\(s)\" but set \(catalogue.set.rawValue) says \"\(prompt.subcategory)\"; was this file made from another set? (check --set)")
            }
            subcategory = s
        }
        var values: [String: Double] = [:]
        var failed = false
        for aspect in scoringProtocol.aspects {
            guard let raw = object[aspect] else {
                let other = ScoringProtocol.allCases.first { $0 != scoringProtocol && $0.aspects.allSatisfy { object[$0] != nil } }
                let hint = other.map { "; it looks like a \($0.rawValue) file (--protocol \($0.rawValue))" } ?? ""
                throw DataError("\(at): no \(aspect) score\(hint)")
            }
            guard let value = raw.finiteNumber else { throw DataError("\(at): \(aspect) is \(raw.literal), expected a number") }
            if value == failureMarker { failed = true; continue }
            values[aspect] = value
        }
        var scores: AspectScores?
        if !failed {
            let s = AspectScores(values)
            if let problem = s.validate(for: scoringProtocol) { throw DataError("\(at): \(problem)") }
            scores = s
        }
        return Record(promptID: id, subcategory: subcategory, scores: scores, file: "", line: 0)
    }

    /// One entry of a full-results file; only the fields wise reads.
    private struct FullResult: Decodable {
        var promptID: Int?
        var evaluation: String?
        enum CodingKeys: String, CodingKey { case promptID = "prompt_id", evaluation }

        init(from decoder: Decoder) throws {
            // An entry that is not an object, or a field of the wrong type, reads as absent, so the message names the entry.
            let container = try? decoder.container(keyedBy: CodingKeys.self)
            promptID = try? container?.decodeIfPresent(Int.self, forKey: .promptID)
            evaluation = try? container?.decodeIfPresent(String.self, forKey: .evaluation)
        }
    }

    static func parseFullResults(_ data: Data, label: String) throws -> [(Int, String)] {
        guard let array = try? JSONDecoder().decode([FullResult].self, from: data) else {
            throw DataError("\(label): expected the JSON array that gpt_eval.py writes as full results")
        }
        return try array.enumerated().map { index, entry in
            guard let id = entry.promptID else {
                throw DataError("\(label): entry \(index + 1) has no integer prompt_id")
            }
            guard let text = entry.evaluation else {
                throw DataError("\(label): entry \(index + 1) (prompt_id \(id)) has no evaluation text")
            }
            return (id, text)
        }
    }

    /// One scored item to write back out in the official format.
    public struct ExportItem: Sendable {
        public var prompt: Prompt
        public var scores: AspectScores
        public var rawReply: String?
        public var imagePath: String?
        public init(prompt: Prompt, scores: AspectScores, rawReply: String?, imagePath: String?) {
            self.prompt = prompt; self.scores = scores; self.rawReply = rawReply; self.imagePath = imagePath
        }
    }

    /// Writes one `{domain}_scores_results.jsonl` and `{domain}_full_results.json` per domain.
    /// Returns the files written.
    public static func export(_ items: [ExportItem], scoringProtocol: ScoringProtocol, to directory: URL) throws -> [URL] {
        try exportFiles(items, scoringProtocol: scoringProtocol).map { name, data in
            let url = directory.appendingPathComponent(name)
            try writeAtomically(data, to: url)
            return url
        }
    }

    /// The files an export writes, by name (`{domain}_scores_results.jsonl`, `{domain}_full_results.json`), in order.
    public static func exportFiles(_ items: [ExportItem], scoringProtocol: ScoringProtocol) -> [(name: String, data: Data)] {
        let byDomain = Dictionary(grouping: items, by: \.prompt.domain)
        var files: [(name: String, data: Data)] = []
        for domain in byDomain.keys.sorted() {
            let rows = byDomain[domain]!.sorted { $0.prompt.id < $1.prompt.id }
            var jsonl = ""
            var full: [String] = []
            for item in rows {
                var fields = [("prompt_id", "\(item.prompt.id)"), ("Subcategory", jsonString(item.prompt.subcategory))]
                for aspect in scoringProtocol.aspects {
                    fields.append((aspect, pythonFloat(item.scores[aspect]!)))
                }
                jsonl += "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}\n"
                full.append("  {\n    \"prompt_id\": \(item.prompt.id),\n    \"prompt\": \(jsonString(item.prompt.text)),\n    \"key\": \(jsonString(item.prompt.explanation)),\n    \"image_path\": \(jsonString(item.imagePath ?? "")),\n    \"evaluation\": \(jsonString(item.rawReply ?? ""))\n  }")
            }
            files.append(("\(domain)_scores_results.jsonl", Data(jsonl.utf8)))
            files.append(("\(domain)_full_results.json", Data(("[\n" + full.joined(separator: ",\n") + "\n]\n").utf8)))
        }
        return files
    }
}

/// A JSON string literal, escaping as JSON requires and keeping other characters as they are.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A number as Python's json module writes a float (`2.0`, `0.5`).
func pythonFloat(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? "\(Int(v)).0" : "\(v)"
}
