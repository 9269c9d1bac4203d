import ArgumentParser
import WiseCore
import WiseHarness
import WiseOptions

/// `wise catalogue`: fetch, inspect and check the official prompt sets.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "Fetch and inspect the official WISE prompt sets (legacy, legacy-rewrite, verified).",
        subcommands: [Fetch.self, Stats.self, Show.self, Crosswalk.self, Manifest.self]
    )

    /// `wise catalogue fetch`: download (or copy) the prompt files and verify their SHA-256.
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the prompt files pinned by the manifest into the cache, checking each SHA-256.",
            discussion: """
                Downloads from the official repository at the pinned commit over HTTPS, or copies from a local folder with --from: a checkout of the official repository at the pinned commit (WISE_legacy/data/, data_verified/, vllm_eval.py, leadboard.md, …) or a folder laid out like ../shared/wise (legacy/, verified/, official/). The prompt files, the official evaluator scripts and the published boards are fetched; every file is checked before anything is written: a mismatch or a missing file writes nothing, and a folder missing files is told all of them.

                Examples:
                  wise catalogue fetch
                  wise catalogue fetch --from ../shared/wise --set verified
                  git clone https://github.com/PKU-YuanGroup/WISE
                  git -C WISE checkout eb51174
                  wise catalogue fetch --from WISE        # the upstream layout
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

        func run() async throws { try await CatalogueListing.fetch(sets, from: from, baseURL: baseURL, timeout: timeout) }
    }

    /// `wise catalogue stats`: counts per category and subcategory.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count a set's prompts per category and subcategory.",
            discussion: "Example: wise catalogue stats --set verified"
        )

        @Option(help: "The prompt set: legacy, legacy-rewrite or verified.")
        var set: PromptSet

        func run() throws { Console.out(try CatalogueListing.stats(set)) }
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

        func run() throws { Console.out(try CatalogueListing.show(id, set: set)) }
    }

    /// `wise catalogue crosswalk`: how the verified prompts match the legacy ones by content.
    struct Crosswalk: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count how WISE_Verified's prompts match the legacy ones by content (normalised text, else explanation).",
            discussion: """
                Ids are not used to match: from 401 on the same id names different prompts. Text is compared after lowercasing and keeping only letters and digits; a prompt whose text changed is matched by its explanation. `wise compare A B --crosswalk` uses the same matching.

                Examples:
                  wise catalogue crosswalk
                  wise catalogue crosswalk --legacy legacy-rewrite
                """
        )

        @Option(help: "The legacy side: legacy or legacy-rewrite.")
        var legacy: PromptSet = .legacy

        func run() throws { Console.out(try CatalogueListing.crosswalk(legacy: legacy)) }
    }

    /// `wise catalogue manifest`: print the built-in manifest.
    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the catalogue manifest in use (pinned URLs, SHA-256, id ranges, weights) as JSON."
        )

        func run() throws { Console.out(try CatalogueListing.manifest()) }
    }
}
