import ArgumentParser
import WiseHarness

/// `wise agreement RUN… --judges A,B[,C…]`: how far two or more judges agree on the same images.
struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Compare two or more judges on the same images: Krippendorff's α across all of them, Cohen's κ per pair, confusion matrices, Kendall's τ over runs, self-preference.",
        discussion: """
            Judges are named by key prefix or adapter name, as `wise report --judge` takes them. Each judge's first scored repeat of an image counts.

            Krippendorff's α takes every judge at once (images as units, judges as raters; an image one judge did not score still counts among the others): ordinal on the 0–2 legacy aspects, nominal on the 0/1 verified score, interval on the WiScore. Cohen's κ (unweighted and quadratic) and the confusion matrix are per pair of judges, on the images both scored. α, κ and the self-preference excess carry 95% intervals from a bootstrap over images (--resamples, --seed).

            Kendall's τ-b compares two judges' rankings of the runs, so it needs several runs; with fewer than 10 its p-value means little (τ can take only a few values and no p-value of a handful of runs is small), and the output says so: read τ as a description of these runs, not as a test.

            Examples:
              wise agreement flux-dev --judges 3fa2,9c01
              wise agreement flux-dev sd35 --judges 3fa2,9c01,clip
              wise agreement flux sd35 qwen --judges 3fa2,9c01 --judge-family 3fa2=qwen
              wise agreement flux-dev --judges 3fa2,9c01 --format json --seed 7
            """
    )

    @Argument(help: "One or more runs judged by every judge.")
    var runs: [String]

    @Option(help: ArgumentHelp("The judges, two or more comma-separated key prefixes or adapter names.", valueName: "A,B[,C…]"))
    var judges: String

    @Option(help: ArgumentHelp("A judge's model family, for the self-preference check (repeatable); default: the judge spec's `family` parameter.", valueName: "KEY=FAMILY"))
    var judgeFamily: [String] = []

    @OptionGroup var studyOptions: StudyOptions

    @Option(help: "terminal or json.")
    var format: StudyFormat = .terminal

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run") }
        if judges.split(separator: ",").count < 2 { throw ValidationError("--judges takes two or more judges, comma-separated: A,B or A,B,C") }
        for entry in judgeFamily where !entry.contains("=") { throw ValidationError("--judge-family takes KEY=FAMILY, not '\(entry)'") }
    }

    func run() throws {
        let text = try Studies.agreement(store: try storeOptions.openExisting(), runs: runs, judges: judges, judgeFamilies: judgeFamily,
                                         resamples: studyOptions.resamples, seed: studyOptions.seed, format: format)
        try emit(text, to: out)
    }
}
