import Foundation

/// The legacy↔verified crosswalk: which legacy prompt each verified prompt is, matched by content
/// (normalised prompt text, else normalised explanation), never by id.
///
/// WISE_Verified kept ids 1…1000 but moved, rewrote and replaced prompts, so the same id names
/// different prompts from 401 on. Matching is one to one: exact text first (the same id preferred),
/// then explanation, each legacy prompt used at most once.
public struct Crosswalk: Sendable {
    /// How a pair was matched.
    public enum Basis: String, Sendable, Equatable, CaseIterable {
        /// The normalised prompt texts are equal.
        case text
        /// The texts differ but the normalised explanations are equal.
        case explanation
    }

    /// One matched pair.
    public struct Pair: Sendable, Equatable {
        public var legacyID: Int
        public var verifiedID: Int
        public var basis: Basis
        /// The raw prompt texts are equal byte for byte.
        public var identicalText: Bool
    }

    public let pairs: [Pair]
    public let legacyCount: Int
    public let verifiedCount: Int

    /// Matches the prompts of a legacy set with those of a verified set.
    public init(legacy: [Prompt], verified: [Prompt]) {
        legacyCount = legacy.count; verifiedCount = verified.count
        var free = Set(legacy.map(\.id))
        var pairs: [Pair] = []
        var unmatched = verified.sorted { $0.id < $1.id }
        let legacyByID = Dictionary(legacy.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for basis in Basis.allCases {
            let key: (Prompt) -> String = basis == .text ? { Self.normalise($0.text) } : { Self.normalise($0.explanation) }
            var index: [String: [Int]] = [:]
            for prompt in legacy.sorted(by: { $0.id < $1.id }) where free.contains(prompt.id) {
                let k = key(prompt)
                if !k.isEmpty { index[k, default: []].append(prompt.id) }
            }
            var left: [Prompt] = []
            for prompt in unmatched {
                let candidates = (index[key(prompt)] ?? []).filter { free.contains($0) }
                guard let chosen = candidates.first(where: { $0 == prompt.id }) ?? candidates.first else {
                    left.append(prompt)
                    continue
                }
                free.remove(chosen)
                pairs.append(Pair(legacyID: chosen, verifiedID: prompt.id, basis: basis,
                                  identicalText: legacyByID[chosen]?.text == prompt.text))
            }
            unmatched = left
        }
        self.pairs = pairs.sorted { $0.verifiedID < $1.verifiedID }
    }

    /// Lowercase letters and digits of a text, each run of anything else one space.
    public static func normalise(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out
    }

    /// The legacy id matched to a verified id, or nil.
    public func legacyID(forVerified id: Int) -> Int? { pairs.first { $0.verifiedID == id }?.legacyID }

    /// The counts that describe the crosswalk.
    public struct Counts: Sendable, Equatable {
        /// Verified prompts whose raw text equals the legacy prompt of the same id.
        public var identicalAtSameID = 0
        /// Matched by normalised text, at the same id / at another id.
        public var textSameID = 0, textMovedID = 0
        /// Matched by explanation only (the prompt text was changed), at the same id / at another id.
        public var explanationSameID = 0, explanationMovedID = 0
        /// Verified prompts with no legacy counterpart.
        public var unmatched = 0
        /// Matched pairs whose raw texts differ (including those matched by explanation).
        public var changedText = 0
    }

    public var counts: Counts {
        var c = Counts()
        for pair in pairs {
            let same = pair.legacyID == pair.verifiedID
            switch pair.basis {
            case .text: if same { c.textSameID += 1 } else { c.textMovedID += 1 }
            case .explanation: if same { c.explanationSameID += 1 } else { c.explanationMovedID += 1 }
            }
            if pair.identicalText && same { c.identicalAtSameID += 1 }
            if !pair.identicalText { c.changedText += 1 }
        }
        c.unmatched = verifiedCount - pairs.count
        return c
    }

    /// The counts as text for people.
    public func render() -> String {
        let c = counts
        return """
            crosswalk legacy (\(legacyCount) prompts) ↔ verified (\(verifiedCount) prompts), matched by content
              same text (normalised):       \(c.textSameID + c.textMovedID)  (\(c.textSameID) at the same id, \(c.textMovedID) at another id)
              same explanation, text changed: \(c.explanationSameID + c.explanationMovedID)  (\(c.explanationSameID) at the same id, \(c.explanationMovedID) at another id)
              no legacy counterpart:        \(c.unmatched)
              matched in all:               \(pairs.count)
              identical text at the same id: \(c.identicalAtSameID); matched with a changed text (any byte): \(c.changedText)

            """
    }
}
