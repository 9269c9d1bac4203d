/// One of the official WISE prompt sets; a result means something only together with its set.
public enum PromptSet: String, CaseIterable, Codable, Sendable {
    case legacy
    case legacyRewrite = "legacy-rewrite"
    case verified

    /// The protocol a run of this set is judged with unless the user says otherwise.
    public var defaultProtocol: ScoringProtocol { self == .verified ? .verified : .legacy }

    /// Parses a set name, suggesting the closest one for a typo.
    public static func parse(_ text: String) throws -> PromptSet {
        if let set = PromptSet(rawValue: text.lowercased()) { return set }
        let names = allCases.map(\.rawValue)
        throw UsageError("unknown prompt set '\(text)'\(didYouMean(text, among: names)); the sets are \(names.joined(separator: ", "))")
    }
}
