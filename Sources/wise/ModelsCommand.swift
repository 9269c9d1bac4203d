import ArgumentParser
import WiseHarness
import WiseHub

/// `wise models`: the models wise knows by name.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the registered models (models/registry.json, or WISE_MODELS=FILE), or fetch a CLIP model for the clip judge.",
        subcommands: [List.self, Fetch.self]
    )

    /// `wise models fetch REPO`: downloads a CLIP model's files from the Hugging Face hub into the cache.
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a CLIP model (config.json, model.safetensors, vocab.json, merges.txt, preprocessor_config.json) into the cache for --judge clip.",
            discussion: """
                Files go to $WISE_CACHE/models/OWNER--NAME/REVISION (default ~/.cache/wise). Downloads resume from where a cut one stopped; each file is checked against the hub's SHA-256 (or, where the hub gives none, the one recorded at the first download), and a file that does not match is not kept. A second fetch downloads nothing.

                Examples:
                  wise models fetch openai/clip-vit-large-patch14
                  wise models fetch openai/clip-vit-base-patch32 --revision main
                """
        )

        @Argument(help: "The repo id, e.g. openai/clip-vit-large-patch14.")
        var repo: String

        @Option(help: "The revision (branch, tag or commit).")
        var revision = "main"

        @Option(help: ArgumentHelp("A hub mirror's base URL.", valueName: "url"))
        var baseURL = HubClient.defaultBaseURL

        @Option(help: ArgumentHelp("The environment variable that holds a hub token, for gated models.", valueName: "var"))
        var tokenEnv: String?

        func run() async throws { try await ModelListing.fetch(repo: repo, revision: revision, baseURL: baseURL, tokenEnv: tokenEnv) }
    }

    /// `wise models list`: a line per model with its adapter, settings and family, then its id and board rows.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered models with adapter, resolution, steps, guidance, dtype, family, model id and the board rows each reproduces.",
            discussion: """
                Under each model, its hub or API id and, after "on:", the rows of the official boards it reproduces (verified: leadboard.md, legacy: WISE_legacy/README.md), so a board row leads to the name to pass to --model.

                Example:
                  wise models list | grep -B1 'verified: FLUX.2-dev'
                """
        )

        func run() throws { Console.out(try ModelListing.render()) }
    }
}
