import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise audit`: check a published board or a submitted score file against what its protocol can produce.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a published WISE board or a submitted score table: overalls, reachable category scores, mixed protocols.",
        discussion: """
            Each row's overall is checked against its six categories with the protocol's weights; each category score against the fractions its item count can reach (verified: k/120, k/400, …; legacy: means of item scores in twentieths), and a row whose overall follows the other protocol's weights is named. Numbers are read as printed: a value with d decimals stands for anything within half a unit of its last decimal. FILE may be a Markdown or HTML table, or what the official scoring scripts print (Calculate.py, calculate_verified.py), whose per-category sample counts are then used exactly. With no FILE, the official board of --protocol is read from the catalogue cache (`wise catalogue fetch` puts it there, checked by SHA-256). Findings are printed on stdout and the exit status is 65 when there are any.

            Examples:
              wise audit --protocol verified         # the official leadboard.md
              wise audit --protocol legacy           # WISE_legacy/README.md's tables
              wise audit mine.md --protocol verified # a submitted Markdown table
              python Calculate.py *.jsonl > sum.txt
              wise audit sum.txt --protocol legacy   # a scoring script's printout
            """
    )

    @Argument(help: ArgumentHelp("A Markdown or HTML table with Model, Overall and the six category columns, or a scoring script's printout (default: the official board).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("protocol"), help: "The protocol the rows claim: legacy or verified.")
    var scoringProtocol: ScoringProtocol

    func run() throws {
        let audit = try BoardAudit.run(file: file, scoringProtocol: scoringProtocol)
        Console.out(audit.render())
        if !audit.findings.isEmpty {
            throw OutcomeError("the audit found \(audit.findings.count) problem\(audit.findings.count == 1 ? "" : "s") in \(Set(audit.findings.map(\.line)).count) of \(audit.board.rows.count) rows", kind: .badData)
        }
    }
}
