/// What became of one prompt of a run, as far as scoring is concerned.
public enum ItemOutcome: Sendable, Equatable {
    /// Judged and scored; the WiScore of the item (the mean over repeats when there are several).
    case scored(Double)
    /// The judge answered but no score could be read from its reply.
    case unscored
    /// The judge could not be reached or gave up.
    case failed
    /// There is an image but no judgment yet.
    case unjudged
    /// There is no usable image for this prompt.
    case missing
}

/// The score of one category and what stands behind it.
public struct CategoryScore: Sendable, Equatable, Codable {
    /// The mean WiScore over the scored items, or nil when none is scored.
    public var score: Double?
    public var scored = 0
    public var unscored = 0
    public var failed = 0
    public var unjudged = 0
    public var missing = 0
    public init() {}

    /// How many prompts the category has.
    public var total: Int { scored + unscored + failed + unjudged + missing }
}

/// WiScore per category and overall, computed exactly as the official scripts do.
///
/// A category's score is the mean of its scored items (summed in id order, as the official
/// files list them); the overall is the weighted sum of the six category means, and exists only
/// when every category has at least one scored item.
public struct WiScore: Sendable, Equatable {
    public var scoringProtocol: ScoringProtocol
    public var categories: [Category: CategoryScore]
    public var overall: Double?

    /// Scores a run from the outcome of each prompt id; ids absent from `outcomes` count as missing.
    public init(scoringProtocol: ScoringProtocol, categoryOf: (Int) -> Category?, ids: [Int], outcomes: [Int: ItemOutcome]) {
        self.scoringProtocol = scoringProtocol
        var categories = Dictionary(uniqueKeysWithValues: Category.allCases.map { ($0, CategoryScore()) })
        var sums = Dictionary(uniqueKeysWithValues: Category.allCases.map { ($0, 0.0) })
        for id in ids.sorted() {
            guard let category = categoryOf(id) else { continue }
            switch outcomes[id] ?? .missing {
            case .scored(let value):
                sums[category]! += value
                categories[category]!.scored += 1
            case .unscored: categories[category]!.unscored += 1
            case .failed: categories[category]!.failed += 1
            case .unjudged: categories[category]!.unjudged += 1
            case .missing: categories[category]!.missing += 1
            }
        }
        var means: [Category: Double] = [:]
        for category in Category.allCases where categories[category]!.scored > 0 {
            let mean = sums[category]! / Double(categories[category]!.scored)
            categories[category]!.score = mean
            means[category] = mean
        }
        self.categories = categories
        self.overall = scoringProtocol.overall(means)
    }

    /// How many of the prompts are scored.
    public var scoredCount: Int { categories.values.reduce(0) { $0 + $1.scored } }
    /// How many prompts the run covers in all.
    public var totalCount: Int { categories.values.reduce(0) { $0 + $1.total } }
}
