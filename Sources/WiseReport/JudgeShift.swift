import Foundation
import WiseCore
import WiseStats

/// How a candidate judge's verdicts move against reference verdicts on the same images: what a
/// drift check (the same judge asked again) and a judge migration report (judge B against judge A) share.
///
/// A unit is one image (a run's prompt) with each side's first scored repeat. Units both sides
/// scored are *paired*; the others are only counted. Everything is candidate − reference.
/// - Agreement: per aspect, unweighted Cohen's κ over the protocol's full label range (0–2
///   legacy, 0/1 verified) and Krippendorff's α (ordinal for 0–2, nominal for 0/1); α at the
///   interval level on the WiScore. Percentile intervals from a seeded bootstrap over paired units.
/// - Shift: per category the mean WiScore difference, and overall the official weighted sum of
///   those means, with intervals from the paired stratified bootstrap (units resampled within
///   categories); the overall is nil when some category has no paired unit. The plain mean
///   difference over all paired units, with its interval, is given in any case.
/// - Flips: paired units where some aspect level differs (for verified, the 0/1 verdict).
public struct JudgeShift: Sendable {
    /// One image with the verdict of each side (nil where that side has none).
    public struct Unit: Sendable {
        public var run: String
        public var promptID: Int
        public var category: Category
        public var reference: StudyJudgment?
        public var candidate: StudyJudgment?
        public init(run: String, promptID: Int, category: Category, reference: StudyJudgment?, candidate: StudyJudgment?) {
            self.run = run; self.promptID = promptID; self.category = category
            self.reference = reference; self.candidate = candidate
        }

        /// Each side's first scored judgment of the item, if any.
        var scored: (reference: StudyJudgment, candidate: StudyJudgment)? {
            guard let r = reference, r.status == .ok, r.scores != nil, r.wiscore != nil,
                  let c = candidate, c.status == .ok, c.scores != nil, c.wiscore != nil else { return nil }
            return (r, c)
        }
    }

    /// A paired item whose verdict changed.
    public struct Flip: Sendable {
        public var run: String
        public var promptID: Int
        public var category: Category
        public var reference: AspectScores
        public var candidate: AspectScores
        public var referenceScore: Double
        public var candidateScore: Double
    }

    /// Agreement on one aspect, or on the WiScore (α only).
    public struct Aspect: Sendable {
        public var name: String
        public var kappa: ItemBootstrap.Interval?
        public var alphaLevel: KrippendorffAlpha.Level
        public var alpha: ItemBootstrap.Interval?
    }

    public let scoringProtocol: ScoringProtocol
    /// Units both sides scored.
    public let paired: Int
    /// Units only the reference, or only the candidate, scored.
    public let referenceOnly: Int
    public let candidateOnly: Int
    /// Per aspect in protocol order, then `wiscore`.
    public let aspects: [Aspect]
    /// The mean WiScore difference over every paired unit, unweighted.
    public let meanShift: ItemBootstrap.Interval?
    /// The weighted overall shift (nil unless every category has a paired unit) and per-category shifts.
    public let overallShift: ConfidenceInterval?
    public let categoryShifts: [Category: ConfidenceInterval]
    public let flips: [Flip]
    public let resamples: Int
    public let seed: UInt64

    public init(scoringProtocol p: ScoringProtocol, units: [Unit], resamples: Int = 10_000, seed: UInt64 = 1) throws {
        self.scoringProtocol = p
        self.resamples = resamples
        self.seed = seed
        let pairs = units.compactMap { unit in unit.scored.map { (unit, $0.reference, $0.candidate) } }
        paired = pairs.count
        referenceOnly = units.filter { $0.scored == nil && $0.reference?.status == .ok }.count
        candidateOnly = units.filter { $0.scored == nil && $0.candidate?.status == .ok }.count
        let bootstrap = ItemBootstrap(resamples: resamples, seed: seed)
        var aspects: [Aspect] = []
        let level: KrippendorffAlpha.Level = p == .verified ? .nominal : .ordinal
        for name in p.aspects {
            let a = pairs.map { Int(($0.1.scores?[name] ?? 0).rounded()) }
            let b = pairs.map { Int(($0.2.scores?[name] ?? 0).rounded()) }
            let kappa = try CohenKappa.interval(a, b, labels: Array(0...p.maxAspectValue), bootstrap: bootstrap)
            let alpha = try KrippendorffAlpha.interval([a.map(Optional.some), b.map(Optional.some)], level: level, bootstrap: bootstrap)
            aspects.append(Aspect(name: name, kappa: kappa, alphaLevel: level, alpha: alpha))
        }
        let before = pairs.map { $0.1.wiscore! }, after = pairs.map { $0.2.wiscore! }
        let wiscoreAlpha = try KrippendorffAlpha.interval([before.map(Optional.some), after.map(Optional.some)], level: .interval, bootstrap: bootstrap)
        aspects.append(Aspect(name: "wiscore", kappa: nil, alphaLevel: .interval, alpha: wiscoreAlpha))
        self.aspects = aspects
        meanShift = try bootstrap.mean(zip(before, after).map { $1 - $0 })

        // The paired stratified bootstrap over the categories that have paired units.
        let byCategory = Dictionary(grouping: pairs, by: { $0.0.category })
        let present = Category.allCases.filter { byCategory[$0] != nil }
        var categoryShifts: [Category: ConfidenceInterval] = [:]
        var overallShift: ConfidenceInterval?
        if !present.isEmpty, resamples > 0 {
            let board = try BootstrapBoard(strata: present.map { c in
                let rows = byCategory[c]!
                return BootstrapBoard.Stratum(name: c.rawValue, weight: p.weights[c]!,
                                              scores: [rows.map { $0.1.wiscore! }, rows.map { $0.2.wiscore! }])
            })
            let difference = try StratifiedBootstrap(resamples: resamples, seed: seed).pairedDifference(board, baseline: 0, candidate: 1)
            for (c, estimate) in zip(present, difference.perStratum) { categoryShifts[c] = estimate.difference }
            if present.count == Category.allCases.count { overallShift = difference.overall.difference }
        }
        self.categoryShifts = categoryShifts
        self.overallShift = overallShift
        flips = pairs.compactMap { unit, r, c in
            guard p.aspects.contains(where: { r.scores?[$0] != c.scores?[$0] }) else { return nil }
            return Flip(run: unit.run, promptID: unit.promptID, category: unit.category, reference: r.scores!, candidate: c.scores!,
                        referenceScore: r.wiscore!, candidateScore: c.wiscore!)
        }
    }

