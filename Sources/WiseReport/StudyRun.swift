import Foundation
import WiseCore

/// One run as the studies see it: its summary, what became of every prompt, and its fingerprint.
public struct StudyRun: Sendable {
    public var summary: RunSummary
    /// The outcome of every prompt id of the set (absent ids count as missing).
    public var outcomes: [Int: ItemOutcome]
    /// The content hash of the catalogue the set was recorded from.
    public var catalogueHash: String

    public init(summary: RunSummary, outcomes: [Int: ItemOutcome], catalogueHash: String) {
        self.summary = summary; self.outcomes = outcomes; self.catalogueHash = catalogueHash
    }

    public var name: String { summary.name }
    public var fingerprint: RunFingerprint {
        RunFingerprint(set: summary.set, catalogueHash: catalogueHash, scoringProtocol: summary.scoringProtocol, judge: summary.judge)
    }

    /// The scored value of an item, or nil.
    public func value(_ id: Int) -> Double? {
        if case .scored(let v)? = outcomes[id] { return v }
        return nil
    }
}

/// What must be equal for two runs' numbers to be comparable on one board: the catalogue (set and
/// content hash), the protocol, and the judge's identity (model, request, rubric hash, reading).
///
/// An imported run's judge spec names its files and their content; those say where scores came
/// from, not who gave them, so they are left out of the identity (every import is "official score
/// files", judge unknown).
public struct RunFingerprint: Sendable, Hashable {
    public var set: PromptSet
    public var catalogueHash: String
    public var scoringProtocol: ScoringProtocol
    /// The judge spec without provenance, or nil for a run not judged yet.
    public var judgeIdentity: AdapterSpec?
    public var rubricSHA256: String?
    public var reading: String?

    public init(set: PromptSet, catalogueHash: String, scoringProtocol: ScoringProtocol, judge: AdapterSpec?) {
        self.set = set; self.catalogueHash = catalogueHash; self.scoringProtocol = scoringProtocol
        judgeIdentity = judge.map(Self.identity)
        rubricSHA256 = judge?.parameters["rubric_sha256"]
        reading = judge?.parameters["reading"]
    }

    /// Who gave a judge's verdicts: its spec, less an import's provenance (its files and their content).
    public static func identity(of judge: AdapterSpec) -> AdapterSpec {
        judge.adapter == "import"
            ? AdapterSpec(adapter: "import", parameters: judge.parameters.filter { !["content", "files"].contains($0.key) })
            : judge
    }

    /// A 12-hex-digit name for the fingerprint.
    public var key: String {
        String(SHA256.hex([set.rawValue, catalogueHash, scoringProtocol.rawValue, judgeIdentity?.canonicalJSON ?? "none"]
            .joined(separator: "\u{1}")).prefix(12))
    }

    /// What the fingerprint says, for a note.
    public var description: String {
        var parts = ["set \(set.rawValue)", "catalogue \(catalogueHash.prefix(12))", "protocol \(scoringProtocol.rawValue)"]
        if let judge = judgeIdentity {
            parts.append(judge.adapter == "import" ? "judge: imported score files" : "judge \(judge.adapter) \(judge.parameters["model"] ?? "") key \(judge.key.prefix(8))")
        } else {
            parts.append("not judged")
        }
        if let rubricSHA256 { parts.append("rubric \(rubricSHA256.prefix(12))") }
        if let reading { parts.append("reading \(reading)") }
        return parts.joined(separator: " · ")
    }

    var json: JSONValue {
        .object([("key", .string(key)), ("set", .string(set.rawValue)), ("catalogue_sha256", .string(catalogueHash)),
                 ("protocol", .string(scoringProtocol.rawValue)),
                 ("judge", judgeIdentity.map { .string($0.canonicalJSON) } ?? .null),
                 ("rubric_sha256", .str(rubricSHA256)), ("reading", .str(reading))])
    }
}

/// A run's score as far as it is known: over the scored items, and the best and worst it could be
/// if every unscored, failed, unjudged or missing item were scored at the protocol's maximum or at 0.
public struct Coverage: Sendable, Equatable {
    public struct Bounds: Sendable, Equatable {
        public var score: Double?
        public var worst: Double
        public var best: Double
        public var scored: Int
        public var total: Int
    }

    public var categories: [Category: Bounds]
    public var overall: Bounds
    /// What the official scripts (`calculate_verified.py` / `Calculate.py`, `--category all`) would say.
    public var official: OfficialVerdict

