import ArgumentParser
import Foundation
import WiseCore
import WiseHarness
import WiseOptions
import WiseHTTP

/// `wise catalogue`: fetch, inspect and check the official prompt sets.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "Fetch and inspect the official WISE prompt sets (legacy, legacy-rewrite, verified).",
        subcommands: [Fetch.self, Stats.self, Show.self, Manifest.self]
    )

    /// `wise catalogue fetch`: download (or copy) the prompt files and verify their SHA-256.
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the prompt files pinned by the manifest into the cache, checking each SHA-256.",
            discussion: """
                Downloads from the official repository at the pinned commit over HTTPS, or copies from a local folder with --from (laid out like ../shared/wise: legacy/, verified/). Every file is checked before anything is written: a mismatch writes nothing.

                Examples:
                  wise catalogue fetch
                  wise catalogue fetch --from ../shared/wise --set verified
                """
        )

        @Option(help: ArgumentHelp("Copy from this folder instead of downloading.", valueName: "dir"))
        var from: String?

        @Option(name: .customLong("set"), help: "Only this set (repeatable; default all three).")
        var sets: [PromptSet] = []

        @Option(help: ArgumentHelp("Download from this URL prefix instead of the manifest's (a mirror).", valueName: "url"))
        var baseURL: String?

        @Option(help: "Seconds allowed for each download.")
        var timeout: Double = 60

        func run() async throws {
            let location = try CatalogueLocation.fromEnvironment()
            let source: CatalogueSource
            if let from {
                guard PathKind(from) == .directory else {
                    throw FileError("--from \(from) is not a directory; pass a folder laid out like legacy/, verified/", kind: .missingInput)
                }
                source = DirectorySource(directory: URL(fileURLWithPath: from, isDirectory: true))
            } else {
                source = HTTPCatalogueSource(manifest: location.manifest, baseURL: baseURL, timeout: timeout)
            }
            let sets = self.sets.isEmpty ? PromptSet.allCases : self.sets
            let outcomes = try await CatalogueInstaller(location: location).install(sets, from: source)
            for outcome in outcomes {
                Console.out("\(outcome.alreadyPresent ? "present " : "fetched ") \(outcome.path)  sha256 \(outcome.sha256)\n")
            }
            Console.out("catalogue ready in \(location.cacheDirectory.path) (sets: \(sets.map(\.rawValue).joined(separator: ", ")))\n")
        }
    }

    /// `wise catalogue stats`: counts per category and subcategory.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count a set's prompts per category and subcategory.",
            discussion: "Example: wise catalogue stats --set verified"
        )

        @Option(help: "The prompt set: legacy, legacy-rewrite or verified.")
        var set: PromptSet

        func run() throws {
            let catalogue = try loadCatalogue(set)
            var out = "set \(set.rawValue): \(catalogue.prompts.count) prompts, protocol \(set.defaultProtocol.rawValue)\n"
            for range in catalogue.entry.ranges {
                let prompts = catalogue.prompts.filter { $0.category == range.category }
                let weight = String(format: "%.3f", catalogue.entry.scoringProtocol.weights[range.category]!)
                out += "\(range.category.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) ids \(range.first)–\(range.last)".padding(toLength: 34, withPad: " ", startingAt: 0)
                    + "\(String(prompts.count).leftPadded(5))   weight \(weight)\n"
                let bySub = Dictionary(grouping: prompts, by: \.subcategory)
                for sub in bySub.keys.sorted() {
                    out += "    \(sub.padding(toLength: 30, withPad: " ", startingAt: 0))\(String(bySub[sub]!.count).leftPadded(5))\n"
                }
            }
            Console.out(out)
        }
    }

    /// `wise catalogue show`: one prompt in full.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one prompt with its explanation, category and subcategory.",
            discussion: "Example: wise catalogue show 401 --set verified"
        )

        @Argument(help: "The prompt id (1–1000).")
        var id: Int

        @Option(help: "The prompt set: legacy, legacy-rewrite or verified.")
        var set: PromptSet

        func run() throws {
            let prompt = try loadCatalogue(set).requirePrompt(id)
            Console.out("""
                id           \(prompt.id)
                set          \(prompt.set.rawValue)
                category     \(prompt.category.rawValue) (file says "\(prompt.categoryLabel)")
                subcategory  \(prompt.subcategory)
                domain       \(prompt.domain)
                prompt       \(prompt.text)
                explanation  \(prompt.explanation)

                """)
        }
    }

    /// `wise catalogue manifest`: print the built-in manifest.
    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the catalogue manifest in use (pinned URLs, SHA-256, id ranges, weights) as JSON."
        )

        func run() throws {
            Console.out(String(decoding: try CatalogueLocation.fromEnvironment().manifest.jsonData(), as: UTF8.self))
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