    /// The units of one run: every prompt either side judged, each side's first scored repeat
    /// (else its first judgment, which says why it is not scored).
    public static func units(run: String, prompts: [Prompt], reference: [StudyJudgment], candidate: [StudyJudgment]) -> [Unit] {
        func firsts(_ judgments: [StudyJudgment]) -> [Int: StudyJudgment] {
            var out: [Int: StudyJudgment] = [:]
            for j in judgments where out[j.promptID] == nil || (out[j.promptID]!.status != .ok && j.status == .ok) { out[j.promptID] = j }
            return out
        }
        let a = firsts(reference), b = firsts(candidate)
        return prompts.sorted { $0.id < $1.id }.compactMap { prompt in
            guard a[prompt.id] != nil || b[prompt.id] != nil else { return nil }
            return Unit(run: run, promptID: prompt.id, category: prompt.category, reference: a[prompt.id], candidate: b[prompt.id])
        }
    }

    /// The smallest κ over the aspects; nil when none is defined (both sides gave one and the same
    /// level to every paired image, which is full agreement).
    public var lowestKappa: Double? { aspects.compactMap { $0.kappa?.estimate }.min() }

    /// The shift a threshold is held against: the weighted overall when every category has a
    /// paired unit, else the plain mean over the paired units.
    public var headlineShift: Double? { overallShift?.estimate ?? meanShift?.estimate }

    /// One line: paired items, κ per aspect, the shift with its interval, flips.
    public func summaryLine(places: Int = 4) -> String {
        let kappas = aspects.filter { $0.name != "wiscore" }.map { "\($0.name) \(withInterval($0.kappa, 2))" }.joined(separator: ", ")
        let shift = overallShift.map { "overall shift \(signed($0.estimate, places)) \(formatInterval($0.lower, $0.upper, places))" }
            ?? "mean shift \(meanShift.map { "\(signed($0.estimate, places)) \(formatInterval($0.lower, $0.upper, places))" } ?? "—") (unweighted: some category has no paired item)"
        return "\(paired) items paired; κ \(kappas); \(shift); \(flips.count) of \(paired) verdicts flipped"
    }

    /// Agreement and shift as a text block: a table per aspect, then the shifts by category.
    public func renderTerminal(places: Int = 4) -> String {
        var out = "items paired: \(paired)" + (referenceOnly + candidateOnly > 0 ? " (scored by one side only: \(referenceOnly) before, \(candidateOnly) after)" : "") + "\n"
        out += textTable(["Aspect", "κ", "95% CI", "α", "95% CI"], aspects.map { a in
            [a.name, a.kappa.map { fixed($0.estimate, 3) } ?? "—", formatInterval(a.kappa?.lower, a.kappa?.upper, 3),
             a.alpha.map { fixed($0.estimate, 3) } ?? "—", formatInterval(a.alpha?.lower, a.alpha?.upper, 3)]
        })
        var rows = Category.allCases.map { c in
            [c.title, signed(categoryShifts[c]?.estimate, places), formatInterval(categoryShifts[c]?.lower, categoryShifts[c]?.upper, places)]
        }
        rows.append(["Overall (weighted)", signed(overallShift?.estimate, places), formatInterval(overallShift?.lower, overallShift?.upper, places)])
        rows.append(["Mean (unweighted)", signed(meanShift?.estimate, places), formatInterval(meanShift?.lower, meanShift?.upper, places)])
        out += "\n" + textTable(["Shift (after − before)", "Δ", "95% CI"], rows)
        return out
    }

    public var json: JSONValue {
        func ci(_ c: ConfidenceInterval?) -> JSONValue { c?.json ?? .null }
        return .object([
            ("paired", .int(paired)), ("reference_only", .int(referenceOnly)), ("candidate_only", .int(candidateOnly)),
            ("agreement", .array(aspects.map { a in
                .object([("aspect", .string(a.name)), ("kappa", intervalJSON(a.kappa)),
                         ("alpha_level", .string(a.alphaLevel.rawValue)), ("alpha", intervalJSON(a.alpha))])
            })),
            ("shift", .object([("overall", ci(overallShift)), ("mean", intervalJSON(meanShift)),
                               ("categories", .object(Category.allCases.map { ($0.rawValue, ci(categoryShifts[$0])) }))])),
            ("flips", .array(flips.map { f in
                .object([("run", .string(f.run)), ("prompt_id", .int(f.promptID)), ("category", .string(f.category.rawValue)),
                         ("before", .object(scoringProtocol.aspects.map { ($0, .num(f.reference[$0])) })),
                         ("after", .object(scoringProtocol.aspects.map { ($0, .num(f.candidate[$0])) })),
                         ("score_before", .number(f.referenceScore)), ("score_after", .number(f.candidateScore))])
            })),
            ("resamples", .int(resamples)), ("seed", .int(Int(truncatingIfNeeded: seed))),
        ])
    }
}
