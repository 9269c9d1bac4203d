import Foundation

/// One validated prompt set: exactly the ids 1…1000, each with its prompt, category and domain.
public struct Catalogue: Sendable {
    public let set: PromptSet
    public let entry: CatalogueManifest.SetEntry
    /// Prompts in id order.
    public let prompts: [Prompt]
    private let byID: [Int: Int]

    /// The number of prompts every WISE set holds.
    public static let promptCount = 1000

    init(set: PromptSet, entry: CatalogueManifest.SetEntry, prompts: [Prompt]) {
        self.set = set
        self.entry = entry
        self.prompts = prompts.sorted { $0.id < $1.id }
        self.byID = Dictionary(uniqueKeysWithValues: self.prompts.enumerated().map { ($1.id, $0) })
    }

    /// The prompt with an id, or nil.
    public func prompt(_ id: Int) -> Prompt? { byID[id].map { prompts[$0] } }

    /// The prompt with an id, or an error naming the set and the valid range.
    public func requirePrompt(_ id: Int) throws -> Prompt {
        guard let p = prompt(id) else {
            throw UsageError("prompt id \(id) is not in set \(set.rawValue): ids run 1…\(Catalogue.promptCount)")
        }
        return p
    }

    /// A hash over every prompt's id and text, which names this exact content.
    public var contentHash: String {
        SHA256.hex(prompts.map { "\($0.id)\u{1}\($0.textHash)" }.joined(separator: "\u{2}"))
    }

    /// Loads and validates a set from a directory laid out like `../shared/wise` (legacy/, verified/).
    public static func load(_ set: PromptSet, from directory: URL, manifest: CatalogueManifest) throws -> Catalogue {
        let entry = try manifest.entry(for: set)
        var files: [(CatalogueManifest.FileEntry, Data)] = []
        for file in entry.files {
            let url = directory.appendingPathComponent(file.path)
            let data = try readCatalogueFile(url, label: file.path)
            let actual = SHA256.hex(data)
            guard actual == file.sha256 else {
                throw DataError("catalogue \(url.path): SHA-256 is \(actual) but the manifest pins \(file.sha256); the file was changed or is from another commit — fetch it again with `wise catalogue fetch`")
            }
            files.append((file, data))
        }
        return try parse(set, entry: entry, files: files)
    }

    /// Parses and validates the files of a set that are already in memory.
    public static func parse(_ set: PromptSet, entry: CatalogueManifest.SetEntry,
                             files: [(CatalogueManifest.FileEntry, Data)]) throws -> Catalogue {
        var prompts: [Prompt] = []
        var seen: [Int: String] = [:]
        for (file, data) in files {
            let label = "catalogue \(file.path)"
            // Read as JSONValue, not a Decodable struct: each message names the wrong value as written.
            let json: JSONValue
            do { json = try JSONValue.read(data) } catch let error as DataError {
                throw DataError("\(label): \(error.message); fetch it again with `wise catalogue fetch`")
            }
            guard case .array(let array) = json else {
                throw DataError("\(label): expected a JSON array of prompt objects")
            }
            for (index, object) in array.enumerated() {
                let at = "\(label): entry \(index + 1)"
                guard case .object = object else { throw DataError("\(at) is not a JSON object") }
                guard let rawID = object["prompt_id"] else { throw DataError("\(at) has no prompt_id") }
                guard let id = rawID.integer else {
                    throw DataError("\(at): prompt_id \(rawID.literal) is not an integer")
                }
                let where_ = "\(label): prompt_id \(id)"
                guard id >= 1 && id <= promptCount else { throw DataError("\(where_) is outside 1…\(promptCount)") }
                if file.ids.count == 2, !(file.ids[0]...file.ids[1]).contains(id) {
                    throw DataError("\(where_) is outside \(file.ids[0])…\(file.ids[1])")
                }
                guard let category = entry.category(of: id) else {
                    throw DataError("\(where_) lies in no category range of set \(set.rawValue)")
                }
                if let first = seen[id] { throw DataError("\(where_) appears twice (first in \(first))") }
                seen[id] = file.path
                func text(_ key: String, required: Bool) throws -> String {
                    let value = object[key]
                    if value == nil && !required { return "" }
                    guard let s = value?.string else {
                        throw DataError("\(where_): \(key) is \(value?.literal ?? "missing"), expected a string")
                    }
                    if required && s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        throw DataError("\(where_): \(key) is empty")
                    }
                    return s
                }
                prompts.append(Prompt(
                    set: set, id: id, category: category,
                    categoryLabel: try text("Category", required: false),
                    subcategory: try text("Subcategory", required: false),
                    domain: file.domain,
                    text: try text("Prompt", required: true),
                    explanation: try text("Explanation", required: true)))
            }
        }
        if prompts.count != promptCount {
            let missing = (1...promptCount).filter { seen[$0] == nil }
            let shown = missing.prefix(10).map(String.init).joined(separator: ", ")
            throw DataError("catalogue set \(set.rawValue): \(missing.count) prompt ids are missing (\(shown)\(missing.count > 10 ? ", …" : ""))")
        }
        return Catalogue(set: set, entry: entry, prompts: prompts)
    }
}

/// Reads a catalogue file, turning "missing" and "is a directory" into clear errors.
func readCatalogueFile(_ url: URL, label: String) throws -> Data {
    try readUserFile(url.path, noun: "catalogue file", expected: "the JSON file \(label)",
                     missingHint: "; run `wise catalogue fetch` or point WISE_DATA at a folder laid out like legacy/, verified/",
                     readFailure: .io)
}
