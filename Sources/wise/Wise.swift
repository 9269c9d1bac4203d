import ArgumentParser
import Foundation
import WiseCore
import WiseHarness

/// The `wise` command: runs the WISE benchmark end to end and reports WiScore.
struct Wise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wise",
        abstract: "Run the WISE text-to-image benchmark: catalogue, images, judgments, WiScore reports.",
        discussion: """
            Quick start, with the official prompt files in ../shared/wise:
              export WISE_DATA=../shared/wise
              wise catalogue stats --set verified
              wise run my-model --set verified --images out/my-model
              wise judge my-model --base-url http://localhost:8000/v1 \\
                --model Qwen3.5-35B-A3B
              wise report my-model

            Everything is kept in one SQLite store (default results/wise.sqlite, --store PATH). Environment: WISE_DATA (a folder laid out like legacy/, verified/), WISE_CACHE (where `wise catalogue fetch` and `wise models fetch` keep files), WISE_MANIFEST (another catalogue manifest), WISE_MODELS (another model registry). Exit status: 0 ok, 64 usage (also: the judge does not know the model), 65 bad data, 66 missing input, 69 unavailable (judge unreachable, untrusted TLS certificate, store busy), 70 internal error, 73 cannot create, 74 I/O, 75 judging ended with failed items or stopped on drift (run again to retry them), 77 the judge refused the API key, 130 interrupted (SIGINT/SIGTERM; run again to resume).
            """,
        version: "wise \(WiseVersion.current)",
        subcommands: [CatalogueCommand.self, AuditCommand.self, RunCommand.self, GenerateCommand.self, JudgeCommand.self, ImportCommand.self,
                      BundleCommand.self, VerifyCommand.self,
                      ExportCommand.self, ReportCommand.self, RunsCommand.self, VerdictsCommand.self, ShowCommand.self, FailuresCommand.self,
                      MergeCommand.self, BoardCommand.self, ModelsCommand.self, CompareCommand.self, VarianceCommand.self, AgreementCommand.self, MigrateCommand.self, CalibrateCommand.self]
    )
}

/// The process entry point: the one place that turns errors into messages and exit codes.
@main
enum Main {
    static func main() async {
        do {
            var command = try Wise.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as WiseError {
            Console.error("wise: \(error.description)")
            exit(error.kind.exitStatus)
        } catch {
            // Help and version requests exit cleanly with their full text; usage errors get one line.
            let code = Wise.exitCode(for: error)
            guard code != .success else { Wise.exit(withError: error) }
            if let typo = MistypedCommand.find(in: Array(CommandLine.arguments.dropFirst())) {
                Console.error("wise: \(typo.message)")
                exit(ErrorKind.usage.exitStatus)
            }
            let message = Wise.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Console.error("wise: \(message) (see `wise --help` or `wise COMMAND --help`)")
            exit(code.rawValue)
        }
    }
}

/// A word where a command name belongs that names none, at any depth (`wise reprot`,
/// `wise catalogue fecth --set verified`): the word, the command it was given to, and "did you mean".
struct MistypedCommand {
    var word: String
    var parent: String
    var suggestion: String

    /// The line `main` prints: `'fecth' is not a command of wise catalogue (did you mean 'fetch'?)`.
    var message: String { "'\(word)' is not a command of \(parent)\(suggestion); see `\(parent) --help`" }

    /// Follows the command names `arguments` give down the tree; nil when each names a command
    /// or the first word after the last group is an option (then the parser's own error stands).
    static func find(in arguments: [String]) -> MistypedCommand? {
        var command: ParsableCommand.Type = Wise.self
        var path = ["wise"]
        for word in arguments {
            let children = command.configuration.subcommands
            guard !children.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            guard let child = children.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) else {
                return MistypedCommand(word: word, parent: path.joined(separator: " "),
                                       suggestion: didYouMean(word, among: children.map { $0._commandName }))
            }
            command = child
            path.append(child._commandName)
        }
        return nil
    }
}
