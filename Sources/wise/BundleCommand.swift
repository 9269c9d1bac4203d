import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise bundle`: write a run as a reproducibility bundle others can verify.
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Write a run and its verdicts as a self-contained bundle that `wise verify` checks offline.",
        discussion: """
            The bundle is a new folder: manifest.json (wise's version, the run's set, protocol, generator and catalogue, the judge's identity, the board, and the SHA-256 and size of every file), manifest.sha256 (the manifest's own hash; it is the bundle's id), images.jsonl and judgments.jsonl (every verdict with its raw reply and request hash), the official-format score files under scores/, the pinned catalogue files and evaluator script under catalogue/, and the images under images/ named by their SHA-256. Anyone can check it with `wise verify` without a network or a judge, and bring it into their store with `wise import BUNDLE`.

            Example:
              wise bundle flux-dev --out flux-dev.bundle
              wise verify flux-dev.bundle
            """
    )

    @Argument(help: "The run to bundle.")
    var run: String

    @Option(help: ArgumentHelp("The folder to write; it must not exist yet.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("The judge whose verdicts travel: a key prefix (see `wise runs`); the latest judge when omitted.", valueName: "key"))
    var judge: String?

    @Flag(help: "Carry only the images' SHA-256, not their bytes.")
    var hashesOnly = false

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = try storeOptions.openReadOnly()
        let bundle = try RunBundle(store: store, run: run, judgeKey: judge, includeImages: !hashesOnly)
        let id = try bundle.write(to: out)
        Console.out("wrote bundle \(out) (id \(id))\n")
    }
}

/// `wise verify`: check a bundle offline.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle offline: every hash, every reply re-read, every score and the WiScore recomputed.",
        discussion: """
            Needs no network and no judge. Prints each difference by file and item, and exits 65 when there is any. A clean bundle is whole and consistent with the WISE protocol; the check cannot tell who made it.

            Example:
              wise verify flux-dev.bundle
            """
    )

    @Argument(help: ArgumentHelp("The bundle folder.", valueName: "bundle"))
    var bundle: String

    func run() async throws {
        try BundleCheck(path: bundle).run()
    }
}
