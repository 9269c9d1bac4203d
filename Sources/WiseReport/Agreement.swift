import Foundation
import WiseCore
import WiseStats

/// How far two or more judges agree on the same images, and whether one favours its own family.
///
/// Each judge's first scored repeat of an image counts. Per aspect (legacy consistency, realism,
/// aesthetic quality on 0–2; verified score on 0–1) and on the WiScore: Krippendorff's α across
/// all judges, images as units and judges as raters, with missing ratings (an image one judge did
/// not score still counts among the others; images with fewer than two ratings drop out), ordinal
/// for 0–2, nominal for binary, interval for the WiScore. Per pair of judges and aspect: Cohen's κ
/// unweighted and quadratic-weighted over the protocol's full label range and the confusion matrix
/// (rows: the pair's first judge), on the images both scored. α and κ carry seeded bootstrap
/// intervals over images. With several runs, Kendall's τ-b between two judges' overall scores of
/// the runs, per pair; with fewer than `fewRuns` runs its p-value means little and says so.
/// Self-preference: for a judge whose family matches some runs' generator family, its mean WiScore
/// on its own family's images minus on the other families' images, against the same gap from the
/// other judges (their mean) on the same images, with a bootstrap interval over those images; a
/// positive excess suggests favouritism.
public struct AgreementStudy: Sendable {
    /// Below this many runs, Kendall's τ's p-value is printed with a caveat.
    public static let fewRuns = 10

    /// One run judged by every judge: `runs[j]` is the run as judge j scores it.
    public struct JudgedRun: Sendable {
        public var runs: [StudyRun]
        public var judgments: [[StudyJudgment]]
        public var generatorFamily: String?
        public init(runs: [StudyRun], judgments: [[StudyJudgment]], generatorFamily: String?) {
            self.runs = runs; self.judgments = judgments; self.generatorFamily = generatorFamily
        }
        public var name: String { runs.first?.name ?? "" }
    }

    /// Cohen's κ of one pair of judges on one aspect.
    public struct PairMeasure: Sendable {
        /// Indices into `judges`.
        public var first: Int
        public var second: Int
        public var items: Int
        public var kappa: CohenKappa.Result?
        public var kappaInterval: ItemBootstrap.Interval?
        public var quadraticKappa: ItemBootstrap.Interval?
    }

    /// Agreement on one aspect (or the WiScore): α across all judges and κ per pair.
    public struct Measure: Sendable {
        public var name: String
        /// Images scored by at least two judges.
        public var items: Int
        public var alphaLevel: KrippendorffAlpha.Level
        public var alpha: ItemBootstrap.Interval?
        public var pairs: [PairMeasure]
    }

    /// Kendall's τ-b between two judges' overalls of the runs.
    public struct RankAgreement: Sendable {
        public var first: Int
        public var second: Int
        public var runs: Int
        public var tau: KendallTau.Result?
        public var problem: String?
        /// Why the p-value means little, with few runs.
        public var caveat: String?
    }

    public struct SelfPreference: Sendable {
        public var judge: String
        public var family: String
        public var ownItems: Int
        public var otherItems: Int
        /// The judge's own gap (own − other families) and the other judges' mean gap on the same images.
        public var gap: Double
        public var otherJudgeGap: Double
        public var excess: Double { gap - otherJudgeGap }
        /// The excess with its bootstrap interval over the images.
        public var excessInterval: ItemBootstrap.Interval?
    }

    public let judges: [AdapterSpec]
    public let runs: [JudgedRun]
    public let measures: [Measure]
    public let ranks: [RankAgreement]
    public let selfPreference: [SelfPreference]
    public let bootstrap: ItemBootstrap
    public let notes: [String]

