import ArgumentParser
import WiseHarness

/// `wise agreement RUN… --judges A,B`: how far two judges agree on the same images.
struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Compare two judges on the same images: Cohen's κ, Krippendorff's α, confusion matrices, Kendall's τ over runs, self-preference.",
        discussion: """
            Judges are named by key prefix or adapter name, as `wise report --judge` takes them.

            Examples:
              wise agreement flux-dev --judges 3fa2,9c01
              wise agreement flux-dev sd35 qwen-image --judges 3fa2,9c01 \\
                --judge-family 3fa2=qwen --format json
            """
    )

    @Argument(help: "One or more runs judged by both judges.")
    var runs: [String]

    @Option(help: ArgumentHelp("The two judges, comma-separated key prefixes.", valueName: "A,B"))
    var judges: String

    @Option(help: ArgumentHelp("A judge's model family, for the self-preference check (repeatable); default: the judge spec's `family` parameter.", valueName: "KEY=FAMILY"))
    var judgeFamily: [String] = []

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run") }
        if judges.split(separator: ",").count != 2 { throw ValidationError("--judges takes two judges: A,B") }
        for entry in judgeFamily where !entry.contains("=") { throw ValidationError("--judge-family takes KEY=FAMILY, not '\(entry)'") }
    }

    func run() throws {
        let text = try Studies.agreement(store: try storeOptions.openExisting(), runs: runs, judges: judges,
                                         judgeFamilies: judgeFamily, format: format)
        try emit(text, to: out)
    }
}
