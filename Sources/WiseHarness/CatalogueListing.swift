import Foundation
import WiseCore

/// The official prompt sets as `wise catalogue` shows them: fetched into the cache, counted,
/// one prompt in full, and the manifest in use.
public enum CatalogueListing {
    /// Downloads (or, with `from`, copies from a folder) the pinned prompt files of `sets` (all when
    /// empty) into the cache, checking each SHA-256, and says what is there.
    public static func fetch(_ sets: [PromptSet], from: String?, baseURL: String?, timeout: Double) async throws {
        let location = try CatalogueLocation.fromEnvironment()
        let source: CatalogueSource
        if let from {
            guard PathKind(from) == .directory else {
                throw FileError("--from \(from) is not a directory; pass a checkout of the official WISE repository or a folder laid out like legacy/, verified/, official/", kind: .missingInput)
            }
            source = DirectorySource(directory: URL(fileURLWithPath: from, isDirectory: true))
        } else {
            source = HTTPCatalogueSource(manifest: location.manifest, baseURL: baseURL, timeout: timeout)
        }
        let sets = sets.isEmpty ? PromptSet.allCases : sets
        let outcomes = try await CatalogueInstaller(location: location).install(sets, from: source)
        for outcome in outcomes {
            Console.out("\(outcome.alreadyPresent ? "present " : "fetched ") \(outcome.path)  sha256 \(outcome.sha256)\n")
        }
        Console.out("catalogue ready in \(location.cacheDirectory.path) (sets: \(sets.map(\.rawValue).joined(separator: ", ")))\n")
    }

    /// A set's prompt counts per category (with id range and weight) and subcategory.
    public static func stats(_ set: PromptSet) throws -> String {
        let catalogue = try loadCatalogue(set)
        var out = "set \(set.rawValue): \(catalogue.prompts.count) prompts, protocol \(set.defaultProtocol.rawValue)\n"
        for range in catalogue.entry.ranges {
            let prompts = catalogue.prompts.filter { $0.category == range.category }
            let weight = String(format: "%.3f", catalogue.entry.scoringProtocol.weights[range.category]!)
            out += "\(range.category.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) ids \(range.first)–\(range.last)".padding(toLength: 34, withPad: " ", startingAt: 0)
                + "\(leftPadded(String(prompts.count), 5))   weight \(weight)\n"
            let bySub = Dictionary(grouping: prompts, by: \.subcategory)
            for sub in bySub.keys.sorted() {
                out += "    \(sub.padding(toLength: 30, withPad: " ", startingAt: 0))\(leftPadded(String(bySub[sub]!.count), 5))\n"
            }
        }
        return out
    }

    /// One prompt with its explanation, category and subcategory.
    public static func show(_ id: Int, set: PromptSet) throws -> String {
        let prompt = try loadCatalogue(set).requirePrompt(id)
        return """
            id           \(prompt.id)
            set          \(prompt.set.rawValue)
            category     \(prompt.category.rawValue) (file says "\(prompt.categoryLabel)")
            subcategory  \(prompt.subcategory)
            domain       \(prompt.domain)
            prompt       \(prompt.text)
            explanation  \(prompt.explanation)

            """
    }

    /// The legacy↔verified crosswalk of the official sets, counted (`legacy` or `legacy-rewrite` against verified).
    public static func crosswalk(legacy set: PromptSet) throws -> String {
        guard set != .verified else { throw UsageError("--legacy names the legacy side of the crosswalk: legacy or legacy-rewrite, not verified") }
        return Crosswalk(legacy: try loadCatalogue(set).prompts, verified: try loadCatalogue(.verified).prompts).render()
    }

    /// The catalogue manifest in use, as JSON.
    public static func manifest() throws -> String {
        String(decoding: try CatalogueLocation.fromEnvironment().manifest.jsonData(), as: UTF8.self)
    }

    /// `text` padded on the left to `width`.
    static func leftPadded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