    /// `families[j]`: judge j's model family, if known.
    public init(judges: [AdapterSpec], families: [String?], runs: [JudgedRun], bootstrap: ItemBootstrap = ItemBootstrap()) throws {
        guard let p = runs.first?.runs.first?.summary.scoringProtocol else { throw UsageError("name at least one run") }
        guard judges.count >= 2, runs.allSatisfy({ $0.runs.count == judges.count && $0.judgments.count == judges.count }) else {
            throw UsageError("name two or more judges, each with the run's judgments")
        }
        let k = judges.count
        var notes: [String] = []
        // Units: (run, prompt id) with each judge's first scored repeat, nil where a judge has none.
        var units: [(run: Int, id: Int, by: [StudyJudgment?])] = []
        for (r, run) in runs.enumerated() {
            let firsts = run.judgments.map { judgments -> [Int: StudyJudgment] in
                var first: [Int: StudyJudgment] = [:]
                for j in judgments where j.status == .ok && first[j.promptID] == nil { first[j.promptID] = j }
                return first
            }
            for id in Set(firsts.flatMap(\.keys)).sorted() { units.append((r, id, firsts.map { $0[id] })) }
        }
        // Per measure the ratings[judge][unit]; α of all of them from the same draws of units.
        let labels = Array(0...p.maxAspectValue)
        var tables: [(name: String, level: KrippendorffAlpha.Level, grid: [[Double?]])] = p.aspects.map { aspect in
            (aspect, p == .verified ? .nominal : .ordinal, (0..<k).map { j in units.map { $0.by[j]?.scores?[aspect] } })
        }
        tables.append(("wiscore", .interval, (0..<k).map { j in units.map { $0.by[j]?.wiscore } }))
        let alphas = try KrippendorffAlpha.intervals(tables.map(\.grid), levels: tables.map(\.level), bootstrap: bootstrap)
        var measures: [Measure] = []
        for (t, alpha) in zip(tables, alphas) {
            let rated = (0..<units.count).filter { u in t.grid.filter { $0[u] != nil }.count >= 2 }.count
            var m = Measure(name: t.name, items: rated, alphaLevel: t.level, alpha: alpha, pairs: [])
            // κ on the aspects' levels, per pair of judges, on the images both scored.
            if t.name != "wiscore" {
                for a in 0..<k {
                    for b in (a + 1)..<k {
                        let rows = zip(t.grid[a], t.grid[b]).compactMap { x, y -> (Int, Int)? in
                            guard let x, let y else { return nil }
                            return (Int(x.rounded()), Int(y.rounded()))
                        }
                        var pair = PairMeasure(first: a, second: b, items: rows.count)
                        if !rows.isEmpty {
                            pair.kappa = try CohenKappa.kappa(rows.map(\.0), rows.map(\.1), labels: labels)
                            let both = try CohenKappa.intervals(rows.map(\.0), rows.map(\.1), weightings: [.unweighted, .quadratic],
                                                                labels: labels, bootstrap: bootstrap)
                            pair.kappaInterval = both[0]
                            pair.quadraticKappa = both[1]
                        }
                        m.pairs.append(pair)
                    }
                }
            }
            measures.append(m)
        }
        // Kendall's τ-b over the runs' overalls, per pair of judges.
        var ranks: [RankAgreement] = []
        for a in 0..<k {
            for b in (a + 1)..<k {
                let overalls = runs.compactMap { run -> (Double, Double)? in
                    guard let x = run.runs[a].summary.score.overall, let y = run.runs[b].summary.score.overall else { return nil }
                    return (x, y)
                }
                var rank = RankAgreement(first: a, second: b, runs: overalls.count)
                if overalls.count >= 2 {
                    rank.tau = try KendallTau.tauB(overalls.map(\.0), overalls.map(\.1))
                    if rank.tau?.tau == nil { rank.problem = "undefined: one judge gives every run the same overall" }
                    if overalls.count < Self.fewRuns {
                        rank.caveat = "over \(overalls.count) runs the p-value means little: τ can take only \(overalls.count * (overalls.count - 1) / 2 + 1) values, so read τ as a description of these runs, not as a test (\(Self.fewRuns) or more runs for a p-value worth reading)"
                    }
                } else {
                    rank.problem = runs.count < 2 ? "needs two or more runs (wise agreement RUN1 RUN2 … --judges A,B)" : "needs two or more runs with an overall under both judges"
                }
                ranks.append(rank)
            }
        }
        // Self-preference, where a judge's family and some generators' families are known.
        var preferences: [SelfPreference] = []
        if runs.allSatisfy({ $0.generatorFamily == nil }) {
            notes.append("self-preference check: needs each run's generator family (the generator spec parameter `family`, from the model registry); none of these runs has one")
        } else if families.allSatisfy({ $0 == nil }) {
            notes.append("self-preference check: needs the judges' families (--judge-family A=FAMILY, or a `family` parameter in the judge spec)")
        }
        // Images every judge scored: the judge's WiScore, then the other judges' mean.
        let everyJudge = units.compactMap { u -> (run: Int, mine: [Double])? in
            let values = u.by.compactMap { $0?.wiscore }
            return values.count == k ? (u.run, values) : nil
        }
        for (j, family) in families.enumerated() {
            guard let family else { continue }
            let scored = everyJudge.compactMap { u -> (own: Bool, judge: Double, others: Double)? in
                guard let generator = runs[u.run].generatorFamily else { return nil }
                let others = u.mine.enumerated().filter { $0.offset != j }.map(\.element)
                return (generator == family, u.mine[j], others.reduce(0, +) / Double(others.count))
            }
            let ownItems = scored.filter(\.own).count, otherItems = scored.count - ownItems
            guard ownItems > 0, otherItems > 0 else {
                notes.append("self-preference of \(judges[j].summary): needs images of its own family (\(family)) and of other families, judged by every judge")
                continue
            }
            // The excess for images drawn `counts` times: (own − other) for this judge minus for the others.
            let excess = { (counts: [Int]) throws(StatsError) -> Double? in
                var sums = [0.0, 0.0, 0.0, 0.0], n = [0, 0]
                for (x, c) in zip(scored, counts) where c > 0 {
                    let g = x.own ? 0 : 1
                    sums[g] += Double(c) * x.judge
                    sums[2 + g] += Double(c) * x.others
                    n[g] += c
                }
                guard n[0] > 0, n[1] > 0 else { return nil }
                return (sums[0] / Double(n[0]) - sums[1] / Double(n[1])) - (sums[2] / Double(n[0]) - sums[3] / Double(n[1]))
            }
            let own = scored.filter(\.own), other = scored.filter { !$0.own }
            func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
            preferences.append(SelfPreference(judge: judges[j].key, family: family, ownItems: ownItems, otherItems: otherItems,
                                              gap: mean(own.map(\.judge)) - mean(other.map(\.judge)),
                                              otherJudgeGap: mean(own.map(\.others)) - mean(other.map(\.others)),
                                              excessInterval: try bootstrap.interval(items: scored.count, excess)))
        }
        self.judges = judges
        self.runs = runs
        self.measures = measures
        self.ranks = ranks
        self.selfPreference = preferences
        self.bootstrap = bootstrap
        self.notes = notes
    }

