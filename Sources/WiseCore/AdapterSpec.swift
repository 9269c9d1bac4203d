import Foundation

/// What made a result: an adapter name and its parameters, recorded with every image and judgment.
///
/// Two specs are the same adapter configuration exactly when their canonical JSON is equal;
/// `key` is a short hash of it, used to find earlier results for the same configuration.
/// Secrets never belong in a spec: name the environment variable instead of its value.
public struct AdapterSpec: Codable, Sendable, Hashable {
    public let adapter: String
    public let parameters: [String: String]
    /// The spec as JSON with sorted keys, stable across runs.
    public let canonicalJSON: String
    /// A 16-hex-digit hash of the canonical JSON.
    public let key: String

    public init(adapter: String, parameters: [String: String] = [:]) {
        self.adapter = adapter
        self.parameters = parameters
        let fields = [("adapter", jsonString(adapter))] + parameters.keys.sorted().map { ($0, jsonString(parameters[$0]!)) }
        canonicalJSON = "{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        key = String(SHA256.hex(canonicalJSON).prefix(16))
    }

    enum CodingKeys: String, CodingKey { case adapter, parameters }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(adapter: try container.decode(String.self, forKey: .adapter),
                  parameters: try container.decodeIfPresent([String: String].self, forKey: .parameters) ?? [:])
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(adapter, forKey: .adapter)
        try container.encode(parameters, forKey: .parameters)
    }

    public static func == (a: AdapterSpec, b: AdapterSpec) -> Bool { a.canonicalJSON == b.canonicalJSON }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalJSON) }

    /// What a judge spec says in a report header: the adapter, model, rubric and reading, and
    /// whether its request is the official one (`openai Qwen3.5-35B-A3B · rubric official · reading official · official request`).
    public var judgeDescription: String {
        guard adapter == "openai", let model = parameters["model"] else {
            return adapter == "import" ? "scores imported from official score files (\(summary))" : summary
        }
        var parts = ["openai \(model)", "key \(key.prefix(8))"]
        if let rubric = parameters["rubric"] { parts.append("rubric \(rubric)") }
        if let reading = parameters["reading"] { parts.append("reading \(reading)") }
        switch parameters["official"] {
        case "yes": parts.append("official request")
        case let other?: parts.append("NOT the official request: " + other.dropFirst("no: ".count))
        case nil: parts.append("made before wise compared requests with the official one")
        }
        return parts.joined(separator: " · ")
    }

    /// A one-line human description: `folder(path=/data/run1)`.
    public var summary: String {
        parameters.isEmpty ? adapter : adapter + "(" + parameters.keys.sorted().map { "\($0)=\(parameters[$0]!)" }.joined(separator: ", ") + ")"
    }

    /// Parses the canonical JSON form back; a parameter that is not a string (never written by
    /// wise) comes back as its compact JSON text.
    public static func parse(_ json: String) -> AdapterSpec? {
        guard let object = try? JSONValue.read(json), case .object(let members) = object,
              let adapter = object["adapter"]?.string else { return nil }
        var parameters: [String: String] = [:]
        for (k, v) in members where k != "adapter" { parameters[k] = v.string ?? v.json }
        return AdapterSpec(adapter: adapter, parameters: parameters)
    }
}

/// A run's identity: what was asked of which generator, on which prompt set.
public struct RunSpec: Sendable, Equatable {
    public var name: String
    public var set: PromptSet
    public var scoringProtocol: ScoringProtocol
    public var generator: AdapterSpec
    /// The hash of the catalogue content the run was made from.
    public var catalogueHash: String

    public init(name: String, set: PromptSet, scoringProtocol: ScoringProtocol, generator: AdapterSpec, catalogueHash: String) {
        self.name = RunSpec.normalizedName(name); self.set = set; self.scoringProtocol = scoringProtocol
        self.generator = generator; self.catalogueHash = catalogueHash
    }

    /// A run name in Unicode NFC, so `café` typed precomposed or decomposed names the same run.
    public static func normalizedName(_ name: String) -> String { name.precomposedStringWithCanonicalMapping }

    /// A hash naming this exact configuration.
    public var fingerprint: String {
        SHA256.hex([set.rawValue, scoringProtocol.rawValue, generator.canonicalJSON, catalogueHash].joined(separator: "\u{1}"))
    }

    /// Checks a run name: 1–100 characters of letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    public static func validateName(_ name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !name.isEmpty, name.count <= 100, name.unicodeScalars.allSatisfy({ allowed.contains($0) }),
              let first = name.unicodeScalars.first, CharacterSet.alphanumerics.contains(first) else {
            throw UsageError("run name '\(name)' is not allowed: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }
}

/// One run as reports see it: its identity and its scores.
public struct RunSummary: Sendable, Equatable {
    public var name: String
    public var set: PromptSet
    public var scoringProtocol: ScoringProtocol
    public var generator: AdapterSpec
    /// The judge whose judgments were scored, if any.
    public var judge: AdapterSpec?
    public var score: WiScore
    /// Tokens the judge spent on this run, as the API reported them.
    public var usage: TokenUsage
    /// Judgments per model the server said answered (`model` or `model (system_fingerprint)`).
    public var servedModels: [String: Int] = [:]
    /// Items whose reply the official and strict readings read differently.
    public var parseSensitive = 0

    public init(name: String, set: PromptSet, scoringProtocol: ScoringProtocol, generator: AdapterSpec, judge: AdapterSpec?,
                score: WiScore, usage: TokenUsage = .zero) {
        self.name = name; self.set = set; self.scoringProtocol = scoringProtocol
        self.generator = generator; self.judge = judge; self.score = score; self.usage = usage
    }
}
