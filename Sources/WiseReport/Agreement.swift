import Foundation
import WiseCore
import WiseStats

/// How far two judges agree on the same images, and whether one favours its own family.
///
/// Items are paired when both judges scored them; each judge's first scored repeat counts. Per
/// aspect (legacy consistency, realism, aesthetic quality on 0–2; verified score on 0–1): Cohen's κ
/// unweighted and quadratic-weighted over the protocol's full label range, Krippendorff's α
/// (ordinal for 0–2, nominal for binary) and the confusion matrix (rows: the first judge); α
/// interval on the WiScore too. With several runs, Kendall's τ-b between the two judges' overall
/// scores of the runs. Self-preference: for a judge whose family matches some runs' generator
/// family, its mean WiScore on its own family's images minus on the other families' images, against
/// the same gap from the other judge on the same images; a positive excess suggests favouritism.
public struct AgreementStudy: Sendable {
    /// One run judged by both judges.
    public struct Pair: Sendable {
        public var first: StudyRun
        public var second: StudyRun
        public var firstJudgments: [StudyJudgment]
        public var secondJudgments: [StudyJudgment]
        public var generatorFamily: String?
        public init(first: StudyRun, second: StudyRun, firstJudgments: [StudyJudgment], secondJudgments: [StudyJudgment], generatorFamily: String?) {
            self.first = first; self.second = second; self.firstJudgments = firstJudgments
            self.secondJudgments = secondJudgments; self.generatorFamily = generatorFamily
        }
    }

    public struct Measure: Sendable {
        public var name: String
        public var items: Int
        public var kappa: CohenKappa.Result?
        public var quadraticKappa: Double?
        public var alphaLevel: KrippendorffAlpha.Level
        public var alpha: Double?
    }

    public struct SelfPreference: Sendable {
        public var judge: String
        public var family: String
        public var ownItems: Int
        public var otherItems: Int
        /// The judge's own gap (own − other families) and the other judge's gap on the same images.
        public var gap: Double
        public var otherJudgeGap: Double
        public var excess: Double { gap - otherJudgeGap }
    }

    public let judges: [AdapterSpec]
    public let pairs: [Pair]
    public let measures: [Measure]
    public let tau: KendallTau.Result?
    public let tauProblem: String?
    public let selfPreference: [SelfPreference]
    public let notes: [String]

    /// `families[0]`, `families[1]`: each judge's model family, if known.
    public init(judges: [AdapterSpec], families: [String?], pairs: [Pair]) throws {
        guard let p = pairs.first?.first.summary.scoringProtocol else { throw UsageError("name at least one run") }
        var notes: [String] = []
        // Paired first scored repeats: (run, id) → (first judge's, second judge's).
        var paired: [(run: Int, id: Int, a: StudyJudgment, b: StudyJudgment)] = []
        for (r, pair) in pairs.enumerated() {
            var firstA: [Int: StudyJudgment] = [:]
            for j in pair.firstJudgments where j.status == .ok && firstA[j.promptID] == nil { firstA[j.promptID] = j }
            var firstB: [Int: StudyJudgment] = [:]
            for j in pair.secondJudgments where j.status == .ok && firstB[j.promptID] == nil { firstB[j.promptID] = j }
            for id in firstA.keys.sorted() { if let b = firstB[id] { paired.append((r, id, firstA[id]!, b)) } }
        }
        var measures: [Measure] = []
        let labels = Array(0...p.maxAspectValue)
        for aspect in p.aspects {
            let rows = paired.compactMap { x -> (Int, Int)? in
                guard let a = x.a.scores?[aspect], let b = x.b.scores?[aspect] else { return nil }
                return (Int(a.rounded()), Int(b.rounded()))
            }
            let level: KrippendorffAlpha.Level = p == .verified ? .nominal : .ordinal
            var m = Measure(name: aspect, items: rows.count, kappa: nil, quadraticKappa: nil, alphaLevel: level, alpha: nil)
            if !rows.isEmpty {
                m.kappa = try CohenKappa.kappa(rows.map(\.0), rows.map(\.1), labels: labels)
                m.quadraticKappa = try CohenKappa.kappa(rows.map(\.0), rows.map(\.1), weighting: .quadratic, labels: labels).kappa
                m.alpha = try KrippendorffAlpha.alpha([rows.map { Optional($0.0) }, rows.map { Optional($0.1) }], level: level)
            }
            measures.append(m)
        }
        let wiscores = paired.compactMap { x -> (Double, Double)? in
            guard let a = x.a.wiscore, let b = x.b.wiscore else { return nil }
            return (a, b)
        }
        measures.append(Measure(name: "wiscore", items: wiscores.count, kappa: nil, quadraticKappa: nil, alphaLevel: .interval,
                                alpha: wiscores.isEmpty ? nil : try KrippendorffAlpha.alpha([wiscores.map { Optional($0.0) }, wiscores.map { Optional($0.1) }], level: .interval)))
        // Kendall's τ-b over the runs' overalls.
        let overalls = pairs.compactMap { pair -> (Double, Double)? in
            guard let a = pair.first.summary.score.overall, let b = pair.second.summary.score.overall else { return nil }
            return (a, b)
        }
        if overalls.count >= 2 {
            tau = try KendallTau.tauB(overalls.map(\.0), overalls.map(\.1))
            tauProblem = tau?.tau == nil ? "undefined: one judge gives every run the same overall" : nil
        } else {
            tau = nil
            tauProblem = pairs.count < 2 ? "needs two or more runs (wise agreement RUN1 RUN2 … --judges A,B)" : "needs two or more runs with an overall under both judges"
        }
        // Self-preference, where a judge's family and some generators' families are known.
        var preferences: [SelfPreference] = []
        if pairs.allSatisfy({ $0.generatorFamily == nil }) {
            notes.append("self-preference check: needs each run's generator family (the generator spec parameter `family`, from the model registry); none of these runs has one")
        } else if families.allSatisfy({ $0 == nil }) {
            notes.append("self-preference check: needs the judges' families (--judge-family A=FAMILY, or a `family` parameter in the judge spec)")
        }
        for (k, family) in families.enumerated() {
            guard let family else { continue }
            let own = paired.filter { pairs[$0.run].generatorFamily == family }
            let other = paired.filter { pairs[$0.run].generatorFamily != nil && pairs[$0.run].generatorFamily != family }
            guard !own.isEmpty, !other.isEmpty else {
                notes.append("self-preference of \(judges[k].summary): needs images of its own family (\(family)) and of other families, both judged by the two judges")
                continue
            }
            func mean(_ xs: [(run: Int, id: Int, a: StudyJudgment, b: StudyJudgment)], _ first: Bool) -> Double {
                xs.reduce(0) { $0 + ((first ? $1.a : $1.b).wiscore ?? 0) } / Double(xs.count)
            }
            let mine = k == 0
            preferences.append(SelfPreference(judge: judges[k].key, family: family, ownItems: own.count, otherItems: other.count,
                                              gap: mean(own, mine) - mean(other, mine), otherJudgeGap: mean(own, !mine) - mean(other, !mine)))
        }
        self.judges = judges
        self.pairs = pairs
        self.measures = measures
        self.selfPreference = preferences
        self.notes = notes
    }