    /// The letter that names judge `index` in the tables: A, B, C, …
    static func letter(_ index: Int) -> String {
        index < 26 ? String(UnicodeScalar(UInt8(65 + index))) : "J\(index + 1)"
    }

    func pairName(_ a: Int, _ b: Int) -> String { "\(Self.letter(a))–\(Self.letter(b))" }

    public func renderTerminal() -> String {
        var out = "Agreement between \(judges.count) judges over \(runs.count) run\(runs.count == 1 ? "" : "s"):\n"
        for (i, judge) in judges.enumerated() { out += "  \(Self.letter(i)) = \(judge.judgeDescription)\n" }
        out += "Krippendorff α across all judges (images as units, judges as raters, missing ratings allowed):\n"
        out += textTable(["Measure", "Images", "α", "95% CI", "α level"], measures.map { m in
            [m.name, "\(m.items)", fixed(m.alpha?.estimate, 4), formatInterval(m.alpha?.lower, m.alpha?.upper, 4), m.alphaLevel.rawValue]
        })
        out += "Cohen's κ per pair of judges (images both scored):\n"
        out += textTable(["Measure", "Judges", "Images", "κ", "95% CI", "κ quadratic", "95% CI"], measures.flatMap { m in
            m.pairs.map { q in
                [m.name, pairName(q.first, q.second), "\(q.items)", fixed(q.kappa?.kappa, 4), formatInterval(q.kappaInterval?.lower, q.kappaInterval?.upper, 4),
                 fixed(q.quadraticKappa?.estimate, 4), formatInterval(q.quadraticKappa?.lower, q.quadraticKappa?.upper, 4)]
            }
        })
        out += "95% CI: bootstrap over images (\(bootstrap.resamples) resamples, seed \(bootstrap.seed)); — where undefined\n"
        for m in measures {
            for q in m.pairs {
                guard let c = q.kappa else { continue }
                out += "confusion · \(m.name) · \(pairName(q.first, q.second)) (rows \(Self.letter(q.first)), columns \(Self.letter(q.second)); labels \(c.labels.map(String.init).joined(separator: ", "))):\n"
                for (i, row) in c.confusion.enumerated() { out += "  \(c.labels[i]): " + row.map { String(format: "%6d", $0) }.joined() + "\n" }
            }
        }
        for r in ranks {
            out += "Kendall τ-b between \(pairName(r.first, r.second))'s rankings of the runs: "
            if let tau = r.tau, let t = tau.tau {
                out += "\(fixed(t, 4)) (p \(formatP(tau.pValue)), \(tau.exact ? "exact" : "normal approximation"), \(r.runs) runs)\n"
            } else {
                out += "\(r.problem ?? "undefined")\n"
            }
            if let caveat = r.caveat { out += "  \(caveat)\n" }
        }
        for s in selfPreference {
            out += "self-preference of \(s.judge.prefix(8)) (family \(s.family)): own − other families \(signed(s.gap, 4)) against \(signed(s.otherJudgeGap, 4)) from the other judge\(judges.count > 2 ? "s (their mean)" : ""); excess \(signed(s.excess, 4)) \(formatInterval(s.excessInterval?.lower, s.excessInterval?.upper, 4)) (\(s.ownItems) own, \(s.otherItems) other images)\n"
        }
        for note in notes { out += note + "\n" }
        return out
    }