    /// Bounds from a run's outcomes; the largest item score is 1 under both protocols (legacy
    /// (0.7·2 + 0.2·2 + 0.1·2)/2, verified 1).
    public init(_ run: StudyRun, prompts: [Prompt]) {
        let p = run.summary.scoringProtocol
        var sums: [Category: Double] = [:], scored: [Category: Int] = [:], totals: [Category: Int] = [:]
        for prompt in prompts {
            totals[prompt.category, default: 0] += 1
            if let v = run.value(prompt.id) { sums[prompt.category, default: 0] += v; scored[prompt.category, default: 0] += 1 }
        }
        var categories: [Category: Bounds] = [:]
        var worst = 0.0, best = 0.0
        for category in Category.allCases {
            let n = totals[category] ?? 0, k = scored[category] ?? 0, sum = sums[category] ?? 0
            let w = n == 0 ? 0 : sum / Double(n), b = n == 0 ? 1 : (sum + Double(n - k)) / Double(n)
            categories[category] = Bounds(score: run.summary.score.categories[category]?.score, worst: w, best: b, scored: k, total: n)
            worst += p.weights[category]! * w
            best += p.weights[category]! * b
        }
        self.categories = categories
        overall = Bounds(score: run.summary.score.overall, worst: worst, best: best,
                         scored: run.summary.score.scoredCount, total: run.summary.score.totalCount)
        official = OfficialVerdict(run.summary)
    }

    var json: JSONValue {
        func bounds(_ b: Bounds) -> JSONValue {
            .object([("score", .num(b.score)), ("worst", .number(b.worst)), ("best", .number(b.best)), ("scored", .int(b.scored)), ("total", .int(b.total))])
        }
        return .object([("overall", bounds(overall)),
                        ("categories", .object(Category.allCases.map { ($0.rawValue, bounds(categories[$0]!)) })),
                        ("official", official.json)])
    }
}

/// Whether the official scripts would print an overall for a run.
///
/// With `--category all` (their default) both `calculate_verified.py` and legacy `Calculate.py`
/// abort when any prompt id 1…1000 has no line in the score files; the pinned evaluators
/// (`vllm_eval.py`, `gpt_eval.py`) write no line for an image whose reply they could not read,
/// so every unscored, failed, unjudged or missing item makes them abort. Imported score files are
/// the exception: a 999 line (older evaluators) is present, so it does not abort (verified skips
/// the line as outside {0, 1}; legacy `Calculate.py` would average 999 into its category, which
/// wise never does). Past that check both print no overall when a category has no scored sample.
public struct OfficialVerdict: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// The script prints an overall, and it equals wise's.
        case overall
        /// `--category all` aborts: some prompt ids have no line.
        case aborts
        /// The script prints category scores but no overall: a category has no scored sample.
        case noOverall = "no_overall"
    }
    public var outcome: Outcome
    /// Prompt ids without a line in the official score files.
    public var idsWithoutLine: Int
    /// Lines scored 999 (imported) that the official scripts would meet.
    public var lines999: Int
    public var reason: String

    init(_ summary: RunSummary) {
        let imported = summary.judge?.adapter == "import"
        var without = 0, marked = 0
        for c in summary.score.categories.values {
            without += c.missing + c.unjudged + c.unscored + (imported ? 0 : c.failed)
            if imported { marked += c.failed }
        }
        idsWithoutLine = without
        lines999 = marked
        let empty = Category.allCases.filter { (summary.score.categories[$0]?.scored ?? 0) == 0 }
        if without > 0 {
            outcome = .aborts
            reason = "the official script (--category all) aborts: \(without) prompt ids have no score line"
        } else if !empty.isEmpty {
            outcome = .noOverall
            reason = "the official script gives no overall: \(empty.map(\.rawValue).joined(separator: ", ")) has no scored item"
        } else {
            outcome = .overall
            reason = marked > 0 && summary.scoringProtocol == .legacy
                ? "the official Calculate.py would average \(marked) lines scored 999 into their categories; wise counts them as failed"
                : "the official script gives the same overall"
        }
    }

    var json: JSONValue {
        .object([("outcome", .string(outcome.rawValue)), ("ids_without_line", .int(idsWithoutLine)),
                 ("lines_999", .int(lines999)), ("reason", .string(reason))])
    }
}
