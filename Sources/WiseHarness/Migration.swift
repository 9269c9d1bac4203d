import Foundation
import WiseCore
import WiseReport
import WiseStore

/// The output formats of `wise migrate`.
public enum MigrationFormat: String, CaseIterable, Sendable {
    case terminal, json, html
}

/// `wise migrate`: judges runs judged by judge A with judge B and reports what the move changes.
public enum Migration {
    /// Judges each run with the judge `options` describe (B; cache-aware: B's verdicts already in
    /// the store are kept, identical requests answered from the store), then compares B with the
    /// judge `from` names (A: a key prefix, adapter or model that must name one judge of every run)
    /// as a `JudgeMigration`, rendered in `format`. The passes' boards go to stderr.
    public static func run(runs names: [String], from key: String, options: JudgeOptions, store storeOptions: StoreOptions,
                           resamples: Int, seed: UInt64, format: MigrationFormat, listedFlips: Int = 20,
                           environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> String {
        let store = try storeOptions.openExisting()
        let runs = try names.map { try store.requireRun($0) }
        guard let first = runs.first else { throw UsageError("name at least one run judged by judge A") }
        if let other = runs.first(where: { $0.set != first.set || $0.scoringProtocol != first.scoringProtocol }) {
            throw UsageError("runs '\(first.name)' and '\(other.name)' differ in set or protocol (\(first.set.rawValue)/\(first.scoringProtocol.rawValue) against \(other.set.rawValue)/\(other.scoringProtocol.rawValue)); migrate them separately")
        }
        var specA: AdapterSpec?
        for run in runs {
            let uses = try store.judges(of: run), matching = uses.filter { $0.matches(key) }
            guard matching.count == 1 else {
                let listing = (matching.isEmpty ? uses : matching).map(\.label).joined(separator: "; ")
                throw UsageError(matching.isEmpty
                    ? "--from \(key) names no judge of run '\(run.name)'; \(uses.isEmpty ? "it is not judged yet" : "its judges: \(listing)")"
                    : "--from \(key) matches \(matching.count) judges of run '\(run.name)': \(listing); name judge A by its key prefix")
            }
            let spec = matching[0].spec
            if let specA, specA.key != spec.key {
                throw UsageError("--from \(key) names judge \(specA.key.prefix(8)) on run '\(runs[0].name)' but \(spec.key.prefix(8)) on run '\(run.name)'; name judge A by a longer key prefix")
            }
            specA = spec
        }
        let made = try options.makeJudge(scoringProtocol: first.scoringProtocol, environment: environment)
        let specB = made.judge.spec
        guard specB.key != specA!.key else {
            throw UsageError("judge B (the judge options) is judge A (\(specB.key.prefix(8))): there is nothing to migrate; give B's options (another --model, --rubric, --reading …)")
        }
        if options.dryRun {
            for run in runs { try await judgeRun(run, store: store, options: options, made: made) }
            return ""
        }
        for run in runs {
            try await Console.$resultsAsNotes.withValue(true) { try await judgeRun(run, store: store, options: options, made: made) }
        }
        let migration = try JudgeMigration(
            from: specA!, to: specB,
            underA: try names.map { try store.studyRun($0, judgeKey: specA!.key) },
            underB: try names.map { try store.studyRun($0, judgeKey: specB.key) },
            judgments: try runs.map { (try store.studyJudgments(of: $0, judge: specA!), try store.studyJudgments(of: $0, judge: specB)) },
            prompts: try store.prompts(of: first.set), resamples: resamples, seed: seed, listedFlips: listedFlips)
        switch format {
        case .terminal: return migration.renderTerminal()
        case .json: return migration.renderJSON()
        case .html: return migration.renderHTML()
        }
    }
}
