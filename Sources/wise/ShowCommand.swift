import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseStore

/// `wise show RUN ID`: one item of a run and everything recorded about it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one item of a run: prompt, explanation, image, and every judgment with raw replies, errors, tokens and latency.",
        discussion: """
            Example:
              wise show flux-dev 401
            """
    )

    @Argument(help: "The run (see `wise runs`).")
    var name: String

    @Argument(help: "The prompt id (1–1000).")
    var id: Int

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openReadOnly()
        let run = try store.requireRun(name)
        let item = try store.item(of: run, promptID: id)
        var out = """
            run \(run.name)  set \(run.set.rawValue)  protocol \(run.scoringProtocol.rawValue)
            prompt \(item.prompt.id)  \(item.prompt.category.rawValue) / \(item.prompt.subcategory)
              \(item.prompt.text)
            explanation
              \(item.prompt.explanation)
            image  \(item.imageStatus?.rawValue ?? "not registered")  \(item.imagePath ?? "")\(item.imageSHA256.map { "  sha256 \($0.prefix(16))…" } ?? "")\(item.imageProblem.map { "  (\($0))" } ?? "")

            """
        if item.judgments.isEmpty { out += "no judgments yet\n" }
        for j in item.judgments {
            let scores = j.scores.map { s in s.values.keys.sorted().map { "\($0) \(s.values[$0]!)" }.joined(separator: ", ") } ?? "-"
            out += "judgment  \(j.judge.summary)  repeat \(j.repeatIndex)  \(j.status.rawValue)  scores \(scores)"
            if let w = j.wiscore { out += "  item score \(w)" }
            out += "\n  tokens \(j.tokensIn) in, \(j.tokensOut) out"
            if let ms = j.latencyMs { out += String(format: "  latency %.0f ms", ms) }
            out += "  attempts \(j.attempts)"
            if let http = j.httpStatus { out += "  HTTP \(http)" }
            out += "  at \(j.createdAt)\n"
            if let error = j.error { out += "  reason: \(error)\n" }
            if let earlier = j.earlierReplies { out += "  earlier replies: \(earlier)\n" }
            if let reply = j.rawReply { out += "  reply:\n" + reply.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n") + "\n" }
        }
        Console.out(out)
    }
}

/// `wise failures RUN`: the failed and unscored items of a run, grouped by reason.
struct FailuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "List a run's failed and unscored items and missing images, grouped by reason, most common first.",
        discussion: """
            Example:
              wise failures flux-dev
            """
    )

    @Argument(help: "The run (see `wise runs`).")
    var name: String

    @Option(help: ArgumentHelp("Which judge's judgments, by key prefix or adapter name (default: the latest).", valueName: "key"))
    var judge: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.openReadOnly()
        let run = try store.requireRun(name)
        var groups: [String: [Int]] = [:]
        for item in try store.missingImages(of: run) { groups["missing image: \(item.reason)", default: []].append(item.promptID) }
        if let spec = try store.chooseJudge(of: run, key: judge) {
            for item in try store.problems(of: run, judge: spec) {
                groups["\(item.status.rawValue): \(JudgeFailure.group(item.reason))", default: []].append(item.promptID)
            }
        }
        if groups.isEmpty { Console.out("run \(run.name): no failed or unscored items and no missing images\n"); return }
        for (reason, ids) in groups.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) {
            Console.out("\(ids.count) × \(reason)\n    prompts \(idRanges(ids))\n")
        }
    }
}