    public func renderTerminal() -> String {
        var out = "Agreement between judges over \(pairs.count) run\(pairs.count == 1 ? "" : "s"):\n"
        for (i, judge) in judges.enumerated() { out += "  \(i == 0 ? "A" : "B") = \(judge.judgeDescription)\n" }
        out += textTable(["Measure", "Items", "κ", "κ quadratic", "α", "α level"], measures.map { m in
            [m.name, "\(m.items)", fixed(m.kappa?.kappa, 4), fixed(m.quadraticKappa, 4), fixed(m.alpha, 4), m.alphaLevel.rawValue]
        })
        for m in measures {
            guard let k = m.kappa else { continue }
            out += "confusion · \(m.name) (rows A, columns B; labels \(k.labels.map(String.init).joined(separator: ", "))):\n"
            for (i, row) in k.confusion.enumerated() { out += "  \(k.labels[i]): " + row.map { String(format: "%6d", $0) }.joined() + "\n" }
        }
        if let tau, let t = tau.tau {
            out += "Kendall τ-b between the judges' rankings of the runs: \(fixed(t, 4)) (p \(formatP(tau.pValue)), \(tau.exact ? "exact" : "normal approximation"))\n"
        } else {
            out += "Kendall τ-b between the judges' rankings of the runs: \(tauProblem ?? "undefined")\n"
        }
        for s in selfPreference {
            out += "self-preference of \(s.judge.prefix(8)) (family \(s.family)): own − other families \(signed(s.gap, 4)) against \(signed(s.otherJudgeGap, 4)) from the other judge; excess \(signed(s.excess, 4)) (\(s.ownItems) own, \(s.otherItems) other images)\n"
        }
        for note in notes { out += note + "\n" }
        return out
    }

    public func renderJSON() -> String {
        JSONValue.object([
            ("judges", .array(judges.map { .string($0.canonicalJSON) })),
            ("runs", .array(pairs.map { pair in
                .object([("name", .string(pair.first.name)), ("generator_family", .str(pair.generatorFamily)),
                         ("overall", .array([.num(pair.first.summary.score.overall), .num(pair.second.summary.score.overall)]))])
            })),
            ("measures", .array(measures.map { m in
                .object([("measure", .string(m.name)), ("items", .int(m.items)), ("kappa", .num(m.kappa?.kappa)),
                         ("kappa_quadratic", .num(m.quadraticKappa)), ("alpha", .num(m.alpha)), ("alpha_level", .string(m.alphaLevel.rawValue)),
                         ("labels", m.kappa.map { .array($0.labels.map(JSONValue.int)) } ?? .null),
                         ("confusion", m.kappa.map { .array($0.confusion.map { .array($0.map(JSONValue.int)) }) } ?? .null)])
            })),
            ("kendall_tau_b", tau.map { t in .object([("tau", .num(t.tau)), ("p", .num(t.pValue)), ("exact", .bool(t.exact))]) } ?? .null),
            ("kendall_problem", .str(tauProblem)),
            ("self_preference", .array(selfPreference.map { s in
                .object([("judge", .string(s.judge)), ("family", .string(s.family)), ("own_items", .int(s.ownItems)), ("other_items", .int(s.otherItems)),
                         ("gap", .number(s.gap)), ("other_judge_gap", .number(s.otherJudgeGap)), ("excess", .number(s.excess))])
            })),
            ("notes", .array(notes.map(JSONValue.string))),
        ]).rendered() + "\n"
    }
}