    public func renderJSON() -> String {
        JSONValue.object([
            ("judges", .array(judges.map { .string($0.canonicalJSON) })),
            ("bootstrap", .object([("resamples", .int(bootstrap.resamples)), ("seed", .string(String(bootstrap.seed))), ("confidence", .number(bootstrap.confidence))])),
            ("runs", .array(runs.map { run in
                .object([("name", .string(run.name)), ("generator_family", .str(run.generatorFamily)),
                         ("overall", .array(run.runs.map { .num($0.summary.score.overall) }))])
            })),
            ("measures", .array(measures.map { m in
                .object([("measure", .string(m.name)), ("items", .int(m.items)), ("alpha", .num(m.alpha?.estimate)),
                         ("alpha_interval", intervalJSON(m.alpha)), ("alpha_level", .string(m.alphaLevel.rawValue)),
                         ("pairs", .array(m.pairs.map { q in
                             .object([("judges", .array([.int(q.first), .int(q.second)])), ("items", .int(q.items)),
                                      ("kappa", .num(q.kappa?.kappa)), ("kappa_interval", intervalJSON(q.kappaInterval)),
                                      ("kappa_quadratic", .num(q.quadraticKappa?.estimate)), ("kappa_quadratic_interval", intervalJSON(q.quadraticKappa)),
                                      ("labels", q.kappa.map { .array($0.labels.map(JSONValue.int)) } ?? .null),
                                      ("confusion", q.kappa.map { .array($0.confusion.map { .array($0.map(JSONValue.int)) }) } ?? .null)])
                         }))])
            })),
            ("kendall_tau_b", .array(ranks.map { r in
                .object([("judges", .array([.int(r.first), .int(r.second)])), ("runs", .int(r.runs)),
                         ("tau", .num(r.tau?.tau)), ("p", .num(r.tau?.pValue)), ("exact", r.tau.map { .bool($0.exact) } ?? .null),
                         ("problem", .str(r.problem)), ("caveat", .str(r.caveat))])
            })),
            ("self_preference", .array(selfPreference.map { s in
                .object([("judge", .string(s.judge)), ("family", .string(s.family)), ("own_items", .int(s.ownItems)), ("other_items", .int(s.otherItems)),
                         ("gap", .number(s.gap)), ("other_judge_gap", .number(s.otherJudgeGap)), ("excess", .number(s.excess)),
                         ("excess_interval", intervalJSON(s.excessInterval))])
            })),
            ("notes", .array(notes.map(JSONValue.string))),
        ]).rendered() + "\n"
    }
}
